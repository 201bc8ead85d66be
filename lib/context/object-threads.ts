/**
 * Sealing (push) and opening (pull) many small objects on more than one core.
 * 10,000 small files are CPU work per file (an X25519 share, HKDF, ChaCha20,
 * two SHA-256) with one thread busy and the other cores idle; rclone copy,
 * the reference, uses them all. Each extra thread is the worker bundle beside
 * this one (dist/main/context-object-worker.cjs, lib/context/object-worker.ts):
 * it gets its share of the jobs when it starts and answers once, with every
 * outcome, when it is done; no per-job messages, nothing to wait on but its
 * exit. This thread does its own share meanwhile. A thread costs ~30 ms to
 * start, so small pushes and pulls (incremental ones above all) stay on one.
 *
 * CCKIT_CONTEXT_THREADS=N sets how many threads in all (1: never more than
 * this one); set, it applies to any two or more objects (the tests use it).
 */
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CliError, EXIT, type ExitCode } from '../cli/errors.ts';
import { runObjectJob, type ObjectJob, type OpenDone, type SealDone } from './object-jobs.ts';

/** One job's outcome: what it wrote, or what went wrong (as the job threw it). */
export type JobOutcome<D = SealDone | OpenDone> = { ok: D } | { err: Error };

/** Below this many jobs per thread, one thread is faster (start-up) and simpler. */
const MIN_JOBS_PER_THREAD = 500;
const MAX_THREADS = 4;

/** The worker bundle, when this code runs from dist/main (not from the TypeScript sources). */
function workerFile(): string | undefined {
  const dir = typeof __dirname === 'string' ? __dirname : undefined;
  const file = dir && join(dir, 'context-object-worker.cjs');
  return file && existsSync(file) ? file : undefined;
}

function threadCount(jobs: number): number {
  const env = process.env.CCKIT_CONTEXT_THREADS;
  if (env !== undefined && /^[1-9][0-9]?$/.test(env)) return jobs >= 2 ? Math.min(Number(env), jobs) : 1;
  return Math.max(1, Math.min(availableParallelism(), MAX_THREADS, Math.floor(jobs / MIN_JOBS_PER_THREAD)));
}

/** An error as it crosses a thread: the CliError fields survive, and a system error's code. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  exitCode?: number;
  hint?: string;
}

export function toWire(err: unknown): WireError {
  const e = err as CliError & NodeJS.ErrnoException;
  const cli = err instanceof CliError ? err : undefined;
  return { name: cli ? 'CliError' : 'Error', message: String(e?.message ?? err), code: typeof e?.code === 'string' ? e.code : undefined, exitCode: cli?.exitCode, hint: cli?.hint };
}

function fromWire(w: WireError): Error {
  if (w.name === 'CliError') return new CliError(w.code ?? 'ERR_CTX', w.message, (w.exitCode ?? EXIT.FAILURE) as ExitCode, w.hint);
  return Object.assign(new Error(w.message), { code: w.code });
}

/** Run `jobs` on this thread, stopping at the first error. */
export function runShare(jobs: ObjectJob[]): JobOutcome[] {
  const out: JobOutcome[] = [];
  for (const job of jobs) {
    try {
      out.push({ ok: runObjectJob(job) });
    } catch (err) {
      out.push({ err: err as Error });
      break;
    }
  }
  return out;
}

function runInWorker(file: string, jobs: ObjectJob[]): Promise<JobOutcome[]> {
  return new Promise((resolve, reject) => {
    // A small young generation: the worker's garbage is per-file buffers, and RSS counts against the push (<= 150 MB).
    const w = new Worker(file, { workerData: { jobs }, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    let answered = false;
    w.once('message', (m: { ok?: SealDone | OpenDone; err?: WireError }[]) => {
      answered = true;
      resolve(m.map((x) => (x.err ? { err: fromWire(x.err) } : { ok: x.ok! })));
    });
    w.once('error', (err) => reject(new CliError('ERR_CTX_THREAD', `a worker thread failed: ${err.message}`, EXIT.FAILURE)));
    w.once('exit', (code) => {
      if (!answered) reject(new CliError('ERR_CTX_THREAD', `a worker thread exited (${code}) without its results`, EXIT.FAILURE));
    });
  });
}

/** How many threads runMany would use for `jobs` jobs (1: do them on this thread as before). */
export function threadsFor(jobs: number): number {
  const n = threadCount(jobs);
  return n > 1 && workerFile() ? n : 1;
}

/**
 * Run `jobs` on `n` threads (this one and n - 1 workers). Returns one outcome
 * per job, in order; after an error a thread stops, so the jobs it did not
 * reach are undefined. What a job writes (outRoot, dest) is written by then.
 */
export async function runMany<D extends SealDone | OpenDone>(jobs: ObjectJob[], n: number): Promise<(JobOutcome<D> | undefined)[]> {
  const file = workerFile();
  if (!file || n < 2) return runShare(jobs) as JobOutcome<D>[];
  // Interleaved shares, so that file sizes even out across threads.
  const shares = Array.from({ length: n }, (_, k) => jobs.filter((_, i) => i % n === k));
  const others = shares.slice(1).map((s) => runInWorker(file, s));
  others.forEach((p) => p.catch(() => {}));
  const mine = runShare(shares[0]);
  // A thread that failed as a whole reports its failure as its first job's (what it wrote before is unknown).
  const settled = await Promise.allSettled(others);
  const results = [mine, ...settled.map((r): JobOutcome[] => (r.status === 'fulfilled' ? r.value : [{ err: r.reason as Error }]))];
  const out = new Array<JobOutcome<D> | undefined>(jobs.length);
  results.forEach((r, k) => r.forEach((o, j) => (out[j * n + k] = o as JobOutcome<D>)));
  return out;
}
