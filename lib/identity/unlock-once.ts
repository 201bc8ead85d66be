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
import { formatPubkey, identityFromSeed } from './identity.ts';
import { passphraseSource } from './unlock.ts';

/**
 * The unlocked seed of an encrypted key file, or undefined when there is
 * nothing to unlock (a plaintext key, or no key: the plumbing reports that in
 * its own words). The buffer is zeroed when the process exits; callers may
 * zero it sooner.
 */
export async function unlockOnce(passphraseFd?: number): Promise<Buffer | undefined> {
  const started = await startUnlock(passphraseFd);
  return started && (await started.seed);
}

/**
 * The first half of unlockOnce: the passphrase is asked for (or read) now,
 * and Argon2id runs in the background; `seed` settles when it is done (or
 * rejects on a wrong passphrase). Undefined when there is nothing to unlock.
 * Lets the porcelain start work that needs no key meanwhile.
 */
export async function startUnlock(passphraseFd?: number): Promise<{ seed: Promise<Buffer> } | undefined> {
  let contents;
  try {
    contents = readKeyFile(keyFilePath());
  } catch {
    return undefined;
  }
  if (contents.kind !== 'encrypted') return undefined;
  const pass = await passphraseSource(passphraseFd)();
  const seed = decryptSeed(contents, pass).then(
    (s) => {
      pass.fill(0);
      const copy = Buffer.from(s);
      s.fill(0);
      process.once('exit', () => copy.fill(0));
      return copy;
    },
    (err) => {
      pass.fill(0);
      throw err;
    },
  );
  seed.catch(() => {}); // awaited by the caller; not an unhandled rejection meanwhile
  return { seed };
}

/**
 * The `pk:…` of a plaintext key file (nothing to unlock), read here instead
 * of asking a `cc-key whoami` process (~0.2 s of start-up). Undefined for
 * an encrypted key, or a missing or unreadable one: the plumbing reports
 * those in its own words.
 */
export function plainKeyPublicKey(path = keyFilePath()): string | undefined {
  try {
    const contents = readKeyFile(path);
    if (contents.kind !== 'plain') return undefined;
    const id = identityFromSeed(contents.seed);
    contents.seed.fill(0);
    id.seed.fill(0);
    return formatPubkey(id.publicKey);
  } catch {
    return undefined;
  }
}
