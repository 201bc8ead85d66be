/**
 * `cc-context watch`: push a working folder on every change, for as long as
 * it runs (in tmux, or as a user service). Git's fsmonitor answers the same
 * question for `git status`: a one-off push must list the whole folder to
 * find what changed, a watcher is told. The key, the push index and the
 * folder's watches stay loaded between pushes; each push still reads and
 * checks the store (policy, grant, this device's head) as a one-off push does.
 *
 * - The first push covers the whole folder; later ones only the paths inotify
 *   named, once they have been quiet for `delayMs` (a save that writes several
 *   files is one push), or at most `maxWaitMs` after the first change (a file
 *   written without pause is still pushed).
 * - Every `rescanS` seconds the whole folder is compared again, so a change
 *   inotify dropped (its queue overflowed) is pushed late, not never.
 * - A one-off `cc-context push` from the same folder meanwhile is noticed (the
 *   index on disk moved) and the index is read again.
 * - A push that fails for a reason that may pass (a file changed while it was
 *   read, the store unreachable) is tried again, after 1 s, then 2, 4 … 60 s;
 *   an integrity or access failure (exit 3, 4, 5) stops the watch with its code.
 */
import { CliError, EXIT } from '../cli/errors.ts';
import type { Identity } from '../identity/identity.ts';
import { FolderWatcher } from './folder-watch.ts';
import type { PushIndex } from './push-index.ts';
import { push, type PushResult } from './push.ts';
import { listPaths } from './scan.ts';

export interface WatchOptions {
  /** Quiet time before a push (ms). */
  delayMs: number;
  /** Whole-folder comparison every this many seconds (0: never). */
  rescanS: number;
  dht?: boolean;
  /** Each push that changed something (and the first, whatever it found). */
  onPush: (r: PushResult) => void;
  log: (m: string) => void;
  /** Resolves when the watch should stop (after the push under way, if any). */
  stop: Promise<void>;
}

const RETRY_MAX_MS = 60_000;
/** More changed paths than this (a checkout, an unpacked archive): one listing of the folder costs less than their lstats. */
const FULL_FROM = 2000;

/** Push `dir` now and on every change until `opts.stop`. */
export async function watchAndPush(dir: string, me: Identity, opts: WatchOptions): Promise<void> {
  let wake: () => void = () => {};
  let woken = false;
  const wakeUp = () => {
    woken = true;
    wake();
  };
  let stopping = false;
  void opts.stop.then(() => {
    stopping = true;
    wakeUp();
  });
  /** Wait up to `ms` (forever when undefined); true when something woke us first. */
  const sleep = (ms?: number) =>
    new Promise<boolean>((resolve) => {
      if (woken) {
        woken = false;
        return resolve(true);
      }
      const timer = ms === undefined ? undefined : setTimeout(() => ((wake = () => {}), resolve(false)), ms);
      wake = () => {
        clearTimeout(timer);
        wake = () => {};
        woken = false;
        resolve(true);
      };
    });

  const watcher = new FolderWatcher(dir, wakeUp);
  // Watching starts before the first push: what changes during it is pushed next.
  watcher.start();
  const maxWaitMs = Math.max(1000, 10 * opts.delayMs);
  // The push index stays loaded between pushes (push() reads it again if another push moved it).
  const keep: { index?: PushIndex } = {};
  let lastFull = 0;
  let failures = 0;
  let first = true;
  /** Wait `ms` whatever changes meanwhile (a retry's back-off); false when told to stop. */
  const pause = async (ms: number) => {
    const end = Date.now() + ms;
    while (!stopping && Date.now() < end) await sleep(end - Date.now());
    return !stopping;
  };
  try {
    for (;;) {
      if (watcher.failure) throw watcher.failure;
      // Taken before the push: what changes during it stays for the next one.
      const paths = watcher.take();
      const full = first || paths.length > FULL_FROM || paths.includes('') || (opts.rescanS > 0 && Date.now() - lastFull >= opts.rescanS * 1000);
      if (full || paths.length > 0) {
        const started = Date.now();
        try {
          const only = full ? undefined : { listing: listPaths(dir, paths), paths };
          const r = await push(dir, me, { keep, only, dht: opts.dht, log: opts.log });
          if (full) lastFull = started;
          if (first || !r.unchanged) opts.onPush(r);
          first = false;
          failures = 0;
        } catch (err) {
          keep.index = undefined; // after a failure, the index on disk is the truth
          if (!(err instanceof CliError) || err.exitCode !== EXIT.FAILURE) throw err;
          watcher.putBack(paths);
          const waitMs = Math.min(RETRY_MAX_MS, 1000 * 2 ** failures++);
          opts.log(`${err.message}; trying again in ${Math.round(waitMs / 1000)} s`);
          if (!(await pause(waitMs))) return;
          continue;
        }
      }
      if (stopping) return;
      // Wait for a change (or the next rescan), then for the folder to be quiet.
      const untilRescan = opts.rescanS > 0 ? Math.max(0, lastFull + opts.rescanS * 1000 - Date.now()) : undefined;
      if (!(await sleep(untilRescan))) continue;
      const since = Date.now();
      while (!stopping && (await sleep(opts.delayMs)) && Date.now() - since < maxWaitMs);
      if (stopping) return;
    }
  } finally {
    watcher.close();
  }
}
