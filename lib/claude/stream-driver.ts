/**
 * Drives one Claude Code process over its stream-json pipes (DESIGN.md §8,
 * §10): spawn it with stream-json in and out and the permission prompt on
 * stdio, hand every stdout line to the caller, write user messages, the
 * interrupt control request (never SIGINT: claude stays usable) and answers
 * to its can_use_tool requests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { CliError, EXIT } from '../cli/errors.ts';

/** The flags every driven session runs with. */
export const STREAM_FLAGS = [
  '--output-format', 'stream-json',
  '--input-format', 'stream-json',
  '--verbose',
  '--permission-prompt-tool', 'stdio',
  '--replay-user-messages',
] as const;

/** A longer stdout line than this is cut off (and reported): memory stays bounded whatever claude prints. */
export const MAX_LINE = 8 << 20;

export interface DriverOptions {
  bin: string;
  cwd: string;
  /** A new session with this id, or … */
  sessionId?: string;
  /** … an existing one to resume (same id kept). */
  resume?: string;
  permissionMode?: string;
  env?: NodeJS.ProcessEnv;
  /** One parsed stdout line (or {type:'unparsed', text} when it was not JSON). */
  onLine: (msg: Record<string, unknown>) => void;
  onExit: (code: number | null, signal: string | null) => void;
  onStderr?: (text: string) => void;
}

/** The argv (without the binary) a session is started with. */
export function driverArgs(opts: Pick<DriverOptions, 'sessionId' | 'resume' | 'permissionMode'>): string[] {
  const args: string[] = [...STREAM_FLAGS];
  if (opts.resume) args.push('--resume', opts.resume);
  else if (opts.sessionId) args.push('--session-id', opts.sessionId);
  if (opts.permissionMode) args.push('--permission-mode', opts.permissionMode);
  return args;
}

/** A user message line: text, or content blocks as the Messages API takes them. */
export function userMessage(content: string | unknown[]): Record<string, unknown> {
  return { type: 'user', message: { role: 'user', content } };
}

/** The control request that cancels the running turn. */
export function interruptRequest(requestId: string = randomUUID()): Record<string, unknown> {
  return { type: 'control_request', request_id: requestId, request: { subtype: 'interrupt' } };
}

/** The answer to a can_use_tool control request. */
export function permissionResponse(
  requestId: string,
  decision: { behavior: 'allow'; updatedInput: unknown } | { behavior: 'deny'; message: string },
): Record<string, unknown> {
  return { type: 'control_response', response: { subtype: 'success', request_id: requestId, response: decision } };
}

/** One running claude process. */
export class StreamDriver {
  readonly child: ChildProcess;
  private exited = false;

  constructor(opts: DriverOptions) {
    this.child = spawn(opts.bin, driverArgs(opts), {
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...(opts.env ?? process.env), PWD: opts.cwd },
    });
    this.child.stdin!.on('error', () => {
      /* claude went away; its exit is reported below */
    });
    const lines = createInterface({ input: this.child.stdout!, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (line.trim() === '') return;
      if (line.length > MAX_LINE) {
        opts.onLine({ type: 'unparsed', text: line.slice(0, 4096), truncated: line.length });
        return;
      }
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        opts.onLine({ type: 'unparsed', text: line.slice(0, 4096) });
        return;
      }
      if (msg && typeof msg === 'object' && !Array.isArray(msg)) opts.onLine(msg as Record<string, unknown>);
      else opts.onLine({ type: 'unparsed', text: line.slice(0, 4096) });
    });
    let errTail = '';
    this.child.stderr!.on('data', (d: Buffer) => {
      errTail = (errTail + d.toString('utf8')).slice(-4096);
      opts.onStderr?.(d.toString('utf8'));
    });
    let spawnError: NodeJS.ErrnoException | undefined;
    this.child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err;
    });
    // 'close' (not 'exit'): every stdout line has been delivered by then.
    this.child.on('close', (code, signal) => {
      this.exited = true;
      if (spawnError && spawnError.code === 'ENOENT') opts.onStderr?.(`cannot run ${opts.bin}: not found\n`);
      opts.onExit(spawnError ? 127 : code, signal);
    });
  }

  get alive(): boolean {
    return !this.exited && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Write one JSON line to claude's stdin; resolves once the pipe took it. */
  write(msg: Record<string, unknown>): Promise<void> {
    if (!this.alive || !this.child.stdin!.writable) {
      return Promise.reject(new CliError('ERR_SESSION_EXITED', 'the session has exited', EXIT.FAILURE));
    }
    return new Promise((resolve, reject) => {
      this.child.stdin!.write(JSON.stringify(msg) + '\n', (err) => {
        if (err) reject(new CliError('ERR_SESSION_EXITED', 'the session has exited', EXIT.FAILURE));
        else resolve();
      });
    });
  }

  /** Close stdin: claude finishes the turn it is in and exits. */
  endInput(): void {
    this.child.stdin!.end();
  }

  /** Last resort, after endInput had its chance. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.alive) this.child.kill(signal);
  }
}
