/**
 * The worker thread of seal-threads.ts (built to dist/main/context-seal-worker.cjs):
 * seals its share of a push's small objects and posts every outcome at once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runShare, toWire } from './seal-threads.ts';
import type { SealJob } from './object-jobs.ts';

const outcomes = runShare((workerData as { jobs: SealJob[] }).jobs);
parentPort!.postMessage(outcomes.map((o) => ('err' in o ? { err: toWire(o.err) } : { ok: o.ok })));
