/**
 * What the porcelain (cc-handoff, cc-pickup) needs to run plumbing as a user
 * would type it: pipelines of this package's own commands, with each
 * stage's errors passed through to the terminal unchanged and the first
 * failing stage's exit status kept (like `set -o pipefail`).
 *
 * A stage can also be started before its input exists (startStage): a node
 * process takes ~0.15 s to start, so a porcelain that knows what it will run
 * next starts it while it does other work, and feeds it when ready. The
 * process is the same one the user could type; only its start is earlier.
 *
 * Plain child_process, not a scripting library: loading zx cost ~0.1 s per
 * porcelain run, on the path a user waits on.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { realpathSync } from 'node:fs';
import { spawn, type ChildProcess, type IOType, type StdioOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { CliError, EXIT, type ExitCode } from '../cli/errors.ts';
import { KEY_FD_ENV } from '../cli/key-fd.ts';
import { trace } from '../cli/trace.ts';

/** The bin/ folder next to the running bundle (dist/ → ../bin), first on PATH. */
function binDir(): string {
  const here = dirname(realpathSync(fileURLToPath(import.meta.url)));
  // Bundled: dist/cc-handoff.cjs → ../bin. From source (tests): lib/handoff/ → ../../bin.
  return here.endsWith(join('lib', 'handoff')) ? join(here, '..', '..', 'bin') : join(here, '..', 'bin');
}

/** A stage failed: its own `cc-NAME: error:` line already reached stderr (or is in `stderrText` when captured). */
export class StageFailed extends CliError {
  /** The stage's stderr, when the caller asked to capture it. */
  readonly stderrText: string;
  constructor(stage: string, exitCode: number, stderrText = '') {
    super('ERR_STAGE', `${stage} failed`, exitCode as ExitCode);
    this.quiet = true;
    this.stderrText = stderrText;
  }
}

/** How pipeline() runs: text fed to the first stage, extra environment, and whether stages' stderr reaches the terminal. */
export interface RunOptions {
  input?: string;
  env?: Record<string, string | undefined>;
  /** The unlocked seed, handed to every stage on an inherited pipe (CCKIT_KEY_FD, lib/cli/key-fd.ts). */
  key?: Uint8Array;
  /**
   * 'ignore' for a question whose failure is an answer (is there a key
   * here?); 'pipe' to keep a stage's error for the caller to word.
   */
  stderr?: 'inherit' | 'ignore' | 'pipe';
  /** File descriptors the stages inherit under the same numbers (--pin-fd N, --passphrase-fd N). */
  fds?: number[];
  /** Aborting it kills the stages (work started early whose answer is no longer wanted). */
  signal?: AbortSignal;
}

/** The descriptor a stage finds the seed on: the first after stdio and any fds passed on. */
function keyFdFor(opts: RunOptions): number {
  return Math.max(2, ...(opts.fds ?? [])) + 1;
}

/**
 * Spawn one stage: stdin and stdout piped, stderr as given, `opts.fds`
 * passed on under their own numbers, and the seed (if any) on a pipe of its
 * own. That pipe holds 32 bytes, far under the kernel's buffer: written and
 * closed at once, never blocking; a stage that exits without reading it
 * (EPIPE) is no error.
 */
function spawnStage(argv: string[], opts: RunOptions, stderr: IOType): ChildProcess {
  const stdio: (IOType | number)[] = ['pipe', 'pipe', stderr];
  for (const fd of opts.fds ?? []) {
    while (stdio.length < fd) stdio.push('ignore');
    stdio[fd] = fd;
  }
  const keyFd = opts.key ? keyFdFor(opts) : undefined;
  if (keyFd !== undefined) {
    while (stdio.length < keyFd) stdio.push('ignore');
    stdio[keyFd] = 'pipe';
  }
  const child = spawn(argv[0], argv.slice(1), {
    stdio: stdio as StdioOptions,
    env: { ...process.env, ...opts.env, PATH: `${binDir()}:${process.env.PATH ?? ''}`, ...(keyFd !== undefined ? { [KEY_FD_ENV]: String(keyFd) } : {}) },
  });
  child.stdin?.on('error', () => {}); // a stage that exits without reading its input
  if (keyFd !== undefined) {
    const pipe = child.stdio[keyFd] as Writable | null;
    if (pipe) {
      pipe.on('error', () => {});
      const seed = opts.key!;
      pipe.end(Buffer.from(seed.buffer, seed.byteOffset, seed.length)); // a view: no copy left to zero
    }
  }
  return child;
}

/** Everything a readable gives, as text. */
function collect(stream: Readable | null | undefined): () => string {
  const parts: Buffer[] = [];
  stream?.on('data', (b: Buffer) => parts.push(b));
  return () => Buffer.concat(parts).toString('utf8');
}

/** The exit status once the process has exited and its output is read; a spawn failure is exit 1 with one line. */
function exited(child: ChildProcess, name: string): Promise<number> {
  return new Promise((resolve) => {
    child.on('error', (err: NodeJS.ErrnoException) => {
      process.stderr.write(`${name}: error: cannot run it: ${err.code ?? err.message}\n`);
      resolve(EXIT.FAILURE);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : EXIT.FAILURE)));
  });
}

/**
 * Run `stages` as a pipeline: stages[0] | stages[1] | … and return the last
 * stage's stdout. Throws StageFailed with the first failing stage's status.
 */
export async function pipeline(stages: string[][], opts: RunOptions = {}): Promise<string> {
  const name = stages.map((s) => s[0]).join('|');
  trace(`${name} spawn`);
  const procs = stages.map((argv) => spawnStage(argv, opts, opts.stderr ?? 'inherit'));
  // Work started early whose answer is no longer wanted: end every stage.
  const abort = () => procs.forEach((p) => p.exitCode === null && p.signalCode === null && p.kill('SIGTERM'));
  if (opts.signal?.aborted) abort();
  opts.signal?.addEventListener('abort', abort, { once: true });
  const stderrs = procs.map((p) => (opts.stderr === 'pipe' ? collect(p.stderr) : () => ''));
  const stdout = collect(procs[procs.length - 1].stdout);
  for (let i = 1; i < procs.length; i++) procs[i - 1].stdout!.pipe(procs[i].stdin!);
  procs[0].stdin!.end(opts.input ?? '');
  const codes = await Promise.all(procs.map((p, i) => exited(p, stages[i][0])));
  opts.signal?.removeEventListener('abort', abort);
  trace(`${name} exited`);
  for (const [i, code] of codes.entries()) {
    if (code !== 0) throw new StageFailed(stages[i][0], code, stderrs[i]());
  }
  return stdout();
}

/** A stage started ahead of its input (startStage). */
export interface StartedStage {
  /** Feed it `input` (once) and get its stdout, as pipeline() would. */
  run(input?: string): Promise<string>;
  /** Not needed after all: end it, silently (what it wrote so far is dropped). */
  cancel(): void;
}

/**
 * Start one stage now and feed it later. Its stderr is held back until it
 * is fed, so a stage that is cancelled (the porcelain failed first, with its
 * own error line) never adds a second error; once fed, it reaches the
 * terminal as with pipeline().
 */
export function startStage(argv: string[], opts: Omit<RunOptions, 'input'> = {}): StartedStage {
  trace(`${argv[0]} spawn (ahead of its input)`);
  const child = spawnStage(argv, opts, opts.stderr === 'ignore' ? 'ignore' : 'pipe');
  const stdout = collect(child.stdout);
  const held: Buffer[] = [];
  let fed = false;
  child.stderr?.on('data', (b: Buffer) => {
    if (fed && opts.stderr !== 'pipe') process.stderr.write(b);
    else held.push(b);
  });
  const code = exited(child, argv[0]);
  let cancelled = false;
  return {
    async run(input = '') {
      if (cancelled) throw new Error(`${argv[0]} was cancelled`);
      fed = true;
      trace(`${argv[0]} fed`);
      if (opts.stderr !== 'pipe' && held.length) process.stderr.write(Buffer.concat(held.splice(0)));
      child.stdin!.end(input);
      const status = await code;
      trace(`${argv[0]} exited`);
      if (status !== 0) throw new StageFailed(argv[0], status, opts.stderr === 'pipe' ? Buffer.concat(held).toString('utf8') : '');
      return stdout();
    },
    cancel() {
      if (fed || cancelled) return;
      cancelled = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      child.stdin?.destroy();
    },
  };
}

/** cc-resume started ahead of its input, to be handed the terminal (startHandOver). */
export interface StartedHandOver {
  /** Feed it `input` and wait for it (and claude) to exit; returns the exit status. */
  run(input: string): Promise<number>;
  /** Not needed after all (the pickup failed): end it silently. */
  cancel(): void;
}

/**
 * Start one plumbing command that will get the terminal (cc-resume → claude):
 * stdout and stderr inherited, stdin the pipe its input comes on. It reads
 * its input before anything else, so until run() it only waits.
 */
export function startHandOver(argv: string[]): StartedHandOver {
  trace(`${argv[0]} spawn (ahead of its input)`);
  const child = spawn(argv[0], argv.slice(1), {
    stdio: ['pipe', 'inherit', 'inherit'],
    env: { ...process.env, PATH: `${binDir()}:${process.env.PATH ?? ''}` },
  });
  child.stdin!.on('error', () => {});
  const status = new Promise<number>((resolve) => {
    child.on('error', () => resolve(EXIT.FAILURE));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : EXIT.FAILURE)));
  });
  let fed = false;
  return {
    run(input) {
      fed = true;
      trace(`${argv[0]} fed`);
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
      child.stdin!.end(input);
      return status;
    },
    cancel() {
      if (fed) return;
      fed = true;
      child.stdin!.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}

/** Run one plumbing command with the terminal handed over (for cc-resume → claude). */
export function handOver(argv: string[], input: string): Promise<number> {
  return startHandOver(argv).run(input);
}
