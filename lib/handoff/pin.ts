/**
 * PIN-protected records (DESIGN.md §5, cclink's `--pin`): the blob is
 * encrypted to an X25519 key derived from the PIN,
 *
 *   key = HKDF-SHA256(salt none, info "cclink-pin-v1",
 *                     Argon2id(PIN, pin_salt, m=64 MiB, t=3, p=1, 32 bytes))
 *
 * used directly as the age identity's scalar. The salt is in the record, so
 * anyone who sees the record can guess PINs offline at Argon2's pace: the
 * PIN must carry real entropy. We estimate it (zxcvbn-ts), refuse weak ones
 * unless told otherwise, and can generate a strong one.
 */
import { randomInt } from 'node:crypto';
import { CliError, EXIT } from '../cli/errors.ts';
import { readSecret } from '../cli/secret.ts';
import { DEFAULT_ARGON2, stretch } from '../identity/kdf.ts';
import { estimateStrength, MIN_SECRET_BITS, type Strength } from '../identity/strength.ts';

/** HKDF info label of PIN keys, as cclink uses. */
export const PIN_INFO = 'cclink-pin-v1';
/** Bytes of a record's random pin_salt. */
export const PIN_SALT_SIZE = 32;

/** Below this many estimated bits a PIN is refused without --weak-pin (see lib/identity/strength.ts). */
export const MIN_PIN_BITS = MIN_SECRET_BITS;

/** The 32-byte X25519 secret for a PIN and salt (Argon2id, ~0.2 s and 64 MiB by design). */
export async function derivePinKey(pin: Uint8Array, salt: Uint8Array): Promise<Uint8Array> {
  if (salt.length !== PIN_SALT_SIZE) {
    throw new CliError('ERR_BAD_PIN_SALT', `pin_salt must be ${PIN_SALT_SIZE} bytes, got ${salt.length}`, EXIT.AUTH);
  }
  return stretch(pin, salt, DEFAULT_ARGON2, PIN_INFO);
}

// ── strength ─────────────────────────────────────────────────────────────

export type PinStrength = Strength;

/** How many guesses a PIN is worth to an offline attacker (zxcvbn-ts, loaded on first use). */
export function estimatePinStrength(pin: string): Promise<PinStrength> {
  return estimateStrength(pin);
}

/** Refuse a weak PIN (exit 1) unless the caller accepted the risk. */
export async function checkPinStrength(pin: Uint8Array, allowWeak: boolean): Promise<PinStrength> {
  const s = await estimatePinStrength(Buffer.from(pin).toString('utf8'));
  if (s.bits < MIN_PIN_BITS && !allowWeak) {
    throw new CliError(
      'ERR_WEAK_PIN',
      `PIN too weak: about ${Math.floor(s.bits)} bits, ${s.weakness}; anyone who sees the record can try PINs offline`,
      EXIT.FAILURE,
      `use a longer passphrase (${MIN_PIN_BITS}+ bits), let cc-seal make one with --generate-pin, or accept the risk with --weak-pin`,
    );
  }
  return s;
}

// ── generation ───────────────────────────────────────────────────────────

/** z-base-32: lowercase, no 0/O or 1/l confusion, easy to read aloud and type. */
const GEN_ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769';
const GEN_GROUPS = 4;
const GEN_GROUP_LEN = 4;

/** A random passphrase like `k8q3-xw9a-7dtm-p2rn`: 16 characters of 5 bits, 80 bits. */
export function generatePin(): string {
  const groups: string[] = [];
  for (let g = 0; g < GEN_GROUPS; g++) {
    let s = '';
    for (let i = 0; i < GEN_GROUP_LEN; i++) s += GEN_ALPHABET[randomInt(GEN_ALPHABET.length)];
    groups.push(s);
  }
  return groups.join('-');
}

/** Entropy in bits of a generatePin() PIN: 16 z-base32 characters, 80 bits. */
export const GENERATED_PIN_BITS = GEN_GROUPS * GEN_GROUP_LEN * Math.log2(GEN_ALPHABET.length);

// ── input ────────────────────────────────────────────────────────────────

/** The PIN from --pin-fd, CCKIT_PIN or the terminal (asked twice when sealing). */
export function readPin(opts: { fd?: number; confirm: boolean; prompt?: string }): Promise<Buffer> {
  return readSecret({
    what: 'PIN',
    env: 'CCKIT_PIN',
    fdFlag: 'pin-fd',
    fd: opts.fd,
    prompt: opts.prompt ?? (opts.confirm ? 'PIN for this handoff: ' : 'PIN: '),
    confirm: opts.confirm,
  });
}
