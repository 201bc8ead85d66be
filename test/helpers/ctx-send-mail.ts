// Writes a signed mail envelope to OWNER straight into a store, bypassing
// cc-context's own "is the recipient paired" check (an unpaired sender), as
// the sender's first message, from a clock SKEW seconds off (default 0).
// usage: ctx-send-mail.ts STORE OWNER TEXT [SKEW]   (as the sending machine's HOME)
import { openStore } from '../../lib/context/store.ts';
import { readSpaceFile } from '../../lib/context/space.ts';
import { mailTag } from '../../lib/context/tags.ts';
import { sealDoc } from '../../lib/context/sealed-doc.ts';
import { loadMyIdentity } from '../../lib/identity/unlock.ts';
import { parsePubkey, toZ32, x25519Public } from '../../lib/identity/identity.ts';
import { ulid } from 'ulid';

const [storeSpec, ownerArg, text, skew] = process.argv.slice(2);
const store = await openStore(storeSpec);
const owner = parsePubkey(ownerArg);
const space = await readSpaceFile(store, owner);
const me = await loadMyIdentity();
const nowMs = Date.now() + Number(skew ?? 0) * 1000;
const now = Math.floor(nowMs / 1000);
const id = ulid(nowMs);
const env = { v: 1, from: toZ32(me.publicKey), to: toZ32(owner), space, thread: id, id, seq: 1, reply_to: null, created: now, expires: now + 3600, parts: [{ type: 'text', text }] };
await store.write(`mail/${mailTag(space, toZ32(owner))}/${id}`, sealDoc('mail', env, me, [x25519Public(owner)]));
