/**
 * The client side of the wire protocol over any byte stream: waits for the
 * server's hello, numbers requests, matches answers, hands events and tail
 * ends to the caller. Server frames are untrusted: malformed ones are
 * reported, never thrown.
 */
import { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import { CliError, EXIT, type ExitCode } from '../cli/errors.ts';
import { readFrames } from './frames.ts';
import { PROTOCOL_VERSION } from './protocol.ts';
import { socketPath } from './unix-server.ts';

/** Largest frame a client accepts from a server (events carry claude's lines). */
const MAX_SERVER_FRAME = 16 << 20;

export interface Hello {
  v: number;
  server: string | null;
  who: string;
  caps: string[];
}

/** Wire error codes → exit statuses (DESIGN.md §2). */
const EXIT_OF: Record<string, ExitCode> = {
  bad_request: EXIT.USAGE,
  unknown_op: EXIT.USAGE,
  unsupported_version: EXIT.FAILURE,
  not_found: EXIT.NOT_FOUND,
  forbidden: EXIT.AUTH,
  unauthorized: EXIT.AUTH,
  revoked: EXIT.EXPIRED,
};

/** A wire error as a CliError the command runner prints. */
export function wireError(err: unknown): CliError {
  const e = (err ?? {}) as { code?: unknown; message?: unknown; hint?: unknown };
  const code = typeof e.code === 'string' ? e.code : 'error';
  const message = typeof e.message === 'string' ? e.message : 'the server reported an error';
  return new CliError(`ERR_${code.toUpperCase()}`, message, EXIT_OF[code] ?? EXIT.FAILURE, typeof e.hint === 'string' ? e.hint : undefined);
}

type Pending = { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void };

/** A connected client. */
export class RelayClient {
  private next = 1;
  private pending = new Map<number, Pending>();
  private helloWait: Promise<Hello>;
  /** Events: `{session, ev}` frames. */
  onEvent: (session: string, ev: Record<string, unknown>, raw: string) => void = () => undefined;
  /** A non-follow tail (or one the server ended) finished. */
  onTailEnd: (id: number, lastSeq: number) => void = () => undefined;
  /** The connection closed. */
  onClose: (err?: Error) => void = () => undefined;

  constructor(private readonly stream: Duplex) {
    let gotHello: (h: Hello) => void;
    let helloFailed: (e: Error) => void;
    this.helloWait = new Promise<Hello>((res, rej) => {
      gotHello = res;
      helloFailed = rej;
    });
    this.helloWait.catch(() => undefined);
    let hello = false;
    readFrames(stream, MAX_SERVER_FRAME, (line) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line);
      } catch {
        return; // not a frame we understand: ignored, not fatal
      }
      if (!msg || typeof msg !== 'object') return;
      if (!hello) {
        hello = true;
        if (msg.v !== PROTOCOL_VERSION) {
          helloFailed(new CliError('ERR_VERSION', `the server speaks protocol ${String(msg.v).slice(0, 20)}, this client ${PROTOCOL_VERSION}`, EXIT.FAILURE));
          stream.destroy();
          return;
        }
        gotHello(msg as unknown as Hello);
        return;
      }
      if (msg.ev && typeof msg.ev === 'object' && typeof msg.session === 'string') {
        this.onEvent(msg.session, msg.ev as Record<string, unknown>, line);
        return;
      }
      if (msg.end === true && typeof msg.id === 'number') {
        this.onTailEnd(msg.id, Number(msg.last_seq) || 0);
        return;
      }
      if (typeof msg.id === 'number' && this.pending.has(msg.id)) {
        const p = this.pending.get(msg.id)!;
        this.pending.delete(msg.id);
        if (msg.ok === true) p.resolve(msg);
        else p.reject(wireError(msg.error));
      }
    }, () => stream.destroy(new Error('the server sent a frame that is too large')));
    const closed = (err?: Error) => {
      helloFailed(new CliError('ERR_CLOSED', err ? `connection failed: ${err.message}` : 'the server closed the connection', EXIT.FAILURE));
      for (const p of this.pending.values()) p.reject(new CliError('ERR_CLOSED', 'the connection to the server closed', EXIT.FAILURE));
      this.pending.clear();
      this.onClose(err);
    };
    stream.on('error', (err) => closed(err));
    stream.on('close', () => closed());
  }

  /** The server's hello. */
  hello(): Promise<Hello> {
    return this.helloWait;
  }

  /** Send a request; resolves with the ok answer, rejects with its error as a CliError. */
  request(op: string, fields: Record<string, unknown> = {}): Promise<Record<string, unknown> & { id: number }> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as never, reject });
      this.stream.write(JSON.stringify({ ...fields, id, op }) + '\n');
    });
  }

  /** The id the next request will get (a tail's end carries it). */
  get nextId(): number {
    return this.next;
  }

  close(): void {
    this.stream.end();
    this.stream.destroy();
  }
}

/** Connect to the local server's unix socket. */
export async function connectLocal(path = socketPath()): Promise<RelayClient> {
  const sock = createConnection(path);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', () => resolve());
    sock.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
        reject(new CliError('ERR_NO_SERVER', 'no relay server is running on this host', EXIT.NOT_FOUND, "start one with 'cc-relay serve'"));
      } else reject(new CliError('ERR_CONNECT', `cannot connect to ${path}: ${err.code ?? err.message}`, EXIT.FAILURE));
    });
  });
  const client = new RelayClient(sock);
  await client.hello();
  return client;
}
