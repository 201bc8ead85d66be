/**
 * lib/pair/ — turning a code or link seen once into a remembered peer, and
 * the peers file itself. May import net/ (and through it identity/, cli/).
 *
 * Remembered peers (DESIGN.md §7): `peers.toml` in the config dir, plus a
 * project's committed `.cckit/peers.toml`. A peer's NAME can stand wherever
 * a `pk:` goes. Pairing (cc-pair) writes this file; here we only read it.
 *
 *   [[peer]]
 *   name = "laptop"
 *   pubkey = "pk:…"
 *   addrs = ["192.0.2.1:4000"]
 *   paired_at = 1767225600
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDir } from '../config.ts';
import { CliError, EXIT } from '../cli/errors.ts';
import { fingerprint, formatPubkey, parsePubkey } from '../identity/identity.ts';

/** A remembered peer from peers.toml: its name, `pk:` key, known addresses and when it was paired (Unix seconds). */
export interface Peer {
  name: string;
  pubkey: string;
  addrs: string[];
  paired_at?: number;
}

async function readPeersFile(path: string): Promise<Peer[]> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const { parse } = await import('smol-toml');
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new CliError('ERR_PEERS_FILE', `cannot parse ${path}: ${(err as Error).message.split('\n')[0]}`, EXIT.FAILURE);
  }
  const list = Array.isArray(doc.peer) ? doc.peer : [];
  return list
    .filter((p): p is Record<string, unknown> => typeof p === 'object' && p !== null)
    // Strings only: smol-toml's tables have no prototype, so String() on one (a hand-edited
    // `name = { … }`) threw a TypeError (found by fuzz-peers-toml). Other types are skipped.
    .map((p) => ({
      name: typeof p.name === 'string' ? p.name : '',
      pubkey: typeof p.pubkey === 'string' ? p.pubkey : '',
      addrs: Array.isArray(p.addrs) ? p.addrs.filter((a): a is string => typeof a === 'string') : [],
      paired_at: typeof p.paired_at === 'number' ? p.paired_at : undefined,
    }))
    .filter((p) => p.name !== '' && p.pubkey !== '');
}

/** All known peers: the user's own first, then the project's `.cckit/peers.toml`. */
export async function listPeers(cwd = process.cwd()): Promise<Peer[]> {
  return [...(await readPeersFile(join(configDir(), 'peers.toml'))), ...(await readPeersFile(join(cwd, '.cckit', 'peers.toml')))];
}

/**
 * Resolve `pk:…` or a peer NAME to raw public key bytes. Anything that
 * parses as a key is a key; otherwise it must be a known peer's name. A
 * name from your own peers.toml always wins. A project's `.cckit/peers.toml`
 * only introduces keys (DESIGN.md §7): a cloned repo could map `alice` to
 * anyone's key, so a name found only there is passed to `notice` with its
 * key, fingerprint and file, for the command to show.
 */
export async function resolvePeer(nameOrKey: string, notice?: (message: string) => void, cwd = process.cwd()): Promise<Uint8Array> {
  // Anything that claims to be a key (pk:, a URL, 52 z32 characters) is parsed as one, so a
  // mistyped key says "not a public key" rather than "no peer named …".
  const s = nameOrKey.trim();
  if (/^pk:/i.test(s) || s.includes('://') || /^[ybndrfg8ejkmcpqxot1uwisza345h769]{52}$/i.test(s)) {
    return parsePubkey(nameOrKey);
  }
  const personal = (await readPeersFile(join(configDir(), 'peers.toml'))).find((p) => p.name === nameOrKey);
  if (personal) return parsePubkey(personal.pubkey);
  const projectFile = join(cwd, '.cckit', 'peers.toml');
  const peer = (await readPeersFile(projectFile)).find((p) => p.name === nameOrKey);
  if (peer) {
    const key = parsePubkey(peer.pubkey);
    notice?.(
      `'${nameOrKey}' is not one of your peers: the name comes from ${projectFile}, ` +
        `key ${formatPubkey(key)} (fingerprint ${fingerprint(key)}); check that fingerprint with ${nameOrKey} before trusting it`,
    );
    return key;
  }
  throw new CliError(
    'ERR_UNKNOWN_PEER',
    `no peer named '${nameOrKey}'`,
    EXIT.USAGE,
    `use a public key (pk:…) or add the peer to ${join(configDir(), 'peers.toml')}`,
  );
}
