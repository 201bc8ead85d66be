// A record in the older cclink v1.0 layout, signed with the current HOME's
// key: the blob's plaintext is the bare session id, and hostname and project
// sit in the record's outer fields. The blob is encrypted with typage, not
// cckit's own age code. Usage:
//   node --import tsx test/helpers/cclink-v10-record.ts SESSION HOSTNAME PROJECT
import { ageEncrypt } from '../../lib/identity/envelope-age.ts';
import { ageRecipient, identityFromSeed, toZ32 } from '../../lib/identity/identity.ts';
import { readKeyFile } from '../../lib/identity/key-file.ts';
import { keyFilePath } from '../../lib/config.ts';
import { serializeRecord, signRecord } from '../../lib/handoff/record.ts';

const [session, hostname, project] = process.argv.slice(2);
const key = readKeyFile(keyFilePath());
if (key.kind !== 'plain') throw new Error('cclink-v10-record needs an unencrypted test key');
const id = identityFromSeed(key.seed);
const blob = await ageEncrypt(new TextEncoder().encode(session), [ageRecipient(id.publicKey)]);
const record = signRecord(
  {
    blob: Buffer.from(blob).toString('base64'),
    burn: false,
    created_at: Math.floor(Date.now() / 1000),
    hostname,
    pin_salt: null,
    project,
    pubkey: toZ32(id.publicKey),
    recipient: null,
    ttl: 600,
  },
  key.seed,
);
process.stdout.write(serializeRecord(record) + '\n');
