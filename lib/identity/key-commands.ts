/**
 * What cc-key does, as functions: init, whoami, recipient, age-identity, passwd.
 */
import { readFileSync } from 'node:fs';
import { keyFilePath } from '../config.ts';
import { CliError, EXIT, usageError } from '../cli/errors.ts';
import { readInput } from '../cli/io.ts';
import { readSecret } from '../cli/secret.ts';
import { hasTty, ttyWrite } from '../cli/tty.ts';
import { checkNewPassphrase } from './strength.ts';
import { loadMyIdentity, passphraseSource } from './unlock.ts';
import {
  ageIdentity,
  ageRecipient,
  fingerprint,
  formatPubkey,
  generateIdentity,
  identityFromSeed,
  parsePubkey,
  type Identity,
} from './identity.ts';
import { decryptSeed, encodePlainKey, encryptSeed, parseKeyFile, readKeyFile, writeKeyFile, loadIdentity } from './key-file.ts';

/** What cc-key init, whoami and passwd print: pubkey, fingerprint, key file path, whether it is encrypted, and the age recipient. */
export interface WhoAmI {
  pubkey: string;
  fingerprint: string;
  key_file: string;
  encrypted: boolean;
  age_recipient: string;
}

function describe(id: Identity, path: string, encrypted: boolean): WhoAmI {
  return {
    pubkey: formatPubkey(id.publicKey),
    fingerprint: fingerprint(id.publicKey),
    key_file: path,
    encrypted,
    age_recipient: ageRecipient(id.publicKey),
  };
}

/** Tries a person at the terminal gets for a new passphrase (mismatch, empty, too short or weak). */
const NEW_PASSPHRASE_TRIES = 3;

/**
 * A new passphrase for the key, checked (lib/identity/strength.ts). On a
 * terminal a mismatch, an empty entry or a weak passphrase asks again, up to
 * three tries, and says --no-passphrase is the way to have none; from an fd
 * or the environment the first answer is final.
 */
async function newPassphrase(src: { env: string; fd: number | undefined; fdFlag: string; what: string; prompt: string }): Promise<Uint8Array> {
  const interactive = src.fd === undefined && process.env[src.env] === undefined && hasTty();
  for (let attempt = 1; ; attempt++) {
    let p: Buffer | undefined;
    try {
      p = await readSecret({ what: src.what, env: src.env, fdFlag: src.fdFlag, fd: src.fd, prompt: src.prompt, confirm: true });
      await checkNewPassphrase(p);
      return p;
    } catch (err) {
      p?.fill(0);
      const again = err instanceof CliError && ['ERR_SECRET_MISMATCH', 'ERR_EMPTY_SECRET', 'ERR_WEAK_PASSPHRASE'].includes(err.code);
      if (!interactive || !again || attempt >= NEW_PASSPHRASE_TRIES) throw err;
      const why = (err as CliError).code === 'ERR_EMPTY_SECRET' ? 'an empty passphrase is not accepted' : (err as CliError).message;
      ttyWrite(`${why}; try again (${NEW_PASSPHRASE_TRIES - attempt} left), or Ctrl-C and use --no-passphrase for a key without one\n`);
    }
  }
}

/** cc-key init: generate or import a key, encrypt it with a new passphrase unless noPassphrase, write it 0600; throws ERR_EXISTS (exit 1) when a key exists and not force. */
export async function init(opts: { noPassphrase: boolean; importPath?: string; force: boolean; passphraseFd?: number }): Promise<WhoAmI> {
  const path = keyFilePath();
  let id: Identity;
  let fileBytes: Uint8Array | undefined; // an imported envelope kept as it is
  if (opts.importPath !== undefined) {
    const data = await readInput('cc-key', 'a key file (64 hex characters or CCLINKEK)', { path: opts.importPath, limit: 64 * 1024 });
    const contents = parseKeyFile(data, opts.importPath === '-' ? 'stdin' : opts.importPath);
    if (contents.kind === 'plain') {
      id = identityFromSeed(contents.seed);
    } else {
      const pass = await passphraseSource(opts.passphraseFd, 'Passphrase of the imported key: ')();
      try {
        id = identityFromSeed(await decryptSeed(contents, pass));
      } finally {
        pass.fill(0);
      }
      if (!opts.noPassphrase) fileBytes = data;
    }
  } else {
    id = generateIdentity();
  }
  if (!opts.force) ensureAbsent(path);
  let encrypted = !opts.noPassphrase;
  if (!fileBytes) {
    if (opts.noPassphrase) {
      fileBytes = encodePlainKey(id.seed);
    } else {
      // An imported envelope's passphrase came from --passphrase-fd: the new one is asked separately.
      const fd = opts.importPath !== undefined && readKeyKind(opts.importPath) === 'encrypted' ? undefined : opts.passphraseFd;
      const pass = await newPassphrase({
        what: 'passphrase',
        env: fd === undefined && process.env.CCKIT_NEW_PASSPHRASE !== undefined ? 'CCKIT_NEW_PASSPHRASE' : 'CCKIT_PASSPHRASE',
        fdFlag: 'passphrase-fd',
        fd,
        prompt: 'New passphrase for the cckit key: ',
      });
      try {
        fileBytes = await encryptSeed(id.seed, pass);
      } finally {
        pass.fill(0);
      }
    }
  }
  writeKeyFile(path, fileBytes, opts.force);
  encrypted = !opts.noPassphrase;
  const out = describe(id, path, encrypted);
  id.seed.fill(0);
  return out;
}

function readKeyKind(path: string): string {
  if (path === '-') return 'unknown';
  try {
    return parseKeyFile(readFileSync(path)).kind;
  } catch {
    return 'unknown';
  }
}

function ensureAbsent(path: string): void {
  try {
    readFileSync(path, { flag: 'r' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
  }
  throw new CliError('ERR_EXISTS', `a key already exists at ${path}`, EXIT.FAILURE, 'use --force to replace it (the old key is lost unless you have a copy)');
}

/** cc-key whoami: unlock the key file and describe it; exit 3 without a key file, exit 4 for a wrong passphrase. */
export async function whoami(passphraseFd?: number): Promise<WhoAmI> {
  const path = keyFilePath();
  const kind = readKeyFile(path).kind;
  const id = await loadMyIdentity(passphraseFd); // the porcelain's already unlocked key, if it handed one over
  const out = describe(id, path, kind === 'encrypted');
  id.seed.fill(0);
  return out;
}

/** cc-key recipient: the `age1…` recipient of a peer's public key in any form parsePubkey accepts. */
export function recipient(pubkey: string): string {
  return ageRecipient(parsePubkey(pubkey));
}

/** cc-key age-identity: a comment line and our `AGE-SECRET-KEY-1…` identity; refuses (exit 2) when stdout is a terminal unless force. */
export async function ageIdentityOut(force: boolean, passphraseFd?: number): Promise<string> {
  if (process.stdout.isTTY && !force) {
    throw usageError('refusing to print a secret key to the terminal', 'redirect it to a file (umask 077) or pass --force');
  }
  const id = await loadIdentity(keyFilePath(), { passphrase: passphraseSource(passphraseFd) });
  const out = `# cckit identity ${formatPubkey(id.publicKey)}\n${ageIdentity(id.seed)}`;
  id.seed.fill(0);
  return out;
}

/** cc-key passwd: unlock the key and rewrite it with a new passphrase, or in plain hex with noPassphrase. */
export async function passwd(opts: { noPassphrase: boolean; passphraseFd?: number; newPassphraseFd?: number }): Promise<WhoAmI> {
  const path = keyFilePath();
  const id = await loadIdentity(path, { passphrase: passphraseSource(opts.passphraseFd, 'Current passphrase: ') });
  let bytes: Uint8Array;
  if (opts.noPassphrase) {
    bytes = encodePlainKey(id.seed);
  } else {
    const pass = await newPassphrase({
      what: 'new passphrase',
      env: 'CCKIT_NEW_PASSPHRASE',
      fdFlag: 'new-passphrase-fd',
      fd: opts.newPassphraseFd,
      prompt: 'New passphrase: ',
    });
    try {
      bytes = await encryptSeed(id.seed, pass);
    } finally {
      pass.fill(0);
    }
  }
  writeKeyFile(path, bytes, true);
  const out = describe(id, path, !opts.noPassphrase);
  id.seed.fill(0);
  return out;
}
