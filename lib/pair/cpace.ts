/**
 * CPace on ristretto255 with SHA-512 (CPACE-RISTR255-SHA512,
 * draft-irtf-cfrg-cpace-21), built on @noble/curves and @noble/hashes, plus
 * the key-confirmation tags DESIGN.md §7 adds (HMAC-SHA-512 with
 * mac_key = SHA-512("CPaceMac" ‖ sid ‖ ISK) over lv_cat(Y, AD)).
 * Initiator–responder mode for pairing; the symmetric (ordered-concat)
 * transcript is here too so every published vector is reproduced.
 */
import { createRequire } from 'node:module';
import { ristretto255, ristretto255_hasher, ed25519 } from '@noble/curves/ed25519.js';
import { createHash, createHmac } from 'node:crypto';
import { authError } from '../cli/errors.ts';

const Point = ristretto255.Point;

// SHA-512 and HMAC from node:crypto (native): the same bytes as @noble/hashes, a fraction of the time.
const sha512 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha512').update(data).digest());
const hmacSha512 = (key: Uint8Array, data: Uint8Array): Uint8Array => new Uint8Array(createHmac('sha512', key).update(data).digest());
const ORDER = Point.Fn.ORDER;

/** The suite's domain separation identifier. */
export const DSI = new TextEncoder().encode('CPaceRistretto255');
/** SHA-512's input block size: the generator string is padded towards it. */
const S_IN_BYTES = 128;

/** LEB128 length, as CPace's prepend_len uses. */
export function prependLen(data: Uint8Array): Uint8Array {
  const len: number[] = [];
  let n = data.length;
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n > 0) b |= 0x80;
    len.push(b);
  } while (n > 0);
  return concat(new Uint8Array(len), data);
}

/** CPace's lv_cat: each argument with its LEB128 length in front. */
export function lvCat(...parts: Uint8Array[]): Uint8Array {
  return concat(...parts.map(prependLen));
}

/** Plain concatenation. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** generator_string(DSI, PRS, CI, sid, s_in_bytes): the hash input the generator comes from. */
export function generatorString(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  const zpad = Math.max(0, S_IN_BYTES - 1 - prependLen(prs).length - prependLen(DSI).length);
  return lvCat(DSI, prs, new Uint8Array(zpad), ci, sid);
}

/** The password-dependent generator g (encoded), via RFC 9496 element derivation of SHA-512(gen_str). */
export function calculateGenerator(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): InstanceType<typeof Point> {
  return ristretto255_hasher.deriveToCurve!(sha512(generatorString(prs, ci, sid)));
}

function scalarFromLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n % ORDER;
}

type Sodium = {
  crypto_scalarmult_ed25519_noclamp(q: Buffer, n: Buffer, p: Buffer): void;
  crypto_core_ed25519_scalar_random(r: Buffer): void;
};
let sodium: Sodium | undefined;
const loadSodium = (): Sodium => (sodium ??= createRequire(import.meta.url)('sodium-native') as Sodium);
const INV8 = Point.Fn.inv(8n);

/**
 * A fresh secret scalar, uniform in [1, ℓ), little-endian 32 bytes:
 * libsodium's rejection sampling (crypto_core_ed25519_scalar_random), with no
 * 64-byte draw through node:crypto and BigInt reduction on pairing's path.
 */
export function sampleScalar(): Uint8Array {
  const b = Buffer.alloc(32);
  loadSodium().crypto_core_ed25519_scalar_random(b);
  const out = new Uint8Array(b);
  b.fill(0);
  return out;
}

/**
 * y·P as a ristretto255 encoding, or undefined when it is the identity. The
 * group operations stay @noble/curves' (decoding, hashing to the group,
 * encoding); the one scalar multiplication runs in libsodium's constant-time
 * native code (sodium-native, which hyperdht already loads), 3× faster than
 * BigInt arithmetic. libsodium multiplies only points of the prime-order
 * subgroup, and a ristretto element's Edwards representative may carry a
 * 4-torsion part, so: y·P = (y/8)·(8P), where 8P has none and the ristretto
 * encoding ignores what y·P's torsion would have been.
 */
function mulRistretto(y: Uint8Array, P: InstanceType<typeof Point>): Uint8Array | undefined {
  const so = loadSodium();
  const ep = (P as unknown as { ep: InstanceType<typeof ed25519.Point> }).ep;
  const p8 = Buffer.from(ep.double().double().double().toBytes());
  const n = Buffer.alloc(32);
  let v = Point.Fn.mul(scalarFromLE(y), INV8);
  for (let i = 0; i < 32; i++, v >>= 8n) n[i] = Number(v & 0xffn);
  const out = Buffer.alloc(32);
  try {
    so.crypto_scalarmult_ed25519_noclamp(out, n, p8); // throws on a small-order input or an identity result
  } catch {
    return undefined;
  } finally {
    n.fill(0);
  }
  const bytes = new Point(ed25519.Point.fromBytes(out)).toBytes();
  out.fill(0);
  return bytes;
}

/** y·g, encoded. */
export function scalarMult(y: Uint8Array, g: InstanceType<typeof Point>): Uint8Array {
  const Y = mulRistretto(y, g);
  if (!Y) throw authError('ERR_CPACE_BAD_POINT', 'the generator is the identity element');
  return Y;
}

/**
 * scalar_mult_vfy: y·X for a peer's encoded X. An invalid encoding or a
 * result equal to the identity aborts (exit 4): a peer may not choose K.
 */
export function scalarMultVfy(y: Uint8Array, X: Uint8Array): Uint8Array {
  let p;
  try {
    p = Point.fromBytes(X);
  } catch {
    throw authError('ERR_CPACE_BAD_POINT', 'the peer sent an invalid group element');
  }
  const k = mulRistretto(y, p);
  if (!k) throw authError('ERR_CPACE_BAD_POINT', 'the peer sent the identity element');
  return k;
}

/** transcript_ir: lv_cat(Ya, ADa) ‖ lv_cat(Yb, ADb). */
export function transcriptIr(Ya: Uint8Array, ADa: Uint8Array, Yb: Uint8Array, ADb: Uint8Array): Uint8Array {
  return concat(lvCat(Ya, ADa), lvCat(Yb, ADb));
}

function lexLarger(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] > b[i];
  return a.length > b.length;
}

/** transcript_oc: "oc" ‖ the two lv_cat(Y, AD) in descending order (symmetric mode). */
export function transcriptOc(Ya: Uint8Array, ADa: Uint8Array, Yb: Uint8Array, ADb: Uint8Array): Uint8Array {
  const a = lvCat(Ya, ADa);
  const b = lvCat(Yb, ADb);
  return concat(new TextEncoder().encode('oc'), ...(lexLarger(a, b) ? [a, b] : [b, a]));
}

/** ISK = SHA-512(lv_cat(DSI ‖ "_ISK", sid, K) ‖ transcript). */
export function deriveIsk(sid: Uint8Array, K: Uint8Array, transcript: Uint8Array): Uint8Array {
  return sha512(concat(lvCat(concat(DSI, new TextEncoder().encode('_ISK')), sid, K), transcript));
}

/** sid_output = SHA-512("CPaceSidOutput" ‖ transcript). */
export function sidOutput(transcript: Uint8Array): Uint8Array {
  return sha512(concat(new TextEncoder().encode('CPaceSidOutput'), transcript));
}

/** mac_key = SHA-512("CPaceMac" ‖ sid ‖ ISK): one per run, for both tags. */
function macKeyOf(sid: Uint8Array, isk: Uint8Array): Uint8Array {
  return sha512(concat(new TextEncoder().encode('CPaceMac'), sid, isk));
}

/** A confirmation tag: HMAC-SHA-512(SHA-512("CPaceMac" ‖ sid ‖ ISK), lv_cat(Y, AD)). */
export function confirmationTag(sid: Uint8Array, isk: Uint8Array, Y: Uint8Array, AD: Uint8Array): Uint8Array {
  const macKey = macKeyOf(sid, isk);
  const tag = hmacSha512(macKey, lvCat(Y, AD));
  macKey.fill(0);
  return tag;
}

/** Constant-time comparison of two tags. */
export function tagsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/** One side's CPace state: its secret scalar and public share. */
export interface CpaceShare {
  y: Uint8Array;
  Y: Uint8Array;
}

/** Start a CPace run: sample y, compute Y = y·g(PRS, CI, sid). */
export function cpaceStart(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array, y = sampleScalar()): CpaceShare {
  const g = calculateGenerator(prs, ci, sid);
  return { y, Y: scalarMult(y, g) };
}

/**
 * Finish in initiator–responder mode: K from our y and their Y (abort on an
 * invalid point or the identity), ISK over transcript_ir, and both tags.
 */
export function cpaceFinish(
  own: CpaceShare,
  theirY: Uint8Array,
  role: 'initiator' | 'responder',
  ADa: Uint8Array,
  ADb: Uint8Array,
  sid: Uint8Array,
): { isk: Uint8Array; Ta: Uint8Array; Tb: Uint8Array } {
  const K = scalarMultVfy(own.y, theirY);
  const [Ya, Yb] = role === 'initiator' ? [own.Y, theirY] : [theirY, own.Y];
  const isk = deriveIsk(sid, K, transcriptIr(Ya, ADa, Yb, ADb));
  K.fill(0);
  own.y.fill(0);
  // Both tags from one mac_key (confirmationTag would derive it once each).
  const macKey = macKeyOf(sid, isk);
  const tags = { Ta: hmacSha512(macKey, lvCat(Ya, ADa)), Tb: hmacSha512(macKey, lvCat(Yb, ADb)) };
  macKey.fill(0);
  return { isk, ...tags };
}
