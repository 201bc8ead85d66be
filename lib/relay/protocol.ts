/**
 * The relay wire protocol (DESIGN.md §8), one instance per client
 * connection, independent of the transport (unix socket, HyperDHT stream,
 * WebSocket): NDJSON frames, a hello from the server, `{id, op, …}`
 * requests answered `{id, ok, …}`, events as `{session, ev}`. Each op is
 * gated by the connection's capabilities. Tails are pumped from the event
 * log with backpressure, so a slow client costs the server no memory.
 */
import { CliError } from '../cli/errors.ts';
import type { SessionManager } from './manager.ts';
import { OpError, type Session } from './session.ts';

export const PROTOCOL_VERSION = 1;
export type Cap = 'view' | 'send' | 'approve' | 'spawn';
export const ALL_CAPS: Cap[] = ['view', 'send', 'approve', 'spawn'];

/** The capability each op needs. */
export const OP_CAPS: Record<string, Cap> = {
  list: 'view',
  info: 'view',
  tail: 'view',
  send: 'send',
  lease: 'send',
  interrupt: 'send',
  decide: 'approve',
  spawn: 'spawn',
  stop: 'spawn',
};

/** Largest request frame accepted (a send with content blocks fits easily). */
export const MAX_FRAME = 1 << 20;

/** What a transport gives the protocol. */
export interface FrameSink {
  /** Write one frame (without newline); false when the transport's buffer is full. */
  write(frame: string): boolean;
  /** Called once when the transport can take more after write returned false. */
  onDrain(fn: () => void): void;
  /** End the connection. */
  close(): void;
}

interface Tail {
  id: unknown;
  session: Session;
  cursor: number;
  follow: boolean;
  unsubscribe?: () => void;
  scheduled: boolean;
}

/** One client connection. */
export class Connection {
  private tails = new Set<Tail>();
  private blocked = false;
  private closed = false;

  constructor(
    private readonly manager: SessionManager,
    private readonly sink: FrameSink,
    public who: string,
    public caps: Cap[],
    server: string | null,
  ) {
    sink.write(JSON.stringify({ v: PROTOCOL_VERSION, server, who, caps }));
  }

  /** New capabilities (a changed allow list): tails end if view was taken away. */
  setCaps(caps: Cap[]): void {
    this.caps = caps;
    if (!caps.includes('view')) for (const t of this.tails) this.endTail(t);
  }

  /** Handle one incoming frame. */
  receive(line: string): void {
    if (this.closed || line.trim() === '') return;
    if (line.length > MAX_FRAME) return this.fail(null, 'too_large', `frame larger than ${MAX_FRAME} bytes`);
    let req: Record<string, unknown>;
    try {
      req = JSON.parse(line);
    } catch {
      return this.fail(null, 'bad_request', 'frame is not JSON');
    }
    if (!req || typeof req !== 'object' || Array.isArray(req)) return this.fail(null, 'bad_request', 'frame is not a JSON object');
    const id = req.id ?? null;
    if (req.v !== undefined && req.v !== PROTOCOL_VERSION) return this.fail(id, 'unsupported_version', `protocol version ${String(req.v).slice(0, 20)} is not supported (this server speaks ${PROTOCOL_VERSION})`);
    if (typeof req.op !== 'string') return this.fail(id, 'bad_request', 'request has no op');
    const cap = OP_CAPS[req.op];
    if (!cap) return this.fail(id, 'unknown_op', `unknown op '${req.op.slice(0, 40)}'`);
    if (!this.caps.includes(cap)) return this.fail(id, 'forbidden', `${this.who} may not ${req.op} (needs '${cap}')`);
    Promise.resolve()
      .then(() => this.dispatch(req.op as string, id, req))
      .then(
        (result) => {
          if (result !== undefined) this.reply(id, result);
        },
        (err) => {
          if (err instanceof CliError) this.fail(id, err instanceof OpError ? err.code : err.code.replace(/^ERR_/, '').toLowerCase(), err.message, err.hint);
          else this.fail(id, 'internal', (err as Error).message?.split('\n')[0] ?? 'internal error');
        },
      );
  }

  private async dispatch(op: string, id: unknown, req: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    switch (op) {
      case 'list':
        return { sessions: this.manager.list().map((s) => s.info()) };
      case 'info':
        return this.manager.get(req.session).info();
      case 'spawn': {
        const s = this.manager.spawn(this.who, req);
        return s.info();
      }
      case 'tail': {
        const s = this.manager.get(req.session);
        const since = req.since === undefined ? 0 : req.since;
        if (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0) throw new OpError('bad_request', 'since must be a whole number', 2);
        this.reply(id, { session: s.meta.id, since, last_seq: s.log.lastSeq });
        this.startTail({ id, session: s, cursor: Math.min(since, s.log.lastSeq), follow: req.follow === true, scheduled: false });
        return undefined;
      }
      case 'send': {
        const s = this.manager.get(req.session);
        const content = req.content ?? req.text;
        if (typeof content !== 'string' && !Array.isArray(content)) throw new OpError('bad_request', 'send needs text or content', 2);
        if (typeof content === 'string' && content.trim() === '') throw new OpError('bad_request', 'empty message', 2);
        if (req.localId !== undefined && (typeof req.localId !== 'string' || req.localId.length > 200)) throw new OpError('bad_request', 'localId must be a string', 2);
        return { session: s.meta.id, ...(await s.send(this.who, content, req.localId as string | undefined)) };
      }
      case 'decide': {
        const s = this.manager.get(req.session);
        const behavior = req.behavior ?? req.decision;
        if (behavior !== 'allow' && behavior !== 'deny') throw new OpError('bad_request', 'decide needs allow or deny', 2);
        if (typeof req.request_id !== 'string') throw new OpError('bad_request', 'decide needs request_id', 2);
        if (req.message !== undefined && typeof req.message !== 'string') throw new OpError('bad_request', 'message must be a string', 2);
        return { session: s.meta.id, ...(await s.decide(req.request_id, behavior, this.who, { updatedInput: req.updatedInput, message: req.message as string | undefined })) };
      }
      case 'interrupt': {
        const s = this.manager.get(req.session);
        return { session: s.meta.id, ...(await s.interrupt(this.who)) };
      }
      case 'lease': {
        const s = this.manager.get(req.session);
        const action = req.action ?? 'take';
        if (action !== 'take' && action !== 'release') throw new OpError('bad_request', 'lease action is take or release', 2);
        return { session: s.meta.id, lease: s.leaseOp(this.who, action, req.force === true) };
      }
      case 'stop': {
        const s = this.manager.get(req.session);
        await s.stop();
        return s.info();
      }
    }
    return undefined;
  }

  private startTail(t: Tail): void {
    this.tails.add(t);
    if (t.follow) t.unsubscribe = t.session.log.subscribe(() => this.schedule(t));
    this.schedule(t);
  }

  private schedule(t: Tail): void {
    if (t.scheduled || this.blocked || this.closed) return;
    t.scheduled = true;
    // A microtask, not a loop turn: a live event leaves in the same tick it was logged,
    // after the code that appended it (and any events appended with it) has finished.
    queueMicrotask(() => {
      t.scheduled = false;
      this.pump(t);
    });
  }

  /** Send what the tail has not seen yet, stopping while the transport is full. */
  private pump(t: Tail): void {
    if (!this.tails.has(t) || this.closed) return;
    const prefix = `{"session":${JSON.stringify(t.session.meta.id)},"ev":`;
    while (t.cursor < t.session.log.lastSeq) {
      const lines = t.session.log.readAfter(t.cursor, 256);
      if (lines.length === 0) break;
      let ok = true;
      for (const line of lines) ok = this.sink.write(prefix + line + '}') && ok;
      t.cursor += lines.length;
      if (!ok) {
        this.blocked = true;
        this.sink.onDrain(() => {
          this.blocked = false;
          for (const other of this.tails) this.schedule(other);
        });
        return;
      }
    }
    if (!t.follow) {
      this.sink.write(JSON.stringify({ id: t.id, end: true, session: t.session.meta.id, last_seq: t.cursor }));
      this.tails.delete(t);
    }
  }

  private endTail(t: Tail): void {
    t.unsubscribe?.();
    this.tails.delete(t);
    this.sink.write(JSON.stringify({ id: t.id, end: true, session: t.session.meta.id, last_seq: t.cursor }));
  }

  private reply(id: unknown, result: Record<string, unknown>): void {
    if (!this.closed) this.sink.write(JSON.stringify({ id, ok: true, ...result }));
  }

  private fail(id: unknown, code: string, message: string, hint?: string): void {
    if (!this.closed) this.sink.write(JSON.stringify({ id, ok: false, error: { code, message, ...(hint ? { hint } : {}) } }));
  }

  /** The transport closed: drop every subscription. */
  detach(): void {
    this.closed = true;
    for (const t of this.tails) t.unsubscribe?.();
    this.tails.clear();
  }
}
