/**
 * cc-seal's record mode: a session payload becomes a signed, encrypted
 * handoff record (DESIGN.md §5), in one of three modes:
 *   self   the blob is encrypted to the sealer's own key (default)
 *   share  to one peer's key only; `recipient` names the peer
 *   PIN    to a key derived from a PIN; `pin_salt` carries the salt
 * The outer hostname and project stay empty as in cclink v1.3: they are
 * only inside the blob.
 */
import { randomBytes } from 'node:crypto';
import { sealBytes, x25519PublicFromSecret } from '../age/stream.ts';
import { toZ32, x25519Public, x25519Secret } from '../identity/identity.ts';
import { derivePinKey, PIN_SALT_SIZE } from './pin.ts';
import { checkRecordBudget, ed25519PublicFromSeed, serializePayload, serializeRecord, signRecord, type Payload } from './record.ts';

import { MAX_TTL } from './ttl.ts';
import { CliError, EXIT } from '../cli/errors.ts';
export { DEFAULT_TTL, MAX_TTL } from './ttl.ts';

/** What sealRecord needs: the payload, the signer's seed, a peer key (share) or a PIN, ttl, burn and the clock. */
export interface SealRecordOptions {
  payload: Payload;
  /** The signer's Ed25519 seed. */
  seed: Uint8Array;
  /** Its public key, when the caller has it already (saves recomputing it). */
  publicKey?: Uint8Array;
  /** Share mode: the peer's Ed25519 public key. */
  to?: Uint8Array;
  /** PIN mode: the PIN's bytes (the caller zeroes them). */
  pin?: Uint8Array;
  ttl: number;
  burn: boolean;
  /** Unix seconds; the clock by default. */
  now?: number;
}

/** Build, encrypt and sign a record; returns its compact JSON (the wire form). */
export async function sealRecord(o: SealRecordOptions): Promise<string> {
  if (o.to && o.pin) throw new Error('a record is either shared or PIN-protected, not both');
  if (!Number.isSafeInteger(o.ttl) || o.ttl < 1 || o.ttl > MAX_TTL) {
    throw new CliError('ERR_BAD_TTL', `ttl must be between 1 and ${MAX_TTL} seconds (a year), got ${o.ttl}`, EXIT.USAGE);
  }
  const publicKey = o.publicKey ?? ed25519PublicFromSeed(o.seed);
  let recipient: Uint8Array;
  let pinSalt: string | null = null;
  if (o.pin) {
    const salt = randomBytes(PIN_SALT_SIZE);
    const key = await derivePinKey(o.pin, salt);
    recipient = x25519PublicFromSecret(key);
    key.fill(0);
    pinSalt = salt.toString('base64');
  } else if (o.to) {
    recipient = x25519Public(o.to);
  } else {
    // Our own X25519 key from the seed, natively: the same key as converting
    // the public key (DESIGN.md §4), without the ~1.5 ms of cold curve math.
    const secret = x25519Secret(o.seed);
    recipient = x25519PublicFromSecret(secret);
    secret.fill(0);
  }
  const plaintext = Buffer.from(serializePayload(o.payload), 'utf8');
  const blob = sealBytes(plaintext, [recipient]).toString('base64');
  plaintext.fill(0);
  const record = signRecord(
    {
      blob,
      burn: o.burn,
      created_at: o.now ?? Math.floor(Date.now() / 1000),
      hostname: '',
      pin_salt: pinSalt,
      project: '',
      pubkey: toZ32(publicKey),
      recipient: o.to ? toZ32(o.to) : null,
      ttl: o.ttl,
    },
    o.seed,
  );
  const json = serializeRecord(record);
  checkRecordBudget(json, o.payload);
  return json;
}
