/**
 * A project's `.cckit/peers.toml` (DESIGN.md §7): teammates' `name` and
 * `pubkey`, committed to the repository. It introduces keys only: nothing
 * here is trusted until a person approves the pairing, it never shadows a
 * personal name, and it holds no secret. Written only by `cc-pair project
 * add`, never as a side effect of pairing.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../secure-file.ts';
import { usageError, notFound, CliError, EXIT } from '../cli/errors.ts';
import { formatPubkey, parsePubkey, bytesEqual, fingerprint } from '../identity/identity.ts';
import { checkName, projectRoot, projectPeersPath, readPeers, readProjectPeers, type Peer } from './peers.ts';

/** The repository root for project commands, or a usage error outside one. */
export function requireProjectRoot(cwd = process.cwd()): string {
  const root = projectRoot(cwd);
  if (!root) throw notFound('ERR_NO_PROJECT', 'not inside a git repository', 'run this in the project (the folder holding .git) whose .cckit/peers.toml you mean');
  return root;
}

/** Add NAME = pubkey to the project's file (creating it); a name or key already there is a usage error. */
export async function addProjectPeer(root: string, name: string, pubkey: string): Promise<Peer> {
  checkName(name);
  const key = parsePubkey(pubkey);
  const peers = await readProjectPeers(root);
  if (peers.some((p) => p.name === name)) throw usageError(`'${name}' is already in ${projectPeersPath(root)}`);
  if (peers.some((p) => bytesEqual(parsePubkey(p.pubkey), key))) throw usageError(`that key is already in ${projectPeersPath(root)}`);
  const path = projectPeersPath(root);
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError('ERR_PEERS_FILE', `cannot read ${path}`, EXIT.FAILURE);
    text = '# Teammates of this project: names and public keys only (cc-pair project add).\n# It introduces keys; pairing still asks each person to approve.\n';
  }
  if (text !== '' && !text.endsWith('\n')) text += '\n';
  text += `\n[[peer]]\nname = ${JSON.stringify(name)}\npubkey = ${JSON.stringify(formatPubkey(key))}\n`;
  // A committed file: the usual 0644, written atomically.
  writeFileAtomic(path, Buffer.from(text, 'utf8'), { mode: 0o644, overwrite: true });
  return { name, pubkey: formatPubkey(key), addrs: [], allow: [], source: path };
}

/** The project's peers, each marked paired or not (by key, whatever the personal name). */
export async function projectStatus(root: string): Promise<{ name: string; pubkey: string; fingerprint: string; paired: boolean; paired_as?: string }[]> {
  const own = await readPeers();
  return (await readProjectPeers(root)).map((p) => {
    const key = parsePubkey(p.pubkey);
    const mine = own.find((o) => bytesEqual(parsePubkey(o.pubkey), key));
    return { name: p.name, pubkey: p.pubkey, fingerprint: fingerprint(key), paired: mine !== undefined, ...(mine ? { paired_as: mine.name } : {}) };
  });
}

/** A predicate: the key is listed in the project's file (for `cc-pair listen`). */
export async function projectAllows(root: string): Promise<(remote: Uint8Array) => boolean> {
  const keys = (await readProjectPeers(root)).map((p) => parsePubkey(p.pubkey));
  return (remote) => keys.some((k) => bytesEqual(k, remote));
}

