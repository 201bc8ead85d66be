/**
 * The one way commands load the caller's identity: key file from
 * CCKIT_KEY_FILE (or ~/.pubky/secret_key), passphrase from
 * --passphrase-fd, CCKIT_PASSPHRASE or the terminal.
 */
import { keyFilePath } from '../config.ts';
import { loadIdentity } from './key-file.ts';
import type { Identity } from './identity.ts';
import { readSecret } from '../cli/secret.ts';
import { inheritedSeed } from '../cli/key-fd.ts';
import { identityFromSeed } from './identity.ts';

/** A function that reads the key's passphrase from `fd`, else CCKIT_PASSPHRASE, else a /dev/tty prompt showing `prompt`. */
export function passphraseSource(fd: number | undefined, prompt = 'Passphrase for the cckit key: ') {
  return () => readSecret({ what: 'passphrase', env: 'CCKIT_PASSPHRASE', fdFlag: 'passphrase-fd', fd, prompt });
}

/**
 * The caller's identity: the seed the porcelain handed over (CCKIT_KEY_FD,
 * lib/cli/key-fd.ts) when there is one, else the key file, unlocked here.
 */
export async function loadMyIdentity(passphraseFd?: number): Promise<Identity> {
  const seed = inheritedSeed();
  if (seed) return identityFromSeed(seed);
  return loadIdentity(keyFilePath(), { passphrase: passphraseSource(passphraseFd) });
}
