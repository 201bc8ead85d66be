/**
 * In-memory age encryption with typage (npm age-encryption), for small
 * things: record blobs and the key envelope. Large files go through
 * lib/age/stream.ts instead.
 */
import { CliError, EXIT } from '../cli/errors.ts';

/** Encrypt to one or more `age1…` recipients; returns a binary age file. */
export async function ageEncrypt(plaintext: Uint8Array, recipients: string[]): Promise<Uint8Array> {
  const { Encrypter } = await import('age-encryption');
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  return e.encrypt(plaintext);
}

/**
 * Decrypt a binary age file with `AGE-SECRET-KEY-1…` identities. A file
 * that is not for any of them, or that fails authentication, is an
 * authentication failure (exit 4); a file that is not age at all is too,
 * since for a signed record that means tampering.
 */
export async function ageDecrypt(ciphertext: Uint8Array, identities: string[], what = 'data'): Promise<Uint8Array> {
  const { Decrypter } = await import('age-encryption');
  const d = new Decrypter();
  for (const i of identities) d.addIdentity(i);
  try {
    return await d.decrypt(ciphertext);
  } catch (err) {
    const msg = (err as Error).message || '';
    if (/no identity matched/i.test(msg)) {
      throw new CliError('ERR_WRONG_KEY', `${what} is not encrypted to this key`, EXIT.AUTH);
    }
    throw new CliError('ERR_DECRYPT', `cannot decrypt ${what}: ${msg.split('\n')[0].toLowerCase() || 'malformed'}`, EXIT.AUTH);
  }
}
