/**
 * lib/identity/ — who the user is: Ed25519/X25519 keys, the key file and its
 * CCLINKEK envelope, Argon2id, unlocking the key once per user action.
 * May import cli/ (and config.ts, secure-file.ts).
 *
 * One Ed25519 key is the user's identity everywhere (DESIGN.md §4):
 * shown as pk:<z-base32>, converted to X25519 for age so that the stock
 * `age` CLI decrypts what we seal.
 */
import z32 from 'z32';
import { edGenerate, edPublicKey, edSign, edVerify, edSignSodium, edVerifySodium, edToMontgomery, isValidEdPublicKey, sha512 } from './ed25519.ts';
import { bech32 } from '@scure/base';
import { CliError, EXIT } from '../cli/errors.ts';

/** A loaded identity: the 32-byte seed and its public key. */
export interface Identity {
  seed: Uint8Array;
  publicKey: Uint8Array;
}

/** The Identity of a 32-byte seed; throws ERR_BAD_KEY (exit 1) for any other length. */
export function identityFromSeed(seed: Uint8Array): Identity {
  if (seed.length !== 32) throw new CliError('ERR_BAD_KEY', `secret key must be 32 bytes, got ${seed.length}`, EXIT.FAILURE);
  return { seed, publicKey: edPublicKey(seed) };
}

/** A new Identity: 32 random bytes of seed (OpenSSL generates the pair). */
export function generateIdentity(): Identity {
  return edGenerate();
}

/** z-base32 of a 32-byte public key (52 characters). */
export function toZ32(publicKey: Uint8Array): string {
  return z32.encode(publicKey);
}

/** pk:<z32>, the form shown to people. */
export function formatPubkey(publicKey: Uint8Array): string {
  return `pk:${toZ32(publicKey)}`;
}

/** First 8 z32 characters, shown XXXX-XXXX. */
export function fingerprint(publicKey: Uint8Array): string {
  const z = toZ32(publicKey);
  return `${z.slice(0, 4)}-${z.slice(4, 8)}`;
}

const Z32_KEY = /^[ybndrfg8ejkmcpqxot1uwisza345h769]{52}$/;

/**
 * Parse a public key as people paste it: `pk:<z32>`, bare z32, a URL
 * (`pk://…`, `https://<z32>.example/…`, `https://relay/<z32>`), or a
 * subdomain. Returns the 32 raw bytes; throws a usage error otherwise.
 */
export function parsePubkey(input: string): Uint8Array {
  const s = input.trim().toLowerCase();
  const candidates = new Set<string>();
  candidates.add(s.replace(/^pk:/, ''));
  for (const token of s.split(/[^a-z0-9]+/)) candidates.add(token);
  for (const c of candidates) {
    if (Z32_KEY.test(c)) {
      const bytes = z32.decode(c);
      if (bytes.length === 32) {
        if (!isValidEdPublicKey(bytes)) break;
        return new Uint8Array(bytes);
      }
    }
  }
  throw new CliError(
    'ERR_BAD_PUBKEY',
    `not a public key: '${input.length > 70 ? input.slice(0, 67) + '...' : input}'`,
    EXIT.USAGE,
    'a public key looks like pk: followed by 52 z-base32 characters',
  );
}

/** The 64-byte Ed25519 signature of `message` by the identity. */
export function sign(id: Identity, message: Uint8Array): Uint8Array {
  return edSign(id.seed, message, id.publicKey);
}

/** True when `signature` is a valid Ed25519 signature of `message` by `publicKey`; never throws. */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return edVerify(publicKey, message, signature);
}

/**
 * sign() and verify() by libsodium, for code running beside HyperDHT (which
 * loads it anyway): no per-call key import. Elsewhere use sign()/verify(),
 * which do not load sodium-native (see ed25519.ts).
 */
export function signBesideDht(id: Identity, message: Uint8Array): Uint8Array {
  return edSignSodium(id.seed, message);
}

/** verify() by libsodium (see signBesideDht); never throws. */
export function verifyBesideDht(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return edVerifySodium(publicKey, message, signature);
}

/** X25519 public key = Edwards→Montgomery of the Ed25519 public key (libsodium's conversion). */
export function x25519Public(publicKey: Uint8Array): Uint8Array {
  return edToMontgomery(publicKey);
}

/** X25519 secret = first 32 bytes of SHA-512(seed) (clamping gives the same key). */
export function x25519Secret(seed: Uint8Array): Uint8Array {
  const h = sha512(seed);
  const out = h.slice(0, 32);
  h.fill(0);
  return out;
}

/** `age1…` recipient string for a raw X25519 public key. */
export function ageRecipientFromX25519(pub: Uint8Array): string {
  return bech32.encode('age', bech32.toWords(pub));
}

/** `AGE-SECRET-KEY-1…` identity string for a raw X25519 secret. */
export function ageIdentityFromX25519(secret: Uint8Array): string {
  return bech32.encode('age-secret-key-', bech32.toWords(secret), 100).toUpperCase();
}

/** The peer's age recipient, from its Ed25519 public key. */
export function ageRecipient(publicKey: Uint8Array): string {
  return ageRecipientFromX25519(x25519Public(publicKey));
}

/** Our age identity (secret), from the Ed25519 seed. */
export function ageIdentity(seed: Uint8Array): string {
  const x = x25519Secret(seed);
  const s = ageIdentityFromX25519(x);
  x.fill(0);
  return s;
}

/** True when `a` and `b` hold the same bytes; runs in time independent of where they differ. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}
