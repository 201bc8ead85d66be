/**
 * Writing secrets to disk (DESIGN.md §2): atomically (temp + rename/link),
 * mode 0600 from the first byte (O_CREAT|O_EXCL with mode, so no umask can
 * widen it), folders 0700. A crash mid-write never leaves a partial file.
 */
import { constants, openSync, writeSync, fsyncSync, closeSync, linkSync, renameSync, unlinkSync, mkdirSync, statSync, chmodSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CliError, EXIT } from './cli/errors.ts';

/** Create `dir` (and parents) with mode 0700 for the folders we create. */
export function ensurePrivateDir(dir: string): void {
  let exists = true;
  try {
    statSync(dir);
  } catch {
    exists = false;
  }
  if (!exists) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700); // umask may have narrowed mkdir's mode in odd ways; make it exact
  }
}

/**
 * Write `data` to `path` with the given mode. With `overwrite` false the
 * final step is link(2), which fails if the file appeared meanwhile.
 */
export function writeFileAtomic(path: string, data: Uint8Array, opts: { mode?: number; overwrite?: boolean } = {}): void {
  const mode = opts.mode ?? 0o600;
  const dir = dirname(path);
  ensurePrivateDir(dir);
  const tmp = join(dir, `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
  const fd = openSync(tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, mode);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  try {
    if (opts.overwrite) {
      renameSync(tmp, path);
    } else {
      linkSync(tmp, path);
      unlinkSync(tmp);
    }
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliError('ERR_EXISTS', `${path} already exists`, EXIT.FAILURE, 'use --force to replace it (the old key is lost)');
    }
    throw err;
  }
}
