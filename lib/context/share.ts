/**
 * Porcelain `cc-context share DIR --with NAME`: the pipeline a user would
 * type — init (when DIR is not a space yet), grant NAME rw (r with
 * --read-only) on the whole space, push — plus the one command the peer
 * runs to pull it.
 */
import { usageError } from '../cli/errors.ts';
import { formatPubkey, type Identity } from '../identity/identity.ts';
import { resolvePeer } from '../pair/peers.ts';
import { grant, init } from './admin.ts';
import { push } from './push.ts';
import { isSpace, readSpaceConfig } from './space.ts';

/** What share did, and what the peer should run. */
export interface ShareResult {
  dir: string;
  space: string;
  store: string;
  peer: string;
  right: 'r' | 'rw';
  created: boolean;
  pushed: number;
  peer_command: string;
}

/** Share `dir` with `peer`. */
export async function share(opts: { dir: string; peer: string; readOnly: boolean; store?: string; me: Identity; dht?: boolean; log?: (m: string) => void }): Promise<ShareResult> {
  const peerKey = await resolvePeer(opts.peer);
  let created = false;
  if (!isSpace(opts.dir)) {
    if (!opts.store) throw usageError(`${opts.dir} is not shared yet: give --store STORE`, 'a folder (Syncthing, NFS…) or rclone:REMOTE:PATH');
    await init(opts.dir, opts.store, opts.me);
    created = true;
  } else if (opts.store && readSpaceConfig(opts.dir).store !== opts.store) {
    throw usageError(`${opts.dir} is already shared through ${readSpaceConfig(opts.dir).store}`, 'leave out --store');
  }
  const right = opts.readOnly ? 'r' : 'rw';
  await grant(opts.dir, opts.me, opts.peer, '/', right);
  const r = await push(opts.dir, opts.me, { dht: opts.dht, log: opts.log });
  const cfg = readSpaceConfig(opts.dir);
  const owner = formatPubkey(opts.me.publicKey);
  return {
    dir: opts.dir,
    space: cfg.space,
    store: cfg.store,
    peer: formatPubkey(peerKey),
    right,
    created,
    pushed: r.pushed,
    peer_command: `cc-context pull ${owner} --store ${shellQuote(cfg.store)}`,
  };
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The human text of share. */
export function shareText(r: ShareResult): string {
  return (
    `${r.created ? 'Created the shared space' : 'Shared space'} ${r.dir}\n` +
    `  store:  ${r.store}\n` +
    `  peer:   ${r.peer} (${r.right === 'rw' ? 'read and write' : 'read only'})\n` +
    `  pushed: ${r.pushed} file${r.pushed === 1 ? '' : 's'}\n` +
    `The peer runs (the store must be reachable from their machine):\n\n  ${r.peer_command}\n`
  );
}
