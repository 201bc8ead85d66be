/**
 * Standard age v1 files for small objects held whole in memory, tuned for
 * thousands per push or pull (the per-file cost is what made cc-context slow,
 * not the bytes): identities' keys are imported once, randomness comes from a
 * pool, and the STREAM chunks are sealed and opened straight from the one
 * buffer (no 64 KiB staging buffer per file).
 *
 * Sealing has two sets of primitives. By default node:crypto, which costs
 * nothing more to load. Worker threads of object-threads.ts, and the main
 * thread of a push with many objects, switch their copy of this module to
 * libsodium (sodium-native: X25519, ChaCha20-Poly1305, SHA-256, randomness,
 * memcmp) and @noble/hashes (HKDF, HMAC) with useLockFreeCrypto(). Two
 * reasons: an ephemeral X25519 key from node:crypto must be imported from
 * random bytes (~0.6 ms; generateKeyPairSync can deadlock, see
 * lib/identity/ed25519.ts), and libsodium needs no per-object key import.
 * Loading sodium-native costs ~35 ms, which a one-file push should not pay.
 *
 * The output is byte-for-byte the format lib/age/stream.ts writes and reads:
 * X25519 stanza, header MAC, STREAM over 64 KiB chunks; the tests open it with
 * typage (npm age-encryption) and lib/age.
 */
import { createCipheriv, createHash, diffieHellman, hkdfSync, randomFillSync, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  aeadOpen,
  CHUNK_SIZE,
  badHeader,
  encodeHeader,
  FILE_KEY_SIZE,
  headerWithoutMac,
  HeaderScanner,
  INTRO,
  integrityError,
  parseHeader,
  PAYLOAD_NONCE_SIZE,
  payloadKey,
  SEALED_CHUNK_SIZE,
  TAG_SIZE,
  x25519StanzaShare,
  unwrapX25519,
  verifyHeaderMac,
  x25519Identity,
  type X25519Identity,
} from '../age/stream.ts';
import { x25519Ephemeral, x25519PublicKey } from '../identity/ed25519.ts';

const X25519_LABEL = Buffer.from('age-encryption.org/v1/X25519');
const ZERO_NONCE = Buffer.alloc(12);
const INTRO_BYTES = Buffer.from(INTRO, 'latin1');

type Sodium = {
  randombytes_buf(b: Buffer): void;
  crypto_scalarmult_base(q: Buffer, n: Buffer): void;
  crypto_scalarmult(q: Buffer, n: Buffer, p: Buffer): void;
  crypto_aead_chacha20poly1305_ietf_encrypt(c: Buffer, m: Buffer, ad: Buffer | null, nsec: null, npub: Buffer, k: Buffer): number;
  crypto_aead_chacha20poly1305_ietf_decrypt(m: Buffer, nsec: null, c: Buffer, ad: Buffer | null, npub: Buffer, k: Buffer): number;
  crypto_hash_sha256(out: Buffer, input: Buffer): void;
  sodium_memcmp(a: Buffer, b: Buffer): boolean;
};
let sodiumModule: Sodium | undefined;
const sodium = (): Sodium => (sodiumModule ??= createRequire(import.meta.url)('sodium-native') as Sodium);

/** libsodium + noble rather than node:crypto for sealing, in this thread (see the top of this file). */
let lockFree = false;

/** Seal with libsodium + @noble/hashes from now on in this thread (a worker of object-threads.ts). */
export function useLockFreeCrypto(): void {
  lockFree = true;
}

// ── randomness in bulk: one getrandom per 128 files, not two per file ──
const POOL = Buffer.alloc(4096);
let poolAt = POOL.length;

function random(n: number): Buffer {
  if (poolAt + n > POOL.length) {
    if (lockFree) sodium().randombytes_buf(POOL);
    else randomFillSync(POOL);
    poolAt = 0;
  }
  const out = Buffer.from(POOL.subarray(poolAt, poolAt + n));
  POOL.fill(0, poolAt, poolAt + n); // a byte handed out is not kept
  poolAt += n;
  return out;
}

/** SHA-256 of `data`, hex, with this thread's primitives. */
export function sha256hexAnyThread(data: Uint8Array): string {
  if (!lockFree) return createHash('sha256').update(data).digest('hex');
  const out = Buffer.alloc(32);
  sodium().crypto_hash_sha256(out, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return out.toString('hex');
}

const hkdf32 = (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array | string): Buffer =>
  lockFree ? Buffer.from(hkdf(sha256, ikm, salt, typeof info === 'string' ? Buffer.from(info) : info, 32)) : Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));

/** ChaCha20-Poly1305 (IETF) of `plain` into `out` (ciphertext then tag); the bytes written. */
function aeadSeal(out: Buffer, plain: Buffer, nonce: Buffer, key: Buffer): number {
  if (lockFree) return sodium().crypto_aead_chacha20poly1305_ietf_encrypt(out, plain, null, null, nonce, key);
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
  let at = c.update(plain).copy(out, 0);
  c.final();
  at += c.getAuthTag().copy(out, at);
  return at;
}

// ── keys imported once per process ──
const recipients = new Map<string, KeyObject>();
const identities = new Map<string, X25519Identity>();

function recipientKey(r: Uint8Array): KeyObject {
  const k = Buffer.from(r).toString('base64');
  let key = recipients.get(k);
  if (!key) recipients.set(k, (key = x25519PublicKey(r)));
  return key;
}

/** The X25519 identity of a zone secret, built once (an import and a scalar multiplication). */
export function cachedIdentity(secret: Uint8Array): X25519Identity {
  const k = Buffer.from(secret).toString('base64');
  let id = identities.get(k);
  if (!id) identities.set(k, (id = x25519Identity(secret)));
  return id;
}

function b64nopad(b: Uint8Array): string {
  return Buffer.from(b).toString('base64').replace(/=+$/, '');
}

/** An ephemeral X25519 share and its shared secret with `recipient` (ERR_BAD_RECIPIENT for a low-order point). */
function ephemeralShare(recipient: Uint8Array): { share: Buffer; shared: Buffer } {
  const lowOrder = () => integrityError('ERR_BAD_RECIPIENT', 'recipient key is a low-order point');
  if (!lockFree) {
    const eph = x25519Ephemeral(); // not generateKeyPairSync, which can deadlock: see lib/identity/ed25519.ts
    const share = eph.publicKey;
    const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: recipientKey(recipient) });
    if (shared.every((b) => b === 0)) throw lowOrder();
    return { share, shared };
  }
  const na = sodium();
  const eph = random(32);
  const share = Buffer.alloc(32);
  const shared = Buffer.alloc(32);
  try {
    na.crypto_scalarmult_base(share, eph);
    na.crypto_scalarmult(shared, eph, Buffer.from(recipient)); // refuses an all-zero result (a low-order point)
  } catch {
    throw lowOrder();
  } finally {
    eph.fill(0);
  }
  return { share, shared };
}

/** The age X25519 stanza wrapping `fileKey` to `recipient` (age spec: ephemeral share, HKDF, ChaCha20-Poly1305). */
function wrap(fileKey: Buffer, recipient: Uint8Array) {
  const { share, shared } = ephemeralShare(recipient);
  const wrapKey = hkdf32(shared, Buffer.concat([share, recipient]), X25519_LABEL);
  shared.fill(0);
  const body = Buffer.alloc(fileKey.length + TAG_SIZE);
  aeadSeal(body, fileKey, ZERO_NONCE, wrapKey);
  wrapKey.fill(0);
  return { args: ['X25519', b64nopad(share)], body };
}

function chunkNonce(counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), 3);
  n.writeUInt32BE(counter >>> 0, 7);
  n[11] = last ? 1 : 0;
  return n;
}

/** encodeHeader with noble's HMAC (lib/age/stream.ts MACs with node:crypto). */
function lockFreeHeader(stanza: { args: string[]; body: Buffer }, fileKey: Buffer): Buffer {
  const noMac = headerWithoutMac([stanza]);
  const macKey = hkdf32(fileKey, new Uint8Array(0), 'header');
  const mac = hmac(sha256, macKey, noMac);
  macKey.fill(0);
  return Buffer.concat([noMac, Buffer.from(` ${b64nopad(mac)}\n`, 'latin1')]);
}

/** Seal `plain` to one X25519 recipient: a binary age file. */
export function sealSmall(plain: Buffer, recipient: Uint8Array): Buffer {
  const fileKey = random(FILE_KEY_SIZE);
  const header = lockFree ? lockFreeHeader(wrap(fileKey, recipient), fileKey) : encodeHeader([wrap(fileKey, recipient)], fileKey);
  const nonce = random(PAYLOAD_NONCE_SIZE);
  const key = hkdf32(fileKey, nonce, 'payload');
  fileKey.fill(0);
  const chunks = Math.max(1, Math.ceil(plain.length / CHUNK_SIZE));
  const out = Buffer.allocUnsafe(header.length + nonce.length + plain.length + chunks * TAG_SIZE);
  let at = header.copy(out, 0);
  at += nonce.copy(out, at);
  for (let i = 0; i < chunks; i++) {
    const part = plain.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE);
    at += aeadSeal(out.subarray(at, at + part.length + TAG_SIZE), part, chunkNonce(i, i === chunks - 1), key);
  }
  key.fill(0);
  return out;
}

/** Open one sealed chunk (ciphertext then tag) into `out`; its length, or -1 when it does not authenticate. */
function aeadOpenInto(out: Buffer, sealed: Buffer, nonce: Buffer, key: Buffer): number {
  if (lockFree) {
    try {
      return sodium().crypto_aead_chacha20poly1305_ietf_decrypt(out, null, sealed, null, nonce, key);
    } catch {
      out.fill(0);
      return -1;
    }
  }
  const pt = aeadOpen(key, nonce, sealed);
  if (!pt) return -1;
  const n = pt.copy(out, 0);
  pt.fill(0);
  return n;
}

/** A zone secret's X25519 public key (libsodium), remembered per secret. */
const lockFreePublics = new Map<string, Buffer>();

/** unwrapX25519 (lib/age/stream.ts) on libsodium + noble: the same checks, the same errors. */
function lockFreeUnwrap(stanzas: { args: string[]; body: Buffer }[], secrets: Uint8Array[]): Buffer | null {
  const na = sodium();
  for (const st of stanzas) {
    const share = x25519StanzaShare(st);
    if (!share) continue;
    for (const secret of secrets) {
      const sk = Buffer.from(secret);
      const k = sk.toString('base64');
      let pub = lockFreePublics.get(k);
      if (!pub) {
        pub = Buffer.alloc(32);
        na.crypto_scalarmult_base(pub, sk);
        lockFreePublics.set(k, pub);
      }
      const shared = Buffer.alloc(32);
      try {
        na.crypto_scalarmult(shared, sk, share);
      } catch {
        throw badHeader('X25519 share is a low-order point');
      } finally {
        sk.fill(0);
      }
      const wrapKey = hkdf32(shared, Buffer.concat([share, pub]), X25519_LABEL);
      shared.fill(0);
      const fileKey = Buffer.alloc(FILE_KEY_SIZE);
      const n = aeadOpenInto(fileKey, st.body, ZERO_NONCE, wrapKey);
      wrapKey.fill(0);
      if (n === FILE_KEY_SIZE) return fileKey;
    }
  }
  return null;
}

/** verifyHeaderMac (lib/age/stream.ts) with noble's HMAC and libsodium's constant-time compare. */
function lockFreeVerifyMac(h: { noMac: Buffer; mac: Buffer }, fileKey: Buffer): void {
  const macKey = hkdf32(fileKey, new Uint8Array(0), 'header');
  const want = Buffer.from(hmac(sha256, macKey, h.noMac));
  macKey.fill(0);
  if (want.length !== h.mac.length || !sodium().sodium_memcmp(want, h.mac)) {
    throw integrityError('ERR_AGE_HEADER_MAC', 'age header MAC does not verify', 'the file was tampered with or is corrupt');
  }
}

/**
 * Open a binary age file held in memory with the given zone secrets (ERR_WRONG_KEY, exit 4, when none
 * fits). With `scratch` large enough, the plaintext is written into it and a view returned.
 */
export function openSmall(file: Buffer, secrets: Uint8Array[], what: string, scratch?: Buffer): Buffer {
  if (file.length < INTRO_BYTES.length || !file.subarray(0, INTRO_BYTES.length).equals(INTRO_BYTES)) throw integrityError('ERR_NOT_AGE', `${what} is not an age file`);
  const found = new HeaderScanner().push(file);
  if (!found) throw integrityError('ERR_AGE_HEADER', `invalid age header: unexpected end of header (${what})`);
  const h = parseHeader(found.header);
  const fileKey = lockFree ? lockFreeUnwrap(h.stanzas, secrets) : unwrapX25519(h.stanzas, secrets.map(cachedIdentity));
  if (!fileKey) throw integrityError('ERR_WRONG_KEY', `${what} is not encrypted to this key`);
  if (lockFree) lockFreeVerifyMac(h, fileKey);
  else verifyHeaderMac(h, fileKey);
  const rest = found.rest;
  if (rest.length < PAYLOAD_NONCE_SIZE + TAG_SIZE) throw integrityError('ERR_AGE_TRUNCATED', `${what} is truncated`);
  const key = lockFree ? hkdf32(fileKey, rest.subarray(0, PAYLOAD_NONCE_SIZE), 'payload') : payloadKey(fileKey, rest.subarray(0, PAYLOAD_NONCE_SIZE));
  fileKey.fill(0);
  const body = rest.subarray(PAYLOAD_NONCE_SIZE);
  // Chunks are full except the last, which may be full too; an empty last chunk only when it is the only one.
  const chunks = Math.max(1, Math.ceil(body.length / SEALED_CHUNK_SIZE));
  const outLength = body.length - chunks * TAG_SIZE;
  const out = scratch && scratch.length >= outLength ? scratch.subarray(0, outLength) : Buffer.allocUnsafe(outLength);
  let at = 0;
  try {
    for (let i = 0; i < chunks; i++) {
      const sealed = body.subarray(i * SEALED_CHUNK_SIZE, (i + 1) * SEALED_CHUNK_SIZE);
      const last = i === chunks - 1;
      if (sealed.length < TAG_SIZE) throw integrityError('ERR_AGE_TRUNCATED', `${what} is truncated (the final chunk is missing)`);
      const n = aeadOpenInto(out.subarray(at, at + sealed.length - TAG_SIZE), sealed, chunkNonce(i, last), key);
      if (n < 0) throw integrityError(last ? 'ERR_AGE_TRUNCATED' : 'ERR_AGE_PAYLOAD', `${what}: age payload chunk ${i} does not authenticate`, 'the file is corrupt or was tampered with');
      if (last && n === 0 && chunks > 1) throw integrityError('ERR_AGE_PAYLOAD', `${what} ends with an empty chunk after a full one, which age forbids`);
      at += n;
    }
  } catch (err) {
    out.fill(0);
    throw err;
  } finally {
    key.fill(0);
  }
  return out;
}
