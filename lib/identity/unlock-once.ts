/**
 * The porcelain runs several plumbing commands that each need the key. With
 * an encrypted key each would run Argon2id again (and ask again), so the
 * porcelain unlocks the key once (fd, env or terminal, as the plumbing would)
 * and hands the seed to its stages through an inherited pipe
 * (CCKIT_KEY_FD, lib/cli/key-fd.ts): not argv, not a long-lived environment
 * copy of the passphrase.
 */
import { keyFilePath } from '../config.ts';
import { decryptSeed, readKeyFile } from './key-file.ts';
import { passphraseSource } from './unlock.ts';

/**
 * The unlocked seed of an encrypted key file, or undefined when there is
 * nothing to unlock (a plaintext key, or no key: the plumbing reports that in
 * its own words). The buffer is zeroed when the process exits; callers may
 * zero it sooner.
 */
export async function unlockOnce(passphraseFd?: number): Promise<Buffer | undefined> {
  let contents;
  try {
    contents = readKeyFile(keyFilePath());
  } catch {
    return undefined;
  }
  if (contents.kind !== 'encrypted') return undefined;
  const pass = await passphraseSource(passphraseFd)();
  let seed: Buffer;
  try {
    seed = Buffer.from(await decryptSeed(contents, pass));
  } finally {
    pass.fill(0);
  }
  process.once('exit', () => seed.fill(0));
  return seed;
}
