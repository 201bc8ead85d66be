/**
 * One push at a time from a folder (`DIR/.cckit/push.lock`, as git's
 * index.lock): two pushes from one folder would both append batch N+1 to
 * this device's log, and the loser's index would then disagree with the
 * store for good. `cc-context watch` and a one-off push (cron, a person)
 * can meet; the second waits for the first. The lock holds the holder's pid:
 * a lock whose process is gone (killed mid-push) is taken over.
 */
import { closeSync, constants, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, EXIT } from '../cli/errors.ts';
import { metaDir } from './space.ts';

/** How long a push waits for another one from the same folder. */
export const LOCK_WAIT_MS = 120_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the folder's push lock (waiting up to `waitMs`); resolves to its release. */
export async function lockPush(dir: string, waitMs = LOCK_WAIT_MS): Promise<() => void> {
  const path = join(metaDir(dir), 'push.lock');
  const until = Date.now() + waitMs;
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
      if (fd !== undefined) closeSync(fd);
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new CliError('ERR_CTX_LOCAL', `cannot lock ${path}: ${(err as Error).message}`, EXIT.FAILURE);
      }
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(path, 'utf8').trim());
    } catch {
      continue; // released meanwhile
    }
    // A holder that died (or a lock too new to hold its pid yet: wait a moment for that).
    if (Number.isSafeInteger(holder) && holder > 0 && !alive(holder)) {
      try {
        unlinkSync(path);
      } catch {
        /* someone else took it over first */
      }
      continue;
    }
    if (Date.now() >= until) {
      throw new CliError(
        'ERR_CTX_BUSY',
        `another push from ${dir} is still running${Number.isSafeInteger(holder) && holder > 0 ? ` (pid ${holder})` : ''}`,
        EXIT.FAILURE,
        `wait for it to finish; if no push is running, remove ${path}`,
      );
    }
    await new Promise((r) => setTimeout(r, pause));
  }
}
