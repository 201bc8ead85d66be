/**
 * The porcelain runs several plumbing commands that each load the key. With
 * an encrypted key that would mean typing the passphrase once per stage, so
 * we ask once (fd, env or terminal, as the plumbing would) and hand it to the
 * stages in their environment, which only this user's processes can read.
 */
import { keyFilePath } from '../config.ts';
import { readKeyFile } from './key-file.ts';
import { passphraseSource } from './unlock.ts';

/** Ask for the key's passphrase once and return it as {CCKIT_PASSPHRASE} for the stages' environment; {} when the key is plain or unreadable, or CCKIT_PASSPHRASE is set and no fd given. */
export async function unlockOnce(passphraseFd?: number): Promise<Record<string, string>> {
  let encrypted = false;
  try {
    encrypted = readKeyFile(keyFilePath()).kind === 'encrypted';
  } catch {
    return {}; // missing or unreadable key: let the plumbing report it in its own words
  }
  if (!encrypted || (process.env.CCKIT_PASSPHRASE !== undefined && passphraseFd === undefined)) return {};
  const pass = await passphraseSource(passphraseFd)();
  const env = { CCKIT_PASSPHRASE: pass.toString('utf8') };
  pass.fill(0);
  return env;
}
