/**
 * What the transport checks about a record before publishing it, without
 * knowing the record format beyond two public facts (DESIGN.md §5): a
 * handoff record names its signer in `pubkey` (z32), and it is dead after
 * `created_at + ttl`. Signatures and decryption are cc-open's job.
 */
import { CliError, EXIT, authError, expiredError } from '../cli/errors.ts';
import { formatPubkey, toZ32 } from '../identity/identity.ts';

/** A record as a plain JSON object, before cc-open has validated its fields. */
export type RecordObject = Record<string, unknown>;

/** The record as published: compact JSON of a JSON object. */
export function recordObject(value: unknown): RecordObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError('ERR_NOT_A_RECORD', 'expected a record (a JSON object) on stdin', EXIT.FAILURE, 'pipe in the output of cc-seal');
  }
  return value as RecordObject;
}

function z32Of(v: string): string {
  return v.trim().toLowerCase().replace(/^pk:/, '');
}

/** A record naming another signer is never published under our key. */
export function checkPublisher(record: RecordObject, publicKey: Uint8Array): void {
  if (record.pubkey === undefined) return;
  const mine = toZ32(publicKey);
  if (typeof record.pubkey !== 'string' || z32Of(record.pubkey) !== mine) {
    throw authError(
      'ERR_NOT_MY_RECORD',
      `the record was sealed by ${typeof record.pubkey === 'string' ? `pk:${z32Of(record.pubkey)}` : 'an unreadable key'}, not by this key (${formatPubkey(publicKey)})`,
      'publish a record from the machine that sealed it, or seal a new one with cc-seal',
    );
  }
}

/** On resolve: a record inside our packet must name the key it was found under. */
export function checkFoundUnder(record: unknown, publicKey: Uint8Array): void {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return;
  const pk = (record as RecordObject).pubkey;
  if (pk === undefined) return;
  if (typeof pk !== 'string' || z32Of(pk) !== toZ32(publicKey)) {
    throw authError(
      'ERR_RECORD_KEY_MISMATCH',
      `the record found under ${formatPubkey(publicKey)} names another signer (${typeof pk === 'string' ? pk : 'unreadable'})`,
      'a replayed or forged record: do not open it',
    );
  }
}

/** Unix ms at which the record expires, or undefined when it carries no expiry. */
export function recordExpiry(record: RecordObject): number | undefined {
  const { created_at: created, ttl } = record;
  if (typeof created !== 'number' || typeof ttl !== 'number' || !Number.isFinite(created) || !Number.isFinite(ttl)) return undefined;
  return (created + ttl) * 1000;
}

/** Throw ERR_RECORD_EXPIRED (exit 5) when the record carries created_at and ttl and has expired at `now` (Unix ms). */
export function checkNotExpired(record: RecordObject, now = Date.now()): void {
  const exp = recordExpiry(record);
  if (exp !== undefined && exp <= now) {
    // A hostile created_at/ttl can put the sum outside what Date can show (|ms| > 8.64e15):
    // toISOString would throw a RangeError (found by fuzz-handoff-record).
    const at = Math.abs(exp) <= 8.64e15 ? ` at ${new Date(exp).toISOString()}` : '';
    throw expiredError('ERR_RECORD_EXPIRED', `the record expired${at}`, 'seal a new one with cc-seal');
  }
}
