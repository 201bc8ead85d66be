/**
 * Ed25519 and X25519 on node:crypto (OpenSSL): native, with no start-up
 * cost. Pure-JS curves cost ~40 ms on the first call (table precomputation),
 * which would double the run time of every command in a pipeline.
 * @noble/curves stays the oracle these are tested against.
 */
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';

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

/**
 * Why no key here comes from generateKeyPairSync: in Node 20 a key exported
 * right after generateKeyPairSync made it can deadlock the process. The
 * export holds the key's mutex while it allocates; a garbage collection
 * then finalises the finished KeyGenJob, whose destructor takes the same
 * mutex (seen with gdb: ExportJWKEdKey → GC → ~KeyGenJob → futex wait, one
 * push in ~10,000 keys). Keys are made from random bytes and imported.
 */
type Sodium = {
  crypto_sign_seed_keypair(pk: Buffer, sk: Buffer, seed: Buffer): void;
  crypto_sign_detached(sig: Buffer, message: Buffer, sk: Buffer): void;
  crypto_sign_verify_detached(sig: Buffer, message: Buffer, pk: Buffer): boolean;
};
let sodium: Sodium | undefined;
const loadSodium = (): Sodium => (sodium ??= createRequire(import.meta.url)('sodium-native') as Sodium);

/**
 * A fresh Ed25519 key pair: a random seed and its public key, derived by
 * libsodium (~0.05 ms; OpenSSL's DER import costs ~0.5 ms, and pairing makes
 * two on its critical path, where sodium-native is loaded already).
 */
export function edGenerate(): { seed: Uint8Array; publicKey: Uint8Array } {
  const seed = randomBytes(32);
  const pk = Buffer.alloc(32);
  const sk = Buffer.alloc(64);
  loadSodium().crypto_sign_seed_keypair(pk, sk, seed);
  sk.fill(0);
  const out = { seed: new Uint8Array(seed), publicKey: new Uint8Array(pk) };
  seed.fill(0);
  return out;
}

/** A fresh X25519 key pair for one use (an age stanza): the private KeyObject and the raw public key. */
export function x25519Ephemeral(): { privateKey: KeyObject; publicKey: Buffer } {
  const secret = randomBytes(32);
  const privateKey = x25519PrivateKey(secret);
  secret.fill(0);
  return { privateKey, publicKey: x25519RawPublic(createPublicKey(privateKey)) };
}

/**
 * The 64-byte Ed25519 signature (RFC 8032) of `message` by `seed`. Given the
 * seed's `publicKey` too, the key is imported as JWK: ~0.04 ms instead of
 * ~0.5 ms for OpenSSL's DER decoder (pairing signs on its critical path).
 * OpenSSL derives the public half from `d` itself, so a wrong `publicKey`
 * cannot produce a signature under another key.
 */
export function edSign(seed: Uint8Array, message: Uint8Array, publicKey?: Uint8Array): Uint8Array {
  if (publicKey?.length === 32) {
    const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(seed).toString('base64url'), x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
    return new Uint8Array(nodeSign(null, message, key));
  }
  return new Uint8Array(nodeSign(null, message, edPrivate(seed)));
}

/**
 * Ed25519 by libsodium, for code that runs beside HyperDHT (lib/net,
 * lib/pair), which has loaded sodium-native already: no key import per call
 * (OpenSSL's costs ~0.1 ms per sign or verify, twice each per pairing). A
 * command without HyperDHT keeps edSign/edVerify: loading sodium-native
 * alone costs tens of milliseconds of start-up.
 *
 * The secret key libsodium signs with is derived here from the seed (never a
 * caller's seed ‖ public key, which, if it named another public key, would
 * leak the seed through two signatures).
 */
export function edSignSodium(seed: Uint8Array, message: Uint8Array): Uint8Array {
  const so = loadSodium();
  const pk = Buffer.alloc(32);
  const sk = Buffer.alloc(64);
  const s = Buffer.from(seed);
  try {
    so.crypto_sign_seed_keypair(pk, sk, s);
    const sig = Buffer.alloc(64);
    so.crypto_sign_detached(sig, Buffer.from(message.buffer, message.byteOffset, message.byteLength), sk);
    return new Uint8Array(sig);
  } finally {
    sk.fill(0);
    s.fill(0);
  }
}

/**
 * edVerify by libsodium (see edSignSodium). libsodium is the stricter of the
 * two: it also refuses small-order keys and R values and non-canonical
 * encodings, which no honest signer produces. Never throws.
 */
export function edVerifySodium(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const m = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
    return loadSodium().crypto_sign_verify_detached(Buffer.from(signature), m, Buffer.from(publicKey));
  } catch {
    return false;
  }
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

/** b^(2^k) mod p: k squarings. */
function pow2k(b: bigint, k: number): bigint {
  let r = b;
  for (let i = 0; i < k; i++) r = (r * r) % P;
  return r;
}

/**
 * x^((p-5)/8) = x^(2^252 - 3) mod p by the usual addition chain (as in
 * RFC 8032's reference code and @noble/curves): 254 squarings and 11
 * multiplications, a quarter of a generic square-and-multiply. Every peer
 * key a pairing or a peers.toml read checks pays for it.
 */
function powP58(x: bigint): bigint {
  const x2 = (x * x) % P;
  const b2 = (x2 * x) % P; // x^3
  const b4 = (pow2k(b2, 2) * b2) % P; // x^15
  const b5 = (pow2k(b4, 1) * x) % P; // x^31
  const b10 = (pow2k(b5, 5) * b5) % P;
  const b20 = (pow2k(b10, 10) * b10) % P;
  const b40 = (pow2k(b20, 20) * b20) % P;
  const b80 = (pow2k(b40, 40) * b40) % P;
  const b160 = (pow2k(b80, 80) * b80) % P;
  const b240 = (pow2k(b160, 80) * b80) % P;
  const b250 = (pow2k(b240, 10) * b10) % P;
  return (pow2k(b250, 2) * x) % P;
}

/**
 * Points already decoded in this process (a bounded memo): a command checks the
 * same few keys (owner, peers, policy signers) many times, and each check is
 * a chain of BigInt squarings (~0.5 ms before the JIT warms up).
 */
const decoded = new Map<string, bigint | undefined>();

/** decodeY, remembered per key. */
function edY(publicKey: Uint8Array): bigint | undefined {
  if (publicKey.length !== 32) return undefined;
  const memo = Buffer.from(publicKey.buffer, publicKey.byteOffset, 32).toString('latin1');
  if (decoded.has(memo)) return decoded.get(memo);
  const y = decodeY(publicKey);
  if (decoded.size >= 256) decoded.clear();
  decoded.set(memo, y);
  return y;
}

/**
 * Decode the y coordinate and check that the point is on the curve
 * (RFC 8032 §5.1.3): x² = u/v with u = y² - 1, v = d·y² + 1 has a root iff
 * the candidate x = u·v³·(u·v⁷)^((p-5)/8) gives v·x² = ±u.
 */
function decodeY(publicKey: Uint8Array): bigint | undefined {
  const y = leToBigint(publicKey) & ((1n << 255n) - 1n);
  if (y >= P) return undefined;
  const xSign = publicKey[31] >> 7;
  const y2 = (y * y) % P;
  const u = mod(y2 - 1n);
  const v = mod(curveD() * y2 + 1n);
  if (u === 0n) return xSign === 1 ? undefined : y; // x = 0 has no negative form
  const v3 = (v * v * v) % P;
  const x = (((u * v3) % P) * powP58((((u * v3) % P) * ((v3 * v) % P)) % P)) % P;
  const vx2 = (((v * x) % P) * x) % P;
  return vx2 === u || vx2 === mod(-u) ? y : undefined;
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
