/**
 * A lock file that names its holder, as git's index.lock does, for the few
 * places where two cckit processes must not write the same thing at once
 * (peers.toml, a context folder's push). Created with O_EXCL; it holds the
 * holder's pid, so a lock left by a killed process is taken over at once
 * rather than after a guess at how long the work takes (a push can take
 * minutes). A second process waits up to `waitMs`, then fails with `busy`.
 *
 * Left open: two waiters that see the same dead holder at the same instant
 * can remove each other's fresh lock; that needs three processes within
 * milliseconds of a crash.
 */
import { closeSync, constants, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { CliError, EXIT } from './cli/errors.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in the lock file; 'gone' when it was released meanwhile; undefined when unreadable or not written yet. */
function holderOf(path: string): number | 'gone' | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : undefined;
  }
}

/** Take the lock at `path` (waiting up to `waitMs`); resolves to its release. `busy` makes the error when the wait runs out. */
export async function takeLock(path: string, opts: { waitMs: number; busy: (holder?: number) => CliError }): Promise<() => void> {
  const until = Date.now() + opts.waitMs;
  for (let pause = 5; ; pause = Math.min(200, pause * 2)) {
    let fd: number | undefined;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if (fd !== undefined) {
        // Made but not written (a full disk): never leave a lock that names no one.
        closeSync(fd);
        unlinkSync(path);
      }
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new CliError('ERR_LOCK', `cannot lock ${path}: ${(err as Error).message}`, EXIT.FAILURE);
      }
    }
    const holder = holderOf(path);
    if (holder === 'gone') continue;
    if (holder !== undefined && !alive(holder)) {
      try {
        unlinkSync(path);
        continue;
      } catch {
        /* taken over by someone else first, or not ours to remove: wait as for a live one */
      }
    }
    if (Date.now() >= until) throw opts.busy(holder);
    await new Promise((r) => setTimeout(r, pause));
  }
}
