/**
 * The worker thread of seal-threads.ts (built to dist/main/context-seal-worker.cjs):
 * seals its share of a push's small objects with libsodium (never node:crypto,
 * which the main thread is using meanwhile: see age-small.ts) and posts every
 * outcome at once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { useLockFreeCrypto } from './age-small.ts';
import { runShare, toWire } from './seal-threads.ts';
import type { SealJob } from './object-jobs.ts';

useLockFreeCrypto();
const outcomes = runShare((workerData as { jobs: SealJob[] }).jobs);
parentPort!.postMessage(outcomes.map((o) => ('err' in o ? { err: toWire(o.err) } : { ok: o.ok })));
