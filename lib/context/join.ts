/**
 * A peer with `w` starts writing into an owner's space from a working
 * folder of its own: `push DIR --space OWNER` records the space (its id
 * read from the store and checked against the owner's signature) in
 * `DIR/.cckit/space.json`.
 */
import { CliError, EXIT, usageError } from '../cli/errors.ts';
import { parsePubkey, toZ32 } from '../identity/identity.ts';
import { readReaderState } from './reader-state.ts';
import { isSpace, readSpaceConfig, readSpaceFile, writeSpaceConfig } from './space.ts';
import { openStore } from './store.ts';

/** Make `dir` a writer's working folder for `owner`'s space (no-op when it already is one for that owner). */
export async function joinAsWriter(dir: string, owner: string, storeSpec?: string): Promise<void> {
  if (isSpace(dir)) {
    const cfg = readSpaceConfig(dir);
    if (cfg.owner !== owner) throw new CliError('ERR_CTX_OTHER_SPACE', `${dir} already pushes to ${cfg.owner}'s space`, EXIT.FAILURE);
    return;
  }
  const ownerKey = parsePubkey(owner);
  const spec = storeSpec ?? readReaderState(toZ32(ownerKey))?.store;
  if (!spec) throw usageError(`no store known for ${owner}`, 'pass --store STORE, or pull from that owner first');
  const store = await openStore(spec);
  try {
    const space = await readSpaceFile(store, ownerKey);
    writeSpaceConfig(dir, { v: 1, space, owner, store: store.spec, role: 'writer' });
  } finally {
    await store.release();
  }
}
