/**
 * Session carry (DESIGN.md §11): what the encrypted payload says about the
 * archive that travels beside the record, as `"c"` after `h`, `p`, `s`.
 *
 *   "c": {"n": <bytes of the sealed archive>, "x": "<SHA-256 of it, base64url>",
 *         "k": "<32-byte secret, base64url>",   (k only for a PIN handoff)
 *         "u": "<store>"}                        (u only with --via-store)
 *
 * Online (no `u`/`o`), the archive is fetched from the record's publisher
 * over HyperDHT (its pk: is the address). With `--via-store` it waits in a
 * store instead (carry-store.ts): `u` is the store as the publisher named it
 * (a folder path, or `rclone:REMOTE:PATH` where REMOTE is looked up in the
 * picker's own rclone config). The object's name there is not in the payload
 * (a PIN record has no bytes to spare): both sides derive it from the record's
 * expiry and `x`, as `carry/<expires_at>-<x>`, so the store learns when it may
 * be swept and the hash of what it holds (which it can compute anyway), and
 * nothing else: no session id, path, host or key. `k` exists because a PIN reader has no key of its own: it is
 * the age X25519 identity the archive is sealed to and, through HKDF, the key
 * pair the publisher's firewall admits; only someone who opened the record
 * with the PIN learns it. cclink parses the payload with serde's default
 * (unknown fields ignored: src/record/mod.rs `struct Payload`), so a carry
 * record still opens there; cclink just does not fetch the archive.
 */
import { createHash, hkdfSync } from 'node:crypto';
import { CliError, EXIT } from '../cli/errors.ts';

/** The carry descriptor inside a payload. */
export interface Carry {
  /** Size of the sealed archive in bytes. */
  n: number;
  /** SHA-256 of the sealed archive, base64url without padding. */
  x: string;
  /** PIN mode: the archive's age identity / fetch key seed, base64url (32 bytes). */
  k?: string;
  /** --via-store: the store the archive waits in (a folder path or rclone:REMOTE:PATH). */
  u?: string;
}

/** Largest archive we agree to carry or fetch (64 GiB: far above any session). */
export const MAX_ARCHIVE = 64 * 1024 ** 3;

const B64URL32 = /^[A-Za-z0-9_-]{43}$/;
/** `<expires_at>-<x>`: a stored archive's name (see the module comment). */
export const OBJECT_NAME = /^[0-9]{1,12}-[A-Za-z0-9_-]{43}$/;
/** A store spec in a payload: bounded, one line, printable. */
const STORE_SPEC_MAX = 400;

/** Validate a `c` value from a payload; `exit` says whose fault a bad one is. */
export function parseCarry(value: unknown, exit: 1 | 4 = EXIT.AUTH): Carry {
  const bad = (why: string) => new CliError('ERR_BAD_CARRY', `the payload's carry field is invalid: ${why}`, exit);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('expected an object');
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['n', 'x', 'k', 'u'].includes(k)) throw bad(`unexpected field '${k}'`);
  if (typeof o.n !== 'number' || !Number.isSafeInteger(o.n) || o.n <= 0 || o.n > MAX_ARCHIVE) throw bad("'n' is not a size");
  if (typeof o.x !== 'string' || !B64URL32.test(o.x)) throw bad("'x' is not a SHA-256");
  if (o.k !== undefined && (typeof o.k !== 'string' || !B64URL32.test(o.k))) throw bad("'k' is not a 32-byte key");
  if (o.u !== undefined && (typeof o.u !== 'string' || o.u === '' || o.u.length > STORE_SPEC_MAX || /[\x00-\x1f\x7f]/.test(o.u))) throw bad("'u' is not a store");
  const c: Carry = { n: o.n, x: o.x };
  if (o.k !== undefined) c.k = o.k as string;
  if (o.u !== undefined) c.u = o.u as string;
  return c;
}

/** SHA-256 in the payload's spelling. */
export function hashName(digest: Uint8Array): string {
  return Buffer.from(digest).toString('base64url');
}

/** A running SHA-256 (the archive is hashed as it is written or received). */
export function newHash() {
  return createHash('sha256');
}

/** The Ed25519 seed a PIN reader fetches with, derived from the payload's `k`. */
export function fetchSeedFromK(k: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', k, Buffer.alloc(0), 'cckit/carry/v1/fetch', 32));
}
