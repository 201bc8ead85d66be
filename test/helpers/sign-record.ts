// A handoff record signed with the current HOME's (unencrypted) key around
// any blob, for transport tests: cc-dht-put publishes only records that
// verify (DESIGN.md §5), and these tests care about the packet, not the blob.
// Usage: node --import tsx test/helpers/sign-record.ts [TTL] [BLOB] [CREATED_AT] [SIZE]
//   SIZE: pad the blob so the record's JSON is exactly SIZE bytes.
import { serializeRecord, signRecord } from '../../lib/handoff/record.ts';
import { readKeyFile } from '../../lib/identity/key-file.ts';
import { keyFilePath } from '../../lib/config.ts';
import { edPublicKey } from '../../lib/identity/ed25519.ts';
import { toZ32 } from '../../lib/identity/identity.ts';

const key = readKeyFile(keyFilePath());
if (key.kind !== 'plain') throw new Error('sign-record needs an unencrypted test key');
const [ttl = '600', blob = 'aGVsbG8=', created = String(Math.floor(Date.now() / 1000)), size] = process.argv.slice(2);
const make = (b: string) =>
  serializeRecord(
    signRecord(
      { blob: b, burn: false, created_at: Number(created), hostname: '', pin_salt: null, project: '', pubkey: toZ32(edPublicKey(key.seed)), recipient: null, ttl: Number(ttl) },
      key.seed,
    ),
  );
let text = make(blob);
if (size) text = make('B'.repeat(Number(size) - Buffer.byteLength(make(''))));
process.stdout.write(text);
