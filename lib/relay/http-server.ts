/**
 * The HTTP surface of `cc-relay serve --http ADDR` (DESIGN.md §8): the phone
 * page at `/`, its WebSocket API at `/api/ws` (the wire protocol, after a
 * first-frame token), and the direct-connect API Claude Code's own client
 * speaks (`POST /sessions`, WebSocket `ws_url`, `DELETE /sessions/:id`,
 * Bearer token; DESIGN.md §10). Every request is authenticated by a device
 * token; nothing of a session is sent before that. Tokens are re-checked
 * every second on live sockets, so `cc-relay token rm` cuts them.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CliError, EXIT, usageError } from '../cli/errors.ts';
import { bridgeDirectConnect } from './direct-connect.ts';
import type { SessionManager } from './manager.ts';
import { Connection, MAX_FRAME, type FrameSink } from './protocol.ts';
import { OpError } from './session.ts';
import { TokenStore, type TokenRecord } from './tokens.ts';
import { PAGE_HTML, PAGE_SCRIPT } from './web-page.ts';

export const DEFAULT_HTTP_PORT = 7878;
/** A WebSocket client this far behind is paused (its tail resumes on drain). */
const WS_HIGH = 1 << 20;

export interface HttpOptions {
  /** "PORT", "HOST:PORT" or "[V6]:PORT"; the host defaults to 127.0.0.1. */
  addr: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Where a POST /sessions without cwd starts (the root dir, if any). */
  defaultCwd?: string;
  server: string | null;
}

/** Split ADDR into host and port. */
export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+))?:?(\d{1,5})$/.exec(addr.trim());
  if (!m) throw usageError(`--http takes PORT or HOST:PORT, got '${addr.slice(0, 60)}'`);
  const port = Number(m[3]);
  if (port > 65535) throw usageError(`--http: port ${port} is out of range`);
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h.trim());
  return m ? m[1] : undefined;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new OpError('too_large', 'request body too large', 1));
        req.destroy();
        return;
      }
      parts.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8').trim();
      if (text === '') return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new OpError('bad_request', 'body is not JSON', 2));
      }
    });
    req.on('error', reject);
  });
}

const STATUS_OF: Record<string, number> = { bad_request: 400, forbidden: 403, not_found: 404, too_large: 413 };

/** A FrameSink over a WebSocket, with backpressure from bufferedAmount. */
export function wsSink(ws: WebSocket): FrameSink {
  return {
    write(frame: string): boolean {
      if (ws.readyState !== ws.OPEN) return true;
      ws.send(frame);
      return ws.bufferedAmount < WS_HIGH;
    },
    onDrain(fn: () => void): void {
      const poll = () => {
        if (ws.readyState !== ws.OPEN) return;
        if (ws.bufferedAmount < WS_HIGH / 4) fn();
        else setTimeout(poll, 10);
      };
      setTimeout(poll, 10);
    },
    close(): void {
      ws.close(1000);
    },
  };
}

export interface HttpRelay {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Start the HTTP(S) server. */
export async function listenHttp(manager: SessionManager, tokens: TokenStore, opts: HttpOptions): Promise<HttpRelay> {
  const { host, port } = parseAddr(opts.addr);
  const tls = opts.tlsCert !== undefined;
  let server: Server;
  if (tls) {
    let cert: Buffer, key: Buffer;
    try {
      cert = readFileSync(opts.tlsCert!);
      key = readFileSync(opts.tlsKey!);
    } catch (err) {
      throw new CliError('ERR_TLS', `cannot read the TLS certificate or key: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.FAILURE);
    }
    server = createHttps({ cert, key });
  } else {
    server = createHttp();
  }
  const scriptHash = createHash('sha256').update(PAGE_SCRIPT).digest('base64');
  const csp = `default-src 'none'; script-src 'sha256-${scriptHash}'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  const live = new Set<{ ws: WebSocket; record: TokenRecord; conn?: Connection }>();

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://relay');
    if (req.method === 'GET' && (url.pathname === '/' || url.pathname === '/index.html')) {
      // The page holds no secret: its token arrives in the URL fragment, which browsers never send.
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': csp,
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
      });
      res.end(PAGE_HTML);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/favicon.ico') {
      res.writeHead(204, { 'cache-control': 'max-age=86400' }).end();
      return;
    }
    void handleApi(req, res, url).catch((err) => {
      if (res.headersSent) return res.destroy();
      if (err instanceof OpError) json(res, STATUS_OF[err.code] ?? 409, { error: { code: err.code, message: err.message } });
      else json(res, 500, { error: { code: 'internal', message: 'internal error' } });
    });
  });

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const record = tokens.verify(bearer(req));
    if (!record) return json(res, 401, { error: { code: 'unauthorized', message: 'a valid device token is needed' } });
    const need = (cap: string) => {
      if (!(record.allow as string[]).includes(cap)) throw new OpError('forbidden', `${record.name} may not ${cap}`, 4);
    };
    if (req.method === 'POST' && url.pathname === '/sessions') {
      need('spawn');
      const body = (await readBody(req)) as Record<string, unknown>;
      const s = manager.spawn(record.name, { cwd: body.cwd ?? opts.defaultCwd, permission_mode: body.permission_mode });
      const hostHeader = typeof req.headers.host === 'string' && /^[A-Za-z0-9.:[\]-]{1,300}$/.test(req.headers.host) ? req.headers.host : `${host}:${port}`;
      return json(res, 200, { session_id: s.meta.id, ws_url: `${tls ? 'wss' : 'ws'}://${hostHeader}/sessions/${s.meta.id}/ws`, work_dir: s.meta.cwd });
    }
    const del = /^\/sessions\/([0-9a-fA-F-]{36})$/.exec(url.pathname);
    if (req.method === 'DELETE' && del) {
      need('spawn');
      await manager.get(del[1]).stop();
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'GET' && url.pathname === '/sessions') {
      need('view');
      return json(res, 200, { sessions: manager.list().map((s) => s.info()) });
    }
    json(res, 404, { error: { code: 'not_found', message: 'no such endpoint' } });
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://relay');
    const dc = /^\/sessions\/([0-9a-fA-F-]{36})\/ws$/.exec(url.pathname);
    if (dc) {
      const record = tokens.verify(bearer(req));
      if (!record) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      let session;
      try {
        session = manager.get(dc[1]);
      } catch {
        socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const entry = { ws, record };
        live.add(entry);
        ws.on('close', () => live.delete(entry));
        bridgeDirectConnect(ws, session, record);
      });
      return;
    }
    if (url.pathname === '/api/ws') {
      wss.handleUpgrade(req, socket, head, (ws) => acceptApi(ws));
      return;
    }
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });

  /** The page's socket: the first frame must be {op:"auth", token}; before it nothing is sent. */
  function acceptApi(ws: WebSocket): void {
    const timer = setTimeout(() => ws.close(4401, 'authentication timed out'), 10_000);
    let entry: { ws: WebSocket; record: TokenRecord; conn?: Connection } | undefined;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(4400, 'text frames only');
      const text = data.toString();
      if (!entry) {
        let msg: Record<string, unknown> | undefined;
        try {
          msg = JSON.parse(text);
        } catch {
          msg = undefined;
        }
        const record = msg && msg.op === 'auth' ? tokens.verify(msg.token) : undefined;
        clearTimeout(timer);
        if (!record) return ws.close(4401, 'unauthorized');
        entry = { ws, record };
        entry.conn = new Connection(manager, wsSink(ws), record.name, [...record.allow], opts.server);
        live.add(entry);
        return;
      }
      entry.conn!.receive(text);
    });
    ws.on('close', () => {
      clearTimeout(timer);
      if (entry) {
        entry.conn?.detach();
        live.delete(entry);
      }
    });
    ws.on('error', () => undefined);
  }

  // Revocation and changed abilities reach live sockets within a second.
  const sweep = setInterval(() => {
    for (const e of live) {
      const now = tokens.current(e.record.name, e.record.hash);
      if (!now) {
        e.conn?.detach();
        e.ws.close(4403, 'token revoked');
        live.delete(e);
      } else if (e.conn && now.allow.join() !== e.conn.caps.join()) {
        e.conn.setCaps([...now.allow]);
      }
    }
  }, 1000);
  sweep.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new CliError('ERR_LISTEN', `cannot listen on ${host}:${port}: ${err.code ?? err.message}`, EXIT.FAILURE)),
    );
    server.listen(port, host, () => resolve());
  });
  const bound = server.address();
  const actualPort = typeof bound === 'object' && bound ? bound.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `${tls ? 'https' : 'http'}://${shownHost}:${actualPort}`,
    host,
    port: actualPort,
    async close() {
      clearInterval(sweep);
      for (const e of live) e.ws.terminate();
      wss.close();
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
