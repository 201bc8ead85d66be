/**
 * What cc-dht-put may publish (DESIGN.md §5): only a sealed handoff record
 * that verifies under the caller's key, so nothing goes onto the DHT in
 * clear (a payload piped past cc-seal) and nothing altered after signing
 * (`jq '.ttl=999999'`) is spread under our name.
 */
import { authError } from '../cli/errors.ts';
import { verifyRecord } from './open.ts';
import { parseRecord, serializeRecord, type HandoffRecord } from './record.ts';

const SEAL_HINT = 'seal it first: cc-session | cc-seal | cc-dht-put';

/**
 * A sealed record whose signature verifies under its own `pubkey`, checked
 * before any passphrase is asked. Returns it with its wire form: the
 * canonical serialisation, so fields the signature does not cover (anything
 * unknown added on the way) are never published.
 */
export function sealedRecord(value: unknown): { record: HandoffRecord; text: string } {
  let record: HandoffRecord;
  try {
    record = parseRecord(value);
  } catch (err) {
    const why = (err as Error).message.replace(/^input is not a handoff record: /, '');
    throw authError('ERR_NOT_SEALED', `refusing to publish input that is not a sealed handoff record (${why}): nothing goes on the DHT in clear`, SEAL_HINT);
  }
  try {
    verifyRecord(record);
  } catch {
    throw authError(
      'ERR_BAD_SIGNATURE',
      'refusing to publish a record whose signature does not verify: it was changed after it was sealed',
      'seal a new record with cc-seal instead of editing one',
    );
  }
  return { record, text: serializeRecord(record) };
}
