/**
 * cc-open's record mode: verify the signature (against the record's own
 * pubkey, and the expected signer when given), check the record is live,
 * then decrypt the blob with the caller's key or the PIN. Checks run in
 * that order so that a forged or expired record never asks for a secret.
 */
import z32 from 'z32';
import { CliError, EXIT } from '../cli/errors.ts';
import { openBytes } from '../age/stream.ts';
import { bytesEqual, formatPubkey, toZ32, x25519Secret } from '../identity/identity.ts';
import { derivePinKey, PIN_SALT_SIZE } from './pin.ts';
import { decodeBase64Strict, parseBlobPlaintext, parseRecord, signatureValid, type HandoffRecord, type Payload } from './record.ts';

/** How far ahead of our clock a record's created_at may be (clock skew between machines). */
export const MAX_CLOCK_SKEW = 600;

/** cc-open's output for a record: signer, created_at, expires_at, burn and the decrypted payload. */
export interface Opened {
  v: 1;
  from: string;
  created_at: number;
  expires_at: number;
  burn: boolean;
  payload: Payload;
}

/** What openRecord needs: the parsed record, the expected signer, the clock, and lazy sources of the identity and the PIN. */
export interface OpenRecordOptions {
  /** The parsed JSON. */
  record: unknown;
  /** The key the record must be signed by (--from). */
  from?: Uint8Array;
  /** Unix seconds; the clock by default. */
  now?: number;
  /** The caller's identity, loaded only when the blob is encrypted to a key. */
  identity: () => Promise<{ seed: Uint8Array; publicKey: Uint8Array }>;
  /** The PIN, asked only for a PIN record. */
  pin: () => Promise<Uint8Array>;
}

const Z32_KEY = /^[ybndrfg8ejkmcpqxot1uwisza345h769]{52}$/;

/** Check the signature and the signer; returns the signer's public key. */
export function verifyRecord(r: HandoffRecord, from?: Uint8Array): Uint8Array {
  const pub = Z32_KEY.test(r.pubkey) ? new Uint8Array(z32.decode(r.pubkey)) : undefined;
  if (!pub || pub.length !== 32 || !signatureValid(r, pub)) {
    throw new CliError(
      'ERR_BAD_SIGNATURE',
      `record signature does not verify against its pubkey${pub ? ` pk:${r.pubkey}` : ''}`,
      EXIT.AUTH,
      'the record was altered in transit, or its pubkey was swapped',
    );
  }
  if (from && !bytesEqual(pub, from)) {
    throw new CliError('ERR_WRONG_SIGNER', `record is signed by pk:${r.pubkey}, not by ${formatPubkey(from)}`, EXIT.AUTH);
  }
  return pub;
}

function ago(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86400)} days`;
}

/** Expired (exit 5) once now >= created_at + ttl, as cclink checks; far-future records are not yet valid. */
export function checkLive(r: HandoffRecord, now: number): number {
  const expiresAt = r.created_at + r.ttl;
  if (now >= expiresAt) {
    throw new CliError(
      'ERR_RECORD_EXPIRED',
      `record expired ${ago(now - expiresAt)} ago (at ${new Date(expiresAt * 1000).toISOString()})`,
      EXIT.EXPIRED,
      'ask for a new handoff',
    );
  }
  if (r.created_at > now + MAX_CLOCK_SKEW) {
    throw new CliError(
      'ERR_RECORD_NOT_YET_VALID',
      `record is dated ${ago(r.created_at - now)} in the future`,
      EXIT.EXPIRED,
      "check both machines' clocks; a record is accepted up to 10 min early",
    );
  }
  return expiresAt;
}

async function decryptWithPin(r: HandoffRecord, blob: Buffer, pinSource: () => Promise<Uint8Array>): Promise<Buffer> {
  const salt = decodeBase64Strict(r.pin_salt!, 'pin_salt');
  if (salt.length !== PIN_SALT_SIZE) {
    throw new CliError('ERR_BAD_RECORD_FIELD', `record field 'pin_salt' must be ${PIN_SALT_SIZE} bytes`, EXIT.AUTH);
  }
  const pin = await pinSource();
  const key = await derivePinKey(pin, salt);
  pin.fill(0);
  try {
    return openBytes(blob, [key], 'record blob');
  } catch (err) {
    if (err instanceof CliError && err.code === 'ERR_WRONG_KEY') {
      throw new CliError('ERR_WRONG_PIN', 'wrong PIN for this record', EXIT.AUTH);
    }
    throw err;
  } finally {
    key.fill(0);
  }
}

async function decryptWithKey(r: HandoffRecord, blob: Buffer, identity: OpenRecordOptions['identity']): Promise<Buffer> {
  const id = await identity();
  const secret = x25519Secret(id.seed);
  id.seed.fill(0);
  try {
    return openBytes(blob, [secret], 'record blob');
  } catch (err) {
    if (!(err instanceof CliError && err.code === 'ERR_WRONG_KEY')) throw err;
    const me = toZ32(id.publicKey);
    if (r.recipient !== null && r.recipient !== me) {
      throw new CliError('ERR_NOT_FOR_ME', `record is shared with pk:${r.recipient}, not with this key (pk:${me})`, EXIT.AUTH);
    }
    if (r.recipient === null && r.pubkey !== me) {
      throw new CliError(
        'ERR_NOT_FOR_ME',
        `record is sealed to its publisher's own key (pk:${r.pubkey}); this key (pk:${me}) cannot open it`,
        EXIT.AUTH,
        'a record for someone else is sealed with cc-seal --to <their key> or --pin',
      );
    }
    throw new CliError('ERR_WRONG_KEY', 'record blob is not encrypted to this key', EXIT.AUTH, 'the blob was replaced or tampered with');
  } finally {
    secret.fill(0);
  }
}

/** Parse, verify (exit 4), check liveness (exit 5) and decrypt a record with the key or the PIN, in that order; returns the Opened result. */
export async function openRecord(o: OpenRecordOptions): Promise<Opened> {
  const r = parseRecord(o.record);
  verifyRecord(r, o.from);
  const expiresAt = checkLive(r, o.now ?? Math.floor(Date.now() / 1000));
  const blob = decodeBase64Strict(r.blob, 'blob');
  const plaintext = r.pin_salt !== null ? await decryptWithPin(r, blob, o.pin) : await decryptWithKey(r, blob, o.identity);
  const payload = parseBlobPlaintext(plaintext, r);
  plaintext.fill(0);
  return { v: 1, from: `pk:${r.pubkey}`, created_at: r.created_at, expires_at: expiresAt, burn: r.burn, payload };
}
