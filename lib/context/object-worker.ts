/**
 * The worker thread of object-threads.ts (built to dist/main/context-object-worker.cjs):
 * seals or opens its share of a push's or pull's small objects with libsodium
 * and @noble/hashes (no key import per object: see age-small.ts) and posts
 * every outcome at once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { useLockFreeCrypto } from './age-small.ts';
import { runShare, toWire } from './object-threads.ts';
import type { ObjectJob } from './object-jobs.ts';

useLockFreeCrypto();
const outcomes = runShare((workerData as { jobs: ObjectJob[] }).jobs);
parentPort!.postMessage(outcomes.map((o) => ('err' in o ? { err: toWire(o.err) } : { ok: o.ok })));
