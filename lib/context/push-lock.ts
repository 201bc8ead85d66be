/**
 * One push at a time from a folder (`DIR/.cckit/push.lock`): two pushes from
 * one folder would both append batch N+1 to this device's log, and the
 * loser's index would then disagree with the store for good. `cc-context
 * watch` and a one-off push (cron, a person) can meet; the second waits.
 */
import { join } from 'node:path';
import { CliError, EXIT } from '../cli/errors.ts';
import { takeLock } from '../lock-file.ts';
import { metaDir } from './space.ts';

/** How long a push waits for another one from the same folder. */
export const LOCK_WAIT_MS = 120_000;

/** Take the folder's push lock (waiting up to `waitMs`); resolves to its release. */
export function lockPush(dir: string, waitMs = LOCK_WAIT_MS): Promise<() => void> {
  const path = join(metaDir(dir), 'push.lock');
  return takeLock(path, {
    waitMs,
    busy: (holder) => new CliError('ERR_CTX_BUSY', `another push from ${dir} is still running${holder ? ` (pid ${holder})` : ''}`, EXIT.FAILURE, `wait for it to finish; if no push is running, remove ${path}`),
  });
}
