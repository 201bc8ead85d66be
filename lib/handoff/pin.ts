/**
 * PIN-protected records (DESIGN.md §5, cclink's `--pin`): the blob is
 * encrypted to an X25519 key derived from the PIN,
 *
 *   key = HKDF-SHA256(salt none, info "cclink-pin-v1",
 *                     Argon2id(PIN, pin_salt, m=64 MiB, t=3, p=1, 32 bytes))
 *
 * used directly as the age identity's scalar. The salt is in the record, so
 * anyone who sees the record can guess PINs offline at Argon2's pace: the
 * PIN must carry real entropy. We estimate it, refuse weak ones unless told
 * otherwise, and can generate a strong one.
 */
import { randomInt } from 'node:crypto';
import { CliError, EXIT } from '../cli/errors.ts';
import { readSecret } from '../cli/secret.ts';
import { DEFAULT_ARGON2, stretch } from '../identity/kdf.ts';

/** HKDF info label of PIN keys, as cclink uses. */
export const PIN_INFO = 'cclink-pin-v1';
/** Bytes of a record's random pin_salt. */
export const PIN_SALT_SIZE = 32;

/**
 * Below this many estimated bits a PIN is refused without --weak-pin. At
 * Argon2id 64 MiB/t=3 a GPU tries on the order of 10^3-10^4 PINs a second;
 * 2^40 guesses is then years of one GPU, while a 6-digit PIN (20 bits)
 * falls in minutes.
 */
export const MIN_PIN_BITS = 40;

/** The 32-byte X25519 secret for a PIN and salt (Argon2id, ~0.2 s and 64 MiB by design). */
export async function derivePinKey(pin: Uint8Array, salt: Uint8Array): Promise<Uint8Array> {
  if (salt.length !== PIN_SALT_SIZE) {
    throw new CliError('ERR_BAD_PIN_SALT', `pin_salt must be ${PIN_SALT_SIZE} bytes, got ${salt.length}`, EXIT.AUTH);
  }
  return stretch(pin, salt, DEFAULT_ARGON2, PIN_INFO);
}

// ── strength ─────────────────────────────────────────────────────────────

/**
 * A few hundred of the most common passwords and words people reach for.
 * Deliberately small: it catches the obvious, the entropy estimate does the rest.
 */
const COMMON = new Set(
  (
    'password passw0rd passwort motdepasse contraseña qwerty qwertz azerty asdf asdfgh asdfghjk zxcvbn ' +
    'letmein welcome monkey dragon master iloveyou sunshine princess football baseball soccer hockey ' +
    'shadow superman batman trustno1 freedom whatever secret admin administrator root login access ' +
    'hello charlie michael jennifer jordan hunter ranger buster thomas robert daniel andrew joshua ' +
    'pepper ginger summer winter spring autumn flower cookie cheese coffee banana orange purple ' +
    'starwars pokemon computer internet killer mustang harley tigger jessica ashley bailey ' +
    'abc abcd abcdef abcdefg abcdefgh qazwsx zaq12wsx 1qaz2wsx qwer1234 q1w2e3r4 q1w2e3r4t5 ' +
    'changeme default guest test tester testing claude anthropic cckit cclink handoff session pin ' +
    'love lovely loveme family friend friends money lucky happy google apple samsung yankees ' +
    'matrix ninja mickey minecraft fortnite liverpool chelsea arsenal barcelona'
  ).split(/\s+/),
);

const KEYBOARD_ROWS = ['`1234567890-=', 'qwertyuiop[]\\', "asdfghjkl;'", 'zxcvbnm,./', '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/'];

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's', '!': 'i' };

function classPool(chars: string[]): number {
  let lower = false, upper = false, digit = false, symbol = false, other = false;
  for (const c of chars) {
    if (c >= 'a' && c <= 'z') lower = true;
    else if (c >= 'A' && c <= 'Z') upper = true;
    else if (c >= '0' && c <= '9') digit = true;
    else if (c.charCodeAt(0) < 0x80) symbol = true;
    else other = true;
  }
  return (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) + (symbol ? 33 : 0) + (other ? 100 : 0);
}

/** Whether a..b are neighbours: alphabet/digit runs or adjacent keys. */
function adjacent(a: string, b: string): boolean {
  const x = a.toLowerCase().charCodeAt(0);
  const y = b.toLowerCase().charCodeAt(0);
  if (Math.abs(x - y) === 1 && /[a-z0-9]/.test(a.toLowerCase()) && /[a-z0-9]/.test(b.toLowerCase())) return true;
  return KEYBOARD_ROWS.some((row) => {
    const i = row.indexOf(a.toLowerCase());
    return i !== -1 && (row[i + 1] === b.toLowerCase() || row[i - 1] === b.toLowerCase());
  });
}

/** estimatePinStrength's verdict: estimated bits and, when weak, why. */
export interface PinStrength {
  /** Estimated bits of entropy (a guessing attacker's view, not Shannon's). */
  bits: number;
  /** Why it is weak, for the error message, when it is. */
  weakness?: string;
}

/**
 * Estimate how many guesses a PIN is worth to an attacker who tries common
 * words, digits-only PINs, repeats and keyboard walks first. Conservative
 * rather than clever: each character counts log2 of its character-class
 * pool, except characters that continue a repeat or a sequence (worth about
 * one bit), and a common word with decorations counts as one dictionary pick.
 */
export function estimatePinStrength(pin: string): PinStrength {
  const chars = [...pin];
  if (chars.length === 0) return { bits: 0, weakness: 'it is empty' };
  const pool = classPool(chars);
  const perChar = Math.log2(pool);

  // A common word, leet-speak undone, optionally with digits/symbols around it.
  const strip = (w: string) => w.replace(/^[^a-z]+|[^a-z]+$/g, '');
  const unleet = (w: string) => [...w].map((c) => LEET[c] ?? c).join('');
  const lower = pin.toLowerCase();
  for (const word of new Set([strip(lower), strip(unleet(lower)), unleet(strip(lower))])) {
    if (word.length > 0 && (COMMON.has(word) || isRepeatOf(word))) {
      const extra = chars.length - [...word].length;
      return { bits: Math.log2(COMMON.size * 4) + extra * 3.5, weakness: 'it is a common word or password' };
    }
  }

  let bits = 0;
  let predictable = 0;
  for (let i = 0; i < chars.length; i++) {
    const prev = chars[i - 1];
    const repeats = i > 0 && chars[i] === prev;
    const walks = i > 0 && adjacent(prev, chars[i]);
    if (repeats || walks) {
      bits += 1;
      predictable++;
    } else {
      bits += perChar;
    }
  }
  // A whole-string repetition ("abcabcabc") is worth one copy plus the count.
  const period = smallestPeriod(chars);
  if (period < chars.length) {
    const once = estimatePinStrength(chars.slice(0, period).join('')).bits;
    bits = Math.min(bits, once + Math.log2(chars.length / period) + 1);
  }
  let weakness: string | undefined;
  if (bits < MIN_PIN_BITS) {
    if (/^\d+$/.test(pin)) weakness = `it is only ${chars.length} digits`;
    else if (predictable * 2 >= chars.length || period < chars.length) weakness = 'it is mostly repeats or sequences';
    else weakness = `it is too short (${chars.length} characters)`;
  }
  return { bits, weakness };
}

function smallestPeriod(chars: string[]): number {
  for (let p = 1; p <= chars.length / 2; p++) {
    if (chars.length % p !== 0) continue;
    let ok = true;
    for (let i = p; i < chars.length && ok; i++) ok = chars[i] === chars[i - p];
    if (ok) return p;
  }
  return chars.length;
}

function isRepeatOf(word: string): boolean {
  for (const w of COMMON) {
    if (w.length < word.length && word.length % w.length === 0 && w.repeat(word.length / w.length) === word) return true;
  }
  return false;
}

/** Refuse a weak PIN (exit 1) unless the caller accepted the risk. */
export function checkPinStrength(pin: Uint8Array, allowWeak: boolean): PinStrength {
  const s = estimatePinStrength(Buffer.from(pin).toString('utf8'));
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
export function readPin(opts: { fd?: number; confirm: boolean }): Promise<Buffer> {
  return readSecret({
    what: 'PIN',
    env: 'CCKIT_PIN',
    fdFlag: 'pin-fd',
    fd: opts.fd,
    prompt: opts.confirm ? 'PIN for this handoff: ' : 'PIN: ',
    confirm: opts.confirm,
  });
}
