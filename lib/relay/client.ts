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

/** How a client reaches its server: one frame out, close. */
export interface ClientTransport {
  send(line: string): void;
  close(): void;
}

/** A connected client. Transports feed it frames with feed() and report the end with closed(). */
export class RelayClient {
  private next = 1;
  private pending = new Map<number, Pending>();
  private helloWait: Promise<Hello>;
  private gotHello!: (h: Hello) => void;
  private helloFailed!: (e: Error) => void;
  private hello_ = false;
  private ended = false;
  /** Events: `{session, ev}` frames. */
  onEvent: (session: string, ev: Record<string, unknown>, raw: string) => void = () => undefined;
  /** A non-follow tail (or one the server ended) finished. */
  onTailEnd: (id: number, lastSeq: number) => void = () => undefined;
  /** The connection closed. */
  onClose: (err?: Error) => void = () => undefined;

  constructor(private readonly transport: ClientTransport) {
    this.helloWait = new Promise<Hello>((res, rej) => {
      this.gotHello = res;
      this.helloFailed = rej;
    });
    this.helloWait.catch(() => undefined);
  }

  /** One frame from the server. */
  feed(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line);
    } catch {
      return; // not a frame we understand: ignored, not fatal
    }
    if (!msg || typeof msg !== 'object') return;
    if (!this.hello_) {
      this.hello_ = true;
      if (msg.v !== PROTOCOL_VERSION) {
        this.helloFailed(new CliError('ERR_VERSION', `the server speaks protocol ${String(msg.v).slice(0, 20)}, this client ${PROTOCOL_VERSION}`, EXIT.FAILURE));
        this.transport.close();
        return;
      }
      this.gotHello(msg as unknown as Hello);
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
  }

  /** The transport ended (err: how). */
  closed(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.helloFailed(err instanceof CliError ? err : new CliError('ERR_CLOSED', err ? `connection failed: ${err.message}` : 'the server closed the connection', EXIT.FAILURE));
    for (const p of this.pending.values()) p.reject(new CliError('ERR_CLOSED', 'the connection to the server closed', EXIT.FAILURE));
    this.pending.clear();
    this.onClose(err);
  }

  /** The server's hello. */
  hello(): Promise<Hello> {
    return this.helloWait;
  }

  /** Send a request; resolves with the ok answer, rejects with its error as a CliError. */
  request(op: string, fields: Record<string, unknown> = {}): Promise<Record<string, unknown> & { id: number }> {
    const id = this.next++;
    if (this.ended) return Promise.reject(new CliError('ERR_CLOSED', 'the connection to the server closed', EXIT.FAILURE));
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as never, reject });
      this.transport.send(JSON.stringify({ ...fields, id, op }));
    });
  }

  /** The id the next request will get (a tail's end carries it). */
  get nextId(): number {
    return this.next;
  }

  close(): void {
    this.transport.close();
  }
}

/** A client over a byte stream (unix socket). */
export function clientOverStream(stream: Duplex): RelayClient {
  const client = new RelayClient({
    send: (line) => stream.write(line + '\n'),
    close: () => {
      stream.end();
      stream.destroy();
    },
  });
  readFrames(stream, MAX_SERVER_FRAME, (line) => client.feed(line), () => stream.destroy(new Error('the server sent a frame that is too large')));
  stream.on('error', (err) => client.closed(err));
  stream.on('close', () => client.closed());
  return client;
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
  const client = clientOverStream(sock);
  await client.hello();
  return client;
}
