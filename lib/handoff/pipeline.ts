/**
 * What the porcelain (cc-handoff, cc-pickup) needs to run plumbing as a user
 * would type it: pipelines of this package's own commands (zx), with each
 * stage's errors passed through to the terminal unchanged and the first
 * failing stage's exit status kept (like `set -o pipefail`).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { realpathSync } from 'node:fs';
import { spawn, type ChildProcess, type IOType, type SpawnOptions, type StdioOptions } from 'node:child_process';
import type { Writable } from 'node:stream';
import { CliError, type ExitCode } from '../cli/errors.ts';
import { KEY_FD_ENV } from '../cli/key-fd.ts';

/**
 * spawn(), plus a pipe on fd `keyFd` carrying the seed. The pipe holds 32 bytes,
 * far under the kernel's buffer: written and closed at once, never blocking.
 * A stage that exits without reading it (EPIPE) is no error.
 */
function spawnWithKey(seed: Uint8Array, keyFd: number): typeof spawn {
  const withKey = (cmd: string, args: readonly string[], options: SpawnOptions): ChildProcess => {
    const stdio = ([] as unknown[]).concat(options.stdio ?? ['pipe', 'pipe', 'pipe']);
    while (stdio.length < keyFd) stdio.push('ignore');
    stdio[keyFd] = 'pipe';
    const child = spawn(cmd, args, { ...options, stdio: stdio as SpawnOptions['stdio'] });
    const pipe = child.stdio[keyFd] as Writable | null;
    if (pipe) {
      pipe.on('error', () => {});
      pipe.end(Buffer.from(seed.buffer, seed.byteOffset, seed.length)); // a view: no copy left to zero
    }
    return child;
  };
  return withKey as unknown as typeof spawn; // zx always calls spawn(cmd, args, options)
}

/** The bin/ folder next to the running bundle (dist/ → ../bin), first on PATH. */
function binDir(): string {
  const here = dirname(realpathSync(fileURLToPath(import.meta.url)));
  // Bundled: dist/cc-handoff.js → ../bin. From source (tests): lib/handoff/ → ../../bin.
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

/** stdin and stdout piped; stderr as asked; fds passed on under their own numbers, nothing else. */
function stdioFor(opts: RunOptions): StdioOptions {
  const stdio: (IOType | number)[] = ['pipe', 'pipe', opts.stderr ?? 'inherit'];
  for (const fd of opts.fds ?? []) {
    while (stdio.length < fd) stdio.push('ignore');
    stdio[fd] = fd;
  }
  return stdio;
}

/** The descriptor a stage finds the seed on: the first after stdio and any fds passed on. */
function keyFdFor(opts: RunOptions): number {
  return Math.max(2, ...(opts.fds ?? [])) + 1;
}

/**
 * Run `stages` as a pipeline: stages[0] | stages[1] | … and return the last
 * stage's stdout. Throws StageFailed with the first failing stage's status.
 */
export async function pipeline(stages: string[][], opts: RunOptions = {}): Promise<string> {
  const { $ } = await import('zx');
  const options = {
    quiet: true,
    verbose: false,
    nothrow: true,
    stdio: stdioFor(opts),
    env: { ...process.env, ...opts.env, PATH: `${binDir()}:${process.env.PATH ?? ''}`, ...(opts.key ? { [KEY_FD_ENV]: String(keyFdFor(opts)) } : {}) },
    ...(opts.key ? { spawn: spawnWithKey(opts.key, keyFdFor(opts)) } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  const base = $(options);
  const procs = [];
  let prev;
  for (const [i, argv] of stages.entries()) {
    const p = i === 0 && opts.input !== undefined ? $({ ...options, input: opts.input })`${argv}` : base`${argv}`;
    procs.push(p);
    prev = prev ? prev.pipe(p) : p;
  }
  const results = await Promise.all(procs);
  for (const [i, r] of results.entries()) {
    if (r.exitCode !== 0) throw new StageFailed(stages[i][0], r.exitCode ?? 1, opts.stderr === 'pipe' ? r.stderr : '');
  }
  return results[results.length - 1].stdout;
}

/** Run one plumbing command with the terminal handed over (for cc-resume → claude). */
export async function handOver(argv: string[], input: string): Promise<number> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), {
      stdio: ['pipe', 'inherit', 'inherit'],
      env: { ...process.env, PATH: `${binDir()}:${process.env.PATH ?? ''}` },
    });
    child.stdin.end(input);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
