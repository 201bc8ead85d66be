/**
 * Which space a command means: `--space OWNER` (a space pulled from, or
 * pushed to, from this machine) or else the working folder's own
 * `.cckit/space.json`. Gives the owner, space id and store spec.
 */
import { notFound } from '../cli/errors.ts';
import { formatPubkey, parsePubkey, toZ32 } from '../identity/identity.ts';
import { readReaderState } from './reader-state.ts';
import { isSpace, readSpaceConfig } from './space.ts';

/** A located space. */
export interface Located {
  owner: string;
  space: string;
  store: string;
}

/** Locate the space for `owner` (pk:…) or the one `dir` belongs to. */
export function locateSpace(dir: string, owner?: string): Located {
  if (owner !== undefined) {
    const z = toZ32(parsePubkey(owner));
    if (isSpace(dir)) {
      const c = readSpaceConfig(dir);
      if (toZ32(parsePubkey(c.owner)) === z) return { owner: c.owner, space: c.space, store: c.store };
    }
    const s = readReaderState(z);
    if (s) return { owner: formatPubkey(parsePubkey(owner)), space: s.space, store: s.store };
    throw notFound('ERR_CTX_NO_SPACE', `no space of ${owner} known here`, `pull it first: cc-context pull ${owner} --store STORE`);
  }
  const c = readSpaceConfig(dir);
  return { owner: c.owner, space: c.space, store: c.store };
}
