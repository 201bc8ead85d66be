/**
 * The identity key file, cclink-compatible (DESIGN.md §4): either 64 hex
 * characters (pkarr's plaintext form) or the CCLINKEK envelope:
 *
 *   "CCLINKEK" | 0x01 | m u32 BE | t u32 BE | p u32 BE | salt(32) | age file of the seed
 *
 * The age file is encrypted to the X25519 identity
 * HKDF-SHA256(Argon2id(passphrase, salt, m, t, p), "cclink-key-v1").
 */
import { chmodSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CliError, EXIT } from '../cli/errors.ts';
import { ageDecrypt, ageEncrypt } from './envelope-age.ts';
import { stretch, DEFAULT_ARGON2, checkArgon2Params, type Argon2Params } from './kdf.ts';
import { ageIdentityFromX25519, ageRecipientFromX25519, identityFromSeed, type Identity } from './identity.ts';
import { x25519PublicOf } from './ed25519.ts';
import { writeFileAtomic } from '../secure-file.ts';
import { defaultKeyDir } from '../config.ts';
import { warn } from '../cli/run.ts';

/** The first 8 bytes of an encrypted key file: "CCLINKEK". */
export const ENVELOPE_MAGIC = Buffer.from('CCLINKEK', 'ascii');
/** The envelope version byte after the magic; any other is refused. */
export const ENVELOPE_VERSION = 1;
const HEADER_LEN = 8 + 1 + 12 + 32;
/** HKDF info label of the key-encryption key, as cclink uses. */
export const KEY_INFO = 'cclink-key-v1';

/** A parsed key file: the plain seed, or the envelope's Argon2 parameters, salt and age ciphertext. */
export type KeyFileContents =
  | { kind: 'plain'; seed: Uint8Array }
  | { kind: 'encrypted'; params: Argon2Params; salt: Uint8Array; ciphertext: Uint8Array };

/** Parse the bytes of a key file without decrypting it. */
export function parseKeyFile(data: Uint8Array, path = 'key file'): KeyFileContents {
  const buf = Buffer.from(data);
  if (buf.length >= 8 && buf.subarray(0, 8).equals(ENVELOPE_MAGIC)) {
    if (buf.length < HEADER_LEN + 1) throw corrupt(path, 'truncated envelope');
    if (buf[8] !== ENVELOPE_VERSION) throw corrupt(path, `unknown envelope version ${buf[8]}`);
    const params = { m: buf.readUInt32BE(9), t: buf.readUInt32BE(13), p: buf.readUInt32BE(17) };
    checkArgon2Params(params);
    return { kind: 'encrypted', params, salt: new Uint8Array(buf.subarray(21, 53)), ciphertext: new Uint8Array(buf.subarray(53)) };
  }
  const text = buf.toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return { kind: 'plain', seed: new Uint8Array(Buffer.from(text, 'hex')) };
  throw corrupt(path, 'neither 64 hex characters nor a CCLINKEK envelope');
}

function corrupt(path: string, why: string) {
  return new CliError('ERR_KEY_FORMAT', `cannot read ${path}: ${why}`, EXIT.FAILURE, 'the key file must come from cc-key init, cclink or pkarr');
}

/** X25519 key-encryption identity/recipient from a passphrase. */
async function kek(passphrase: Uint8Array, salt: Uint8Array, params: Argon2Params) {
  const secret = await stretch(passphrase, salt, params, KEY_INFO);
  const identity = ageIdentityFromX25519(secret);
  const recipient = ageRecipientFromX25519(x25519PublicOf(secret));
  secret.fill(0);
  return { identity, recipient };
}

/** Build a CCLINKEK envelope around `seed`. */
export async function encryptSeed(
  seed: Uint8Array,
  passphrase: Uint8Array,
  params: Argon2Params = DEFAULT_ARGON2,
  salt: Uint8Array = randomBytes(32),
): Promise<Uint8Array> {
  const { recipient } = await kek(passphrase, salt, params);
  const body = await ageEncrypt(seed, [recipient]);
  return encodeEnvelope({ kind: 'encrypted', params, salt, ciphertext: body });
}

/** The envelope's bytes for parsed contents: parseKeyFile's inverse, byte for byte. */
export function encodeEnvelope(c: Extract<KeyFileContents, { kind: 'encrypted' }>): Uint8Array {
  const head = Buffer.alloc(HEADER_LEN);
  ENVELOPE_MAGIC.copy(head, 0);
  head[8] = ENVELOPE_VERSION;
  head.writeUInt32BE(c.params.m, 9);
  head.writeUInt32BE(c.params.t, 13);
  head.writeUInt32BE(c.params.p, 17);
  Buffer.from(c.salt).copy(head, 21);
  return Buffer.concat([head, c.ciphertext]);
}

/** Open a CCLINKEK envelope; a wrong passphrase is exit 4. */
export async function decryptSeed(contents: Extract<KeyFileContents, { kind: 'encrypted' }>, passphrase: Uint8Array): Promise<Uint8Array> {
  const { identity } = await kek(passphrase, contents.salt, contents.params);
  let seed: Uint8Array;
  try {
    seed = await ageDecrypt(contents.ciphertext, [identity], 'key file');
  } catch (err) {
    if (err instanceof CliError && err.exitCode === EXIT.AUTH) {
      throw new CliError('ERR_WRONG_PASSPHRASE', 'wrong passphrase for the key file', EXIT.AUTH);
    }
    throw err;
  }
  if (seed.length !== 32) throw new CliError('ERR_KEY_FORMAT', 'key envelope does not hold a 32-byte seed', EXIT.FAILURE);
  return seed;
}

/** Plaintext key file: 64 lowercase hex characters, as pkarr writes it. */
export function encodePlainKey(seed: Uint8Array): Uint8Array {
  return Buffer.from(Buffer.from(seed).toString('hex'), 'ascii');
}

/**
 * Read the key file at `path`, refusing a file others can read. Mode must be
 * exactly 0600 or 0400.
 */
export function readKeyFile(path: string): KeyFileContents {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError('ERR_NO_KEY', `no key file at ${path}`, EXIT.NOT_FOUND, "create one with 'cc-key init' (or set CCKIT_KEY_FILE)");
    }
    throw new CliError('ERR_KEY_READ', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`, EXIT.FAILURE);
  }
  if (!st.isFile()) throw new CliError('ERR_KEY_READ', `${path} is not a regular file`, EXIT.FAILURE);
  const mode = st.mode & 0o777;
  if (mode !== 0o600 && mode !== 0o400) {
    const shown = mode.toString(8).padStart(4, '0');
    if (mode & 0o077) {
      throw new CliError(
        'ERR_KEY_PERMS',
        `key file ${path} has permissions ${shown}, others may have read it`,
        EXIT.FAILURE,
        `fix with: chmod 600 ${path} (and consider the key compromised if others could read it)`,
      );
    }
    // Only the owner's own bits are off (0700, 0200…): nobody else could read it.
    throw new CliError('ERR_KEY_PERMS', `key file ${path} has mode ${shown}; it must be 0600 (or 0400)`, EXIT.FAILURE, `fix with: chmod 600 ${path}`);
  }
  tightenKeyDir(path);
  let data;
  try {
    data = readFileSync(path);
  } catch (err) {
    throw new CliError('ERR_KEY_READ', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`, EXIT.FAILURE);
  }
  return parseKeyFile(data, path);
}

/**
 * DESIGN.md §4: the key's folder is 0700. ~/.pubky (the default place, shared
 * with cclink and pkarr) found looser is tightened, with a warning; a folder
 * someone chose with CCKIT_KEY_FILE is theirs to manage.
 */
function tightenKeyDir(path: string): void {
  const dir = dirname(resolve(path));
  if (dir !== resolve(defaultKeyDir())) return;
  let st;
  try {
    st = statSync(dir);
  } catch {
    return;
  }
  const mode = st.mode & 0o777;
  if ((mode & 0o077) === 0 || (process.getuid && st.uid !== process.getuid())) return;
  try {
    chmodSync(dir, 0o700);
    warn(basename(process.argv[1] ?? 'cckit'), `${dir} was ${mode.toString(8).padStart(4, '0')}; tightened to 0700`);
  } catch {
    /* not ours to change: the key file's own 0600 still holds */
  }
}

/**
 * Where a write to `path` must land: through symlinks to the file they name
 * (cc-key passwd on a linked key must not replace the link and leave the old
 * key, plaintext perhaps, at the target).
 */
export function keyWriteTarget(path: string): string {
  let p = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return p; // does not exist (yet): write here
    }
    if (!st.isSymbolicLink()) return p;
    p = resolve(dirname(p), readlinkSync(p));
  }
  throw new CliError('ERR_KEY_LINK', `${path}: too many levels of symbolic links`, EXIT.FAILURE);
}

/** Write a key file atomically, 0600 from the first byte, through symlinks to their target. */
export function writeKeyFile(path: string, data: Uint8Array, overwrite: boolean): void {
  const target = keyWriteTarget(path);
  writeFileAtomic(target, data, { mode: 0o600, overwrite });
  tightenKeyDir(target);
}

/** How loadIdentity gets the passphrase, asked only when the file is encrypted. */
export interface LoadOptions {
  /** Resolves the passphrase when the file is encrypted (prompt, env, fd). */
  passphrase: () => Promise<Uint8Array>;
}

/** Load the identity at `path`, decrypting the envelope if needed. */
export async function loadIdentity(path: string, opts: LoadOptions): Promise<Identity> {
  const contents = readKeyFile(path);
  if (contents.kind === 'plain') return identityFromSeed(contents.seed);
  const pass = await opts.passphrase();
  try {
    return identityFromSeed(await decryptSeed(contents, pass));
  } finally {
    pass.fill(0);
  }
}
