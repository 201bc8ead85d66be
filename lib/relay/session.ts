/**
 * One hosted Claude Code session: its claude process (through the stream-json
 * driver), its event log, the single-writer lease, pending permission
 * requests (first decision wins, optional deadline with a default) and send
 * idempotence by localId. Every state change is an event in the log first.
 */
import { randomUUID } from 'node:crypto';
import { StreamDriver, interruptRequest, permissionResponse, userMessage } from '../claude/stream-driver.ts';
import { CliError, EXIT } from '../cli/errors.ts';
import { EventLog, type LogEvent } from './event-log.ts';

export type SessionState = 'starting' | 'running' | 'idle' | 'exited';

export interface SessionMeta {
  id: string;
  cwd: string;
  created: number;
  /** Who spawned it. */
  by: string;
  permission_mode?: string;
  /** An existing Claude Code session taken over with --resume (it has a transcript from the start). */
  adopted?: boolean;
}

export interface SessionEnv {
  bin: string;
  env?: NodeJS.ProcessEnv;
  /** Milliseconds a lease lasts without a send or renew. */
  leaseIdleMs: number;
  /** Milliseconds a permission request waits before its default decision (0: forever). */
  approvalTimeoutMs: number;
  approvalDefault: 'allow' | 'deny';
}

interface Pending {
  request_id: string;
  tool: string;
  input: unknown;
  tool_use_id?: unknown;
  deadline: number | null;
  timer?: NodeJS.Timeout;
}

/** The error a client gets, with a stable code for the wire. */
export class OpError extends CliError {}
const opError = (code: string, message: string, exit: 1 | 2 | 3 | 4 | 5 = 1, hint?: string) => new OpError(code, message, exit as never, hint);

/** Remembered localIds per session: enough for any realistic retry window. */
const LOCAL_IDS = 10000;

/** A hosted session. */
export class Session {
  readonly meta: SessionMeta;
  readonly log: EventLog;
  private driver?: StreamDriver;
  state: SessionState = 'exited';
  exitCode: number | null = null;
  private pending = new Map<string, Pending>();
  private decided = new Map<string, string>(); // request_id → who (bounded with LOCAL_IDS)
  private localIds = new Map<string, number>(); // localId → seq of its input event
  lease: { who: string; until: number } | null = null;
  lastResult: Record<string, unknown> | null = null;
  /** Whether claude has a transcript to --resume (a message was ever sent, or the session was adopted). */
  private hadInput = false;
  private interruptWaiters = new Map<string, () => void>();
  private exitWaiters: (() => void)[] = [];

  constructor(meta: SessionMeta, logDir: string, private readonly env: SessionEnv) {
    this.meta = meta;
    const unresolved = new Map<string, LogEvent>();
    this.log = new EventLog(logDir, meta.id, (ev) => this.replay(ev, unresolved));
    // A permission left open when the last server stopped can no longer be answered: its claude is gone.
    for (const ev of unresolved.values()) {
      this.log.append('decision', { request_id: ev.request_id, behavior: 'deny', who: 'cc-relay', message: 'the session exited before a decision' });
    }
    if (this.state !== 'exited') this.log.append('state', { state: 'exited', code: null });
    this.state = 'exited';
  }

  /** Rebuild what a restarted server needs from the log: localIds, decisions, the last result. */
  private replay(ev: LogEvent, unresolved: Map<string, LogEvent>): void {
    switch (ev.kind) {
      case 'input':
        this.hadInput = true;
        if (typeof ev.localId === 'string') this.remember(ev.localId, ev.seq);
        break;
      case 'permission':
        unresolved.set(String(ev.request_id), ev);
        break;
      case 'decision':
        unresolved.delete(String(ev.request_id));
        this.rememberDecision(String(ev.request_id), String(ev.who));
        break;
      case 'state':
        this.state = ev.state as SessionState;
        this.exitCode = (ev.code as number | null) ?? null;
        break;
      case 'claude': {
        const msg = ev.msg as Record<string, unknown> | undefined;
        if (msg && msg.type === 'result') this.lastResult = msg;
        break;
      }
    }
  }

  private remember(localId: string, seq: number): void {
    this.localIds.set(localId, seq);
    if (this.localIds.size > LOCAL_IDS) this.localIds.delete(this.localIds.keys().next().value as string);
  }

  private rememberDecision(requestId: string, who: string): void {
    this.decided.set(requestId, who);
    if (this.decided.size > LOCAL_IDS) this.decided.delete(this.decided.keys().next().value as string);
  }

  get alive(): boolean {
    return !!this.driver?.alive;
  }

  /** Start claude: a new session (first start) or --resume (adopting, or after an exit). */
  start(opts: { resume: boolean }): void {
    if (this.alive) return;
    this.state = 'starting';
    this.log.append('state', { state: 'starting', resume: opts.resume });
    this.driver = new StreamDriver({
      bin: this.env.bin,
      cwd: this.meta.cwd,
      env: this.env.env,
      sessionId: opts.resume ? undefined : this.meta.id,
      resume: opts.resume ? this.meta.id : undefined,
      permissionMode: this.meta.permission_mode,
      onLine: (msg) => this.onClaude(msg),
      onExit: (code) => this.onExit(code),
    });
    this.setState('idle');
  }

  private setState(state: SessionState, extra: Record<string, unknown> = {}): void {
    if (this.state === state) return;
    this.state = state;
    this.log.append('state', { state, ...extra });
  }

  private onClaude(msg: Record<string, unknown>): void {
    if (msg.type === 'control_request') {
      const req = (msg.request ?? {}) as Record<string, unknown>;
      if (req.subtype === 'can_use_tool' && typeof msg.request_id === 'string') return this.onPermission(msg.request_id, req);
    }
    if (msg.type === 'control_response') {
      const resp = (msg.response ?? {}) as Record<string, unknown>;
      const waiter = this.interruptWaiters.get(String(resp.request_id));
      if (waiter) {
        this.interruptWaiters.delete(String(resp.request_id));
        waiter();
      }
    }
    this.log.append('claude', { msg });
    if (msg.type === 'result') {
      this.lastResult = msg;
      this.setState('idle');
    }
  }

  private onPermission(requestId: string, req: Record<string, unknown>): void {
    const timeout = this.env.approvalTimeoutMs;
    const p: Pending = {
      request_id: requestId,
      tool: String(req.tool_name ?? req.display_name ?? 'unknown'),
      input: req.input ?? {},
      tool_use_id: req.tool_use_id,
      deadline: timeout > 0 ? Date.now() + timeout : null,
    };
    this.pending.set(requestId, p);
    this.log.append('permission', {
      request_id: requestId,
      tool: p.tool,
      input: p.input,
      tool_use_id: p.tool_use_id ?? null,
      description: typeof req.description === 'string' ? req.description : null,
      deadline: p.deadline,
      default: p.deadline ? this.env.approvalDefault : null,
    });
    if (p.deadline) {
      p.timer = setTimeout(() => {
        void this.decide(requestId, this.env.approvalDefault, 'deadline', { message: 'no decision before the deadline' }).catch(() => undefined);
      }, timeout);
      p.timer.unref();
    }
  }

  private onExit(code: number | null): void {
    this.driver = undefined;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      this.log.append('decision', { request_id: p.request_id, behavior: 'deny', who: 'cc-relay', message: 'the session exited before a decision' });
      this.rememberDecision(p.request_id, 'cc-relay');
    }
    this.pending.clear();
    for (const w of this.interruptWaiters.values()) w();
    this.interruptWaiters.clear();
    this.exitCode = code;
    this.setState('exited', { code });
    for (const w of this.exitWaiters.splice(0)) w();
  }

  /** Throws busy unless `who` may write now (taking a free or lapsed lease). */
  private holdLease(who: string): void {
    const now = Date.now();
    if (this.lease && this.lease.who !== who && this.lease.until > now) {
      throw opError('busy', `busy: held by ${this.lease.who}`, 1, `wait, or take over with 'cc-relay lease PEER SESSION take --force'`);
    }
    const fresh = !this.lease || this.lease.who !== who || this.lease.until <= now;
    this.lease = { who, until: now + this.env.leaseIdleMs };
    if (fresh) this.log.append('lease', { who, until: this.lease.until });
  }

  /** take (force: even from another holder) or release the writer slot. */
  leaseOp(who: string, action: 'take' | 'release', force: boolean): { who: string | null; until: number | null } {
    if (action === 'release') {
      if (this.lease && this.lease.who === who) {
        this.lease = null;
        this.log.append('lease', { who: null, released_by: who });
      }
      return { who: this.lease?.who ?? null, until: this.lease?.until ?? null };
    }
    const now = Date.now();
    if (force && this.lease && this.lease.who !== who && this.lease.until > now) {
      const from = this.lease.who;
      this.lease = { who, until: now + this.env.leaseIdleMs };
      this.log.append('lease', { who, until: this.lease.until, taken_from: from });
    } else {
      this.holdLease(who);
    }
    return { who: this.lease!.who, until: this.lease!.until };
  }

  /**
   * Send a user message; resolves once it is written to claude's stdin.
   * The same localId again returns the first send's seq and is not applied twice.
   */
  async send(who: string, content: string | unknown[], localId?: string): Promise<{ seq: number; duplicate: boolean }> {
    if (localId !== undefined) {
      const seen = this.localIds.get(localId);
      if (seen !== undefined) return { seq: seen, duplicate: true };
    }
    this.holdLease(who);
    // An exited session picks up where it stopped; one that never had a message starts afresh under its id.
    if (!this.alive) this.start({ resume: this.hadInput || this.meta.adopted === true });
    this.hadInput = true;
    const ev = this.log.append('input', { who, localId: localId ?? null, content });
    if (localId !== undefined) this.remember(localId, ev.seq);
    this.setState('running');
    await this.driver!.write(userMessage(content));
    return { seq: ev.seq, duplicate: false };
  }

  /** First decision wins; a later one fails naming who decided. */
  async decide(requestId: string, behavior: 'allow' | 'deny', who: string, opts: { updatedInput?: unknown; message?: string } = {}): Promise<{ seq: number }> {
    const p = this.pending.get(requestId);
    if (!p) {
      const by = this.decided.get(requestId);
      if (by !== undefined) throw opError('already_decided', `request ${requestId} was already decided by ${by}`, 1);
      throw opError('not_found', `no pending request ${requestId}`, 3);
    }
    this.pending.delete(requestId);
    clearTimeout(p.timer);
    this.rememberDecision(requestId, who);
    const message = opts.message ?? (behavior === 'deny' ? `denied by ${who}` : undefined);
    const ev = this.log.append('decision', { request_id: requestId, behavior, who, message: message ?? null });
    const decision =
      behavior === 'allow'
        ? { behavior: 'allow' as const, updatedInput: opts.updatedInput ?? p.input }
        : { behavior: 'deny' as const, message: message! };
    if (this.alive) await this.driver!.write(permissionResponse(requestId, decision));
    return { seq: ev.seq };
  }

  /** The interrupt control request; resolves when claude acknowledged it (or exited). */
  async interrupt(who: string): Promise<{ seq: number }> {
    if (!this.alive) throw opError('not_running', 'the session is not running', 1);
    const requestId = randomUUID();
    const ev = this.log.append('interrupt', { who, request_id: requestId });
    const acked = new Promise<void>((resolve) => {
      this.interruptWaiters.set(requestId, resolve);
      setTimeout(resolve, 10000).unref();
    });
    await this.driver!.write(interruptRequest(requestId));
    await acked;
    return { seq: ev.seq };
  }

  /** End claude: close its stdin, SIGTERM after `graceMs`. Resolves when it exited. */
  stop(graceMs = 5000): Promise<void> {
    if (!this.driver) return Promise.resolve();
    const driver = this.driver;
    const done = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    driver.endInput();
    const timer = setTimeout(() => driver.kill('SIGTERM'), graceMs);
    timer.unref();
    return done.then(() => clearTimeout(timer));
  }

  /** What `info` and `list` show. */
  info(): Record<string, unknown> {
    const r = this.lastResult;
    const now = Date.now();
    return {
      session: this.meta.id,
      cwd: this.meta.cwd,
      created: this.meta.created,
      state: this.state,
      exit_code: this.exitCode,
      last_seq: this.log.lastSeq,
      lease: this.lease && this.lease.until > now ? { who: this.lease.who, until: this.lease.until } : null,
      pending: [...this.pending.values()].map((p) => ({ request_id: p.request_id, tool: p.tool, input: p.input, deadline: p.deadline })),
      cost_usd: r && typeof r.total_cost_usd === 'number' ? r.total_cost_usd : null,
      usage: r?.usage ?? null,
      num_turns: r?.num_turns ?? null,
    };
  }
}
