// Writes a signed mail envelope to OWNER straight into a store, bypassing
// cc-context's own "is the recipient paired" check (an unpaired sender).
// usage: ctx-send-mail.ts STORE OWNER TEXT   (as the sending machine's HOME)
import { openStore } from '../../lib/context/store.ts';
import { readSpaceFile } from '../../lib/context/space.ts';
import { mailTag } from '../../lib/context/tags.ts';
import { sealDoc } from '../../lib/context/sealed-doc.ts';
import { loadMyIdentity } from '../../lib/identity/unlock.ts';
import { parsePubkey, toZ32, x25519Public } from '../../lib/identity/identity.ts';
import { ulid } from 'ulid';

const [storeSpec, ownerArg, text] = process.argv.slice(2);
const store = await openStore(storeSpec);
const owner = parsePubkey(ownerArg);
const space = await readSpaceFile(store, owner);
const me = await loadMyIdentity();
const now = Math.floor(Date.now() / 1000);
const id = ulid();
const env = { v: 1, from: toZ32(me.publicKey), to: toZ32(owner), space, thread: id, id, seq: 1, reply_to: null, created: now, expires: now + 3600, parts: [{ type: 'text', text }] };
await store.write(`mail/${mailTag(space, toZ32(owner))}/${id}`, sealDoc('mail', env, me, [x25519Public(owner)]));
