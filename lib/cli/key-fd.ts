/**
 * One unlock per user action (DESIGN.md §2): the porcelain decrypts the key
 * once and hands the 32-byte seed to each plumbing stage through an inherited
 * pipe, never argv and never the environment. CCKIT_KEY_FD names the pipe's
 * descriptor; the stage reads it at start-up, closes it (so nothing it runs,
 * claude included, inherits it), drops the variable and zeroes the seed on
 * exit. Only the seed crosses; the stage still reads the key file for
 * everything else.
 */
import { closeSync, readSync } from 'node:fs';
import { CliError, EXIT } from './errors.ts';

/** The environment variable that names the descriptor carrying the seed. */
export const KEY_FD_ENV = 'CCKIT_KEY_FD';
const SEED_LEN = 32;

let inherited: Buffer | undefined;
let adopted = false;

/**
 * Read the seed from the descriptor named by CCKIT_KEY_FD, if any, and close
 * it. Called once by the command runner before the command starts.
 */
export function adoptInheritedKey(env: NodeJS.ProcessEnv = process.env): void {
  if (adopted) return;
  adopted = true;
  const value = env[KEY_FD_ENV];
  if (value === undefined) return;
  delete env[KEY_FD_ENV];
  if (!/^\d+$/.test(value) || Number(value) < 3) {
    throw new CliError('ERR_KEY_FD', `${KEY_FD_ENV} must name a file descriptor above 2, got '${value.slice(0, 20)}'`, EXIT.USAGE);
  }
  const fd = Number(value);
  // One byte more than a seed, so a longer stream is noticed rather than cut.
  const buf = Buffer.alloc(SEED_LEN + 1);
  let len = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
      if (len === buf.length) break;
    }
  } catch (err) {
    buf.fill(0);
    throw new CliError('ERR_KEY_FD', `cannot read the key from file descriptor ${fd} (${KEY_FD_ENV}): ${(err as NodeJS.ErrnoException).code ?? 'error'}`, EXIT.FAILURE);
  } finally {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
  }
  if (len !== SEED_LEN) {
    buf.fill(0);
    throw new CliError('ERR_KEY_FD', `file descriptor ${fd} (${KEY_FD_ENV}) did not carry a 32-byte key`, EXIT.FAILURE);
  }
  inherited = Buffer.from(buf.subarray(0, SEED_LEN));
  buf.fill(0);
  process.once('exit', () => inherited?.fill(0));
}

/** A copy of the inherited seed (the caller zeroes it), or undefined when none was handed over. */
export function inheritedSeed(): Buffer | undefined {
  return inherited ? Buffer.from(inherited) : undefined;
}
