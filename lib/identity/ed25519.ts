/**
 * Ed25519 and X25519 on node:crypto (OpenSSL): native, with no start-up
 * cost. Pure-JS curves cost ~40 ms on the first call (table precomputation),
 * which would double the run time of every command in a pipeline.
 * @noble/curves stays the oracle these are tested against.
 */
import { createHash, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';

// DER prefixes that wrap a raw 32-byte key as PKCS#8 / SPKI (RFC 8410).
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');

function edPrivate(seed: Uint8Array): KeyObject {
  const der = Buffer.concat([ED25519_PKCS8, seed]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

/** The 32-byte Ed25519 public key of a 32-byte seed; throws if the seed is not 32 bytes. */
export function edPublicKey(seed: Uint8Array): Uint8Array {
  const spki = createPublicKey(edPrivate(seed)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(ED25519_SPKI.length));
}

/** The 64-byte Ed25519 signature (RFC 8032) of `message` by `seed`. */
export function edSign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(nodeSign(null, message, edPrivate(seed)));
}

/**
 * A raw public key as a KeyObject through JWK rather than DER: OpenSSL 3's DER
 * decoder costs ~0.35 ms per import, JWK ~0.03 ms, and every verify and every
 * X25519 agreement imports one.
 */
function okpPublic(crv: 'Ed25519' | 'X25519', raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv, x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

/** True when `signature` is a valid Ed25519 signature of `message` by `publicKey`; false for wrong lengths or an invalid key, never throws. */
export function edVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const key = okpPublic('Ed25519', publicKey);
    return nodeVerify(null, message, key, signature);
  } catch {
    return false;
  }
}

const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');

/** A raw 32-byte X25519 secret as a KeyObject (OpenSSL clamps it, as age does). */
export function x25519PrivateKey(secret: Uint8Array): KeyObject {
  const der = Buffer.concat([X25519_PKCS8, secret]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

/** A raw 32-byte X25519 public key as a KeyObject. */
export function x25519PublicKey(pub: Uint8Array): KeyObject {
  if (pub.length !== 32) throw new TypeError('an X25519 public key is 32 bytes');
  return okpPublic('X25519', pub);
}

/** The raw 32 bytes of an X25519 public KeyObject. */
export function x25519RawPublic(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' }).subarray(X25519_SPKI.length);
}

/** X25519 public key of a raw 32-byte secret. */
export function x25519PublicOf(secret: Uint8Array): Buffer {
  return x25519RawPublic(createPublicKey(x25519PrivateKey(secret)));
}

/** SHA-512 of `data` (64 bytes). */
export function sha512(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha512').update(data).digest());
}

// Curve25519 field arithmetic for the birational map between the Edwards and
// Montgomery forms (RFC 7748 §4.1): u = (1 + y) / (1 - y) mod p.
const P = 2n ** 255n - 19n;
// The curve constant d, computed on first use: a modular inverse at load time
// is ~0.5 ms of start-up for every command, most of which never check a point.
let D: bigint | undefined;
const curveD = (): bigint => (D ??= (-121665n * modInv(121666n)) % P);

function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}
function modPow(b: bigint, e: bigint): bigint {
  let r = 1n;
  b = mod(b);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return r;
}
function modInv(a: bigint): bigint {
  return modPow(a, P - 2n);
}
function leToBigint(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

/**
 * Points already decoded in this process (a bounded memo): a command checks the
 * same few keys (owner, peers, policy signers) many times, and each check is
 * three BigInt exponentiations (~1 ms before the JIT warms up).
 */
const decoded = new Map<string, bigint | undefined>();

/** Decode the y coordinate and check that the point is on the curve. */
function edY(publicKey: Uint8Array): bigint | undefined {
  if (publicKey.length !== 32) return undefined;
  const memo = Buffer.from(publicKey.buffer, publicKey.byteOffset, 32).toString('latin1');
  if (decoded.has(memo)) return decoded.get(memo);
  const y = decodeY(publicKey);
  if (decoded.size >= 256) decoded.clear();
  decoded.set(memo, y);
  return y;
}

function decodeY(publicKey: Uint8Array): bigint | undefined {
  const y = leToBigint(publicKey) & ((1n << 255n) - 1n);
  if (y >= P) return undefined;
  const xSign = publicKey[31] >> 7;
  const y2 = (y * y) % P;
  const x2 = mod((y2 - 1n) * modInv(mod(curveD() * y2 + 1n)));
  if (x2 === 0n) return xSign === 1 ? undefined : y; // x = 0 has no negative form
  // x² must be a quadratic residue (Euler's criterion).
  return modPow(x2, (P - 1n) / 2n) === 1n ? y : undefined;
}

/** True when the 32 bytes are a valid compressed Ed25519 point. */
export function isValidEdPublicKey(publicKey: Uint8Array): boolean {
  return edY(publicKey) !== undefined;
}

/** Edwards → Montgomery (libsodium crypto_sign_ed25519_pk_to_curve25519). */
export function edToMontgomery(publicKey: Uint8Array): Uint8Array {
  const y = edY(publicKey);
  if (y === undefined || y === 1n) throw new Error('not a valid Ed25519 public key');
  let u = mod((1n + y) * modInv(mod(1n - y)));
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(u & 0xffn);
    u >>= 8n;
  }
  return out;
}
