// A peer bypasses cc-context and appends a signed batch with one object to a
// zone it may only read (the zone's recipient is in the policy it can open).
// usage: ctx-forge.ts STORE OWNER PATH   (as the forging machine's HOME)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMyIdentity } from '../../lib/identity/unlock.ts';
import { parsePubkey, toZ32 } from '../../lib/identity/identity.ts';
import { openStore } from '../../lib/context/store.ts';
import { readSpaceFile } from '../../lib/context/space.ts';
import { loadAccess, metaRecipient, zoneFor } from '../../lib/context/policy.ts';
import { sealObject } from '../../lib/context/objects.ts';
import { objectKey, sha256hex, writerTag } from '../../lib/context/tags.ts';
import { appendBatch } from '../../lib/context/writer-log.ts';

const [storeSpec, ownerArg, path] = process.argv.slice(2);
const me = await loadMyIdentity();
const owner = parsePubkey(ownerArg);
const store = await openStore(storeSpec);
const space = await readSpaceFile(store, owner);
const access = await loadAccess(store, space, owner, me);
const zone = zoneFor(access.policy.zones, path);
const src = join(mkdtempSync(join(tmpdir(), 'forge-')), 'f');
const content = Buffer.from('forged by a reader\n');
writeFileSync(src, content);
const tmp = store.stageFile();
const { hash, size } = sealObject(src, { path, size: content.length, mtime: Date.now(), sha256: sha256hex(content), prev: null }, Buffer.from(zone.recipient, 'base64'), tmp);
await store.commit([{ key: objectKey(hash), path: tmp }]);
const device = 'f0f0f0f0f0f0f0f0';
const meZ = toZ32(me.publicKey);
await appendBatch(store, me, { v: 1, space, writer: meZ, device, wtag: writerTag(space, meZ, device), seq: 1, prev: null, policy: access.policy.seq, time: Math.floor(Date.now() / 1000), entries: [{ z: zone.id, e: zone.epoch, o: hash, n: size }] }, metaRecipient(access.policy));
