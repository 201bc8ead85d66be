// Print, as age identities (AGE-SECRET-KEY-1…), every key a decrypted cc-context grant holds:
// its metadata epochs and every zone epoch it may read. stdin: the grant file after `age -d`.
// Tests keep a revoked peer's old keys this way and try them on what the store holds later.
import { readFileSync } from 'node:fs';
import { ageIdentityFromX25519 } from '../../lib/identity/identity.ts';

const doc = JSON.parse(readFileSync(0, 'utf8'));
const grant = JSON.parse(doc.b);
const secrets: string[] = [...(grant.meta ?? []), ...(grant.read ?? []).flatMap((r: { epochs: unknown[] }) => r.epochs)].map((e: { secret: string }) => e.secret);
for (const s of secrets) process.stdout.write(ageIdentityFromX25519(Buffer.from(s, 'base64')) + '\n');
