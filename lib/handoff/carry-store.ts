/**
 * Session carry, offline path (`cc-handoff --carry --via-store`): the sealed
 * archive waits in a store (lib/context's: a folder, or `rclone:REMOTE:PATH`)
 * instead of being served, so the publisher can go offline.
 *
 * Which store: `--store STORE`, else `[carry] store` in config.toml, else the
 * store of the cc-context space the project folder (or the current folder)
 * belongs to (`.cckit/space.json`).
 *
 * In the store the archive is `carry/<expires_at>-<x>` (the record's expiry
 * and the archive's SHA-256, both from the signed record, so the picker
 * derives the name and the payload need not carry it): an age file to the
 * reader, named by when it may be swept and by a hash the store could compute
 * itself. The store never sees the session id, the path, the host or a key;
 * the record's encrypted payload names the store (`c.u`, carry-payload.ts).
 * Objects past their expiry (plus a grace for clock skew) are swept by the
 * next `--via-store` handoff or pickup that uses the same store; a burn
 * pickup deletes its object at once.
 */
import { isAbsolute, resolve } from 'node:path';
import { CliError, EXIT, usageError } from '../cli/errors.ts';
import { configValue, loadConfig } from '../config.ts';
import { openStore, type Store } from '../context/store.ts';
import { readSpaceConfig } from '../context/space.ts';
import { OBJECT_NAME } from './carry-payload.ts';

/** Swept only this long after expiry: another machine's clock may be behind ours. */
export const SWEEP_GRACE_S = 600;

const PREFIX = 'carry';

/** The store key of object `name`. */
export function objectKey(name: string): string {
  if (!OBJECT_NAME.test(name)) throw new Error(`bad carry object name '${name}'`);
  return `${PREFIX}/${name}`;
}

/** The object name of archive `x` for a record that expires at `expiresAt` (unix s). */
export function objectName(expiresAt: number, x: string): string {
  return `${expiresAt}-${x}`;
}

/** The store a `--via-store` handoff uses (see the module comment). */
export async function carryStoreSpec(flag: string | undefined, project: string): Promise<string> {
  if (flag !== undefined) return flag;
  const configured = configValue(await loadConfig(), 'carry.store');
  if (configured) return configured;
  for (const dir of [project, process.cwd()]) {
    if (!dir) continue;
    try {
      return readSpaceConfig(dir).store;
    } catch {
      /* not a cc-context space */
    }
  }
  throw usageError(
    '--via-store needs a store and none is known',
    "pass --store STORE (a folder or rclone:REMOTE:PATH), set 'store' under [carry] in config.toml, or hand off from a cc-context space",
  );
}

/** Open a store; a folder spec is made absolute, since the payload carries it to another machine. */
export async function openCarryStore(spec: string): Promise<Store> {
  const absolute = spec.startsWith('rclone:') || isAbsolute(spec) ? spec : resolve(spec);
  return openStore(absolute);
}

/** Remove this store's carry objects whose expiry (in their name) is long past. Best effort: returns how many. */
export async function sweepExpired(store: Store, now = Date.now() / 1000): Promise<number> {
  let keys: string[];
  try {
    keys = await store.list(PREFIX);
  } catch {
    return 0;
  }
  let swept = 0;
  for (const key of keys) {
    const name = key.slice(PREFIX.length + 1);
    if (!OBJECT_NAME.test(name)) continue; // not ours: leave it
    if (Number(name.split('-')[0]) + SWEEP_GRACE_S >= now) continue;
    try {
      await store.remove(key);
      swept++;
    } catch {
      /* another sweeper, or a read-only store: the next one tries again */
    }
  }
  return swept;
}

/** Put the sealed archive staged at `staged` (from store.stageFile()) into the store as object `name`. */
export async function putArchive(store: Store, staged: string, name: string): Promise<void> {
  await store.commit([{ key: objectKey(name), path: staged }]);
}

/** The archive `name` from the store as a local file (the store's own for a folder, a private copy for rclone); exit 3 when absent. */
export async function locateArchive(store: Store, name: string): Promise<string> {
  const key = objectKey(name);
  const found = (await store.fetch([key])).get(key);
  if (!found) {
    throw new CliError(
      'ERR_CARRY_NOT_IN_STORE',
      `the carried session is not in the store ${store.spec}`,
      EXIT.NOT_FOUND,
      'it was picked up already (burn), swept after it expired, or the store has not synced here yet; a folder synced to another path here: cc-pickup --store DIR',
    );
  }
  return found;
}

/** Remove the archive `name` (after a burn pickup). */
export async function removeArchive(store: Store, name: string): Promise<void> {
  await store.remove(objectKey(name));
}
