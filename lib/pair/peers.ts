/**
 * lib/pair/ — pairing: remembered peers, CPace, codes and links, rendezvous.
 * May import: net (and through it identity, cli, dht/bootstrap), config.ts,
 * secure-file.ts.
 *
 * This module: remembered peers (DESIGN.md §7), `peers.toml` in the config
 * dir, plus a project's committed `.cckit/peers.toml` that only introduces
 * keys (it never shadows a personal name). A peer's NAME can stand wherever a
 * `pk:` goes. Written atomically, 0600, under a lock so two cc-pair runs do
 * not lose each other's peer; it never holds a secret.
 *
 *   [[peer]]
 *   name = "laptop"
 *   pubkey = "pk:…"
 *   addrs = ["192.0.2.1:4000"]
 *   paired_at = 1767225600
 *   via = "code"
 *   allow = ["view"]
 */
import { readFileSync, watch, statSync, type FSWatcher } from 'node:fs';
import { join, dirname } from 'node:path';
import { configDir } from '../config.ts';
import { writeFileAtomic, ensurePrivateDir } from '../secure-file.ts';
import { takeLock } from '../lock-file.ts';
import { CliError, EXIT, usageError, notFound } from '../cli/errors.ts';
import { fingerprint, parsePubkey, formatPubkey, bytesEqual } from '../identity/identity.ts';

/** What a peer may do on our relay (DESIGN.md §8). */
export const ABILITIES = ['view', 'send', 'approve', 'spawn'] as const;
export type Ability = (typeof ABILITIES)[number];

/** How a peer came to be known. */
export const VIAS = ['code', 'link', 'lan', 'project', 'tailscale'] as const;
export type Via = (typeof VIAS)[number];

/** A remembered peer from peers.toml: its name, `pk:` key, known addresses and when it was paired (Unix seconds). */
export interface Peer {
  name: string;
  pubkey: string;
  addrs: string[];
  paired_at?: number;
  via?: Via;
  allow: Ability[];
  /** Set on peers read from a project's .cckit/peers.toml (never written back). */
  source?: string;
}

/** The user's own peers.toml. */
export function peersPath(): string {
  return join(configDir(), 'peers.toml');
}

/** A project's introduced peers: `.cckit/peers.toml` under `root`. */
export function projectPeersPath(root: string): string {
  return join(root, '.cckit', 'peers.toml');
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Check a peer name: short, printable, and not something that reads as a key. */
export function checkName(name: string): string {
  if (!NAME.test(name)) {
    throw usageError(`bad peer name '${visible(name).slice(0, 70)}'`, 'a name is 1-64 letters, digits, dot, dash or underscore, starting with a letter or digit');
  }
  if (/^pk:/i.test(name) || /^[ybndrfg8ejkmcpqxot1uwisza345h769]{52}$/i.test(name)) {
    throw usageError(`peer name '${name}' looks like a public key`, 'pick a short name such as laptop');
  }
  return name;
}

/** Parse `view,send` into abilities; unknown words are a usage error. */
export function parseAllow(list: string): Ability[] {
  const out: Ability[] = [];
  for (const w of list.split(/[,\s]+/).filter((x) => x !== '')) {
    if (!(ABILITIES as readonly string[]).includes(w)) {
      throw usageError(`unknown ability '${visible(w)}'`, `abilities are ${ABILITIES.join(', ')}`);
    }
    if (!out.includes(w as Ability)) out.push(w as Ability);
  }
  return out;
}

/** Control characters made visible, for names that came from a file or a peer. */
function visible(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\x7f' ? '^?' : '^' + String.fromCharCode(c.charCodeAt(0) + 64)));
}

/**
 * smol-toml's parse, imported on first use and kept: an import() of a module
 * already loaded is still a trip through the module loader (under tsx, to its
 * loader thread and back, ~0.5 ms), and pairing reads peers.toml on its path.
 */
let tomlParse: typeof import('smol-toml').parse | undefined;

async function readPeersFile(path: string, source?: string): Promise<Peer[]> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CliError('ERR_PEERS_FILE', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`, EXIT.FAILURE);
  }
  const parse = (tomlParse ??= (await import('smol-toml')).parse);
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new CliError('ERR_PEERS_FILE', `cannot parse ${path}: ${(err as Error).message.split('\n')[0]}`, EXIT.FAILURE, 'fix or remove the file');
  }
  const list = Array.isArray(doc.peer) ? doc.peer : [];
  const out: Peer[] = [];
  for (const p of list) {
    if (typeof p !== 'object' || p === null) continue;
    const r = p as Record<string, unknown>;
    const name = typeof r.name === 'string' ? r.name : '';
    if (!NAME.test(name) || typeof r.pubkey !== 'string') continue; // hostile or hand-broken entries are skipped, never shown raw
    let pubkey: string;
    try {
      pubkey = formatPubkey(parsePubkey(r.pubkey));
    } catch {
      continue;
    }
    const allow = Array.isArray(r.allow) ? r.allow.filter((a): a is Ability => (ABILITIES as readonly unknown[]).includes(a)) : ['view' as Ability];
    out.push({
      name,
      pubkey,
      addrs: Array.isArray(r.addrs) ? r.addrs.filter((a): a is string => typeof a === 'string').map(visible).slice(0, 16) : [],
      paired_at: typeof r.paired_at === 'number' && Number.isSafeInteger(r.paired_at) ? r.paired_at : undefined,
      via: (VIAS as readonly unknown[]).includes(r.via) ? (r.via as Via) : undefined,
      allow: source ? [] : allow, // a project file grants nothing
      ...(source ? { source } : {}),
    });
  }
  return out;
}

/** The user's paired peers (peers.toml in the config dir). */
export function readPeers(): Promise<Peer[]> {
  return readPeersFile(peersPath());
}

/** A project's introduced peers (name, pubkey), marked with their file; `[]` without one. */
export function readProjectPeers(root: string): Promise<Peer[]> {
  const path = projectPeersPath(root);
  return readPeersFile(path, path);
}

/** Find the repository root above `cwd` (the folder holding .git), or undefined. */
export function projectRoot(cwd = process.cwd()): string | undefined {
  let dir = cwd;
  for (;;) {
    // A git repository's root, or (outside git) the folder holding .cckit/peers.toml.
    for (const mark of ['.git', join('.cckit', 'peers.toml')]) {
      try {
        statSync(join(dir, mark));
        return dir;
      } catch {
        /* keep climbing */
      }
    }
    const up = join(dir, '..');
    if (up === dir) return undefined;
    dir = up;
  }
}

/** All known peers: the user's own first, then the project's (names already taken are left out). */
export async function listPeers(cwd = process.cwd()): Promise<Peer[]> {
  const own = await readPeers();
  const root = projectRoot(cwd);
  const project = root ? await readProjectPeers(root) : [];
  return [...own, ...project.filter((p) => !own.some((o) => o.name === p.name))];
}

function serialize(peers: Peer[]): string {
  // TOML basic strings accept JSON's escapes, but not an escaped lone surrogate
  // or a raw DEL: a hostile address from a peer must not make the file unreadable.
  const esc = (s: string) => JSON.stringify((s as string & { toWellFormed(): string }).toWellFormed()).replace(/\x7f/g, '\\u007f');
  const lines = ['# cckit paired peers (cc-pair). No secrets here: names and public keys only.', ''];
  for (const p of peers) {
    lines.push('[[peer]]');
    lines.push(`name = ${esc(p.name)}`);
    lines.push(`pubkey = ${esc(p.pubkey)}`);
    lines.push(`addrs = [${p.addrs.map(esc).join(', ')}]`);
    if (p.paired_at !== undefined) lines.push(`paired_at = ${p.paired_at}`);
    if (p.via) lines.push(`via = ${esc(p.via)}`);
    lines.push(`allow = [${p.allow.map(esc).join(', ')}]`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Run `fn` holding the peers.toml lock (lib/lock-file.ts: a lock left by a killed process is taken over). */
async function withLock<T>(fn: () => Promise<T>, dir = configDir()): Promise<T> {
  ensurePrivateDir(dir);
  const lock = join(dir, '.peers.lock');
  const release = await takeLock(lock, {
    waitMs: 10_000,
    busy: (holder) => new CliError('ERR_PEERS_LOCKED', `${lock} is held by another cc-pair${holder ? ` (pid ${holder})` : ''}`, EXIT.FAILURE, 'wait a moment, or remove the file if no cc-pair is running'),
  });
  try {
    return await fn();
  } finally {
    release();
  }
}

/** Read, change, write back peers.toml atomically (0600) under the lock. */
async function updatePeers<T>(change: (peers: Peer[]) => T, file = peersPath()): Promise<T> {
  return withLock(async () => {
    const peers = await readPeersFile(file);
    const result = change(peers);
    writeFileAtomic(file, Buffer.from(serialize(peers), 'utf8'), { mode: 0o600, overwrite: true });
    return result;
  }, dirname(file));
}

/**
 * Store a newly paired peer. The same key already known keeps its name and
 * abilities (updated addrs, via, time; `allow` widened only when given);
 * a name taken by another key gets a -2, -3… suffix. Returns the stored record.
 * `file` is another peers.toml than the user's (a benchmark's two machines).
 */
export async function savePeer(peer: Omit<Peer, 'allow'> & { allow?: Ability[] }, file = peersPath()): Promise<Peer> {
  checkName(peer.name);
  const key = parsePubkey(peer.pubkey);
  return updatePeers((peers) => {
    const same = peers.find((p) => bytesEqual(parsePubkey(p.pubkey), key));
    if (same) {
      same.addrs = peer.addrs;
      same.paired_at = peer.paired_at;
      same.via = peer.via;
      if (peer.allow) same.allow = peer.allow;
      return { ...same };
    }
    let name = peer.name;
    for (let n = 2; peers.some((p) => p.name === name); n++) name = `${peer.name.slice(0, 60)}-${n}`;
    const stored: Peer = { name, pubkey: formatPubkey(key), addrs: peer.addrs, paired_at: peer.paired_at, via: peer.via, allow: peer.allow ?? ['view'] };
    peers.push(stored);
    return { ...stored };
  }, file);
}

function mustFind(peers: Peer[], name: string): number {
  const i = peers.findIndex((p) => p.name === name);
  if (i === -1) throw notFound('ERR_UNKNOWN_PEER', `no paired peer named '${visible(name).slice(0, 70)}'`, 'cc-pair list shows your peers');
  return i;
}

/** Remove a peer; exit 3 if there is none by that name. Returns the removed record. */
export function forgetPeer(name: string): Promise<Peer> {
  return updatePeers((peers) => peers.splice(mustFind(peers, name), 1)[0]);
}

/** Rename a peer; the new name must be free. */
export async function renamePeer(oldName: string, newName: string): Promise<Peer> {
  checkName(newName);
  return updatePeers((peers) => {
    const i = mustFind(peers, oldName);
    if (oldName !== newName && peers.some((p) => p.name === newName)) {
      throw usageError(`a peer named '${newName}' already exists`, 'forget or rename that one first');
    }
    peers[i].name = newName;
    return { ...peers[i] };
  });
}

/** Replace what a peer may do on our relay. */
export function setAllow(name: string, allow: Ability[]): Promise<Peer> {
  return updatePeers((peers) => {
    const i = mustFind(peers, name);
    peers[i].allow = allow;
    return { ...peers[i] };
  });
}

/**
 * A predicate for lib/net's listen(): the key is a paired peer (and, with
 * `ability`, one allowed to do that). Reads the file once; call it again
 * (watchPeers) to pick up changes.
 */
export async function allowFromPeers(ability?: Ability): Promise<(remote: Uint8Array) => boolean> {
  const keys = (await readPeers()).filter((p) => !ability || p.allow.includes(ability)).map((p) => parsePubkey(p.pubkey));
  return (remote) => keys.some((k) => bytesEqual(k, remote));
}

/** Call `onChange` (debounced) whenever peers.toml is written; returns a stop function. */
export function watchPeers(onChange: () => void): () => void {
  ensurePrivateDir(configDir());
  let timer: NodeJS.Timeout | undefined;
  let w: FSWatcher | undefined;
  try {
    w = watch(configDir(), { persistent: false }, (_ev, file) => {
      if (file !== null && file !== 'peers.toml') return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(onChange, 50);
    });
  } catch {
    /* no inotify: callers still refresh on their own */
  }
  return () => {
    if (timer) clearTimeout(timer);
    w?.close();
  };
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
  // listPeers puts personal peers first, and a project file never shadows one of their names.
  const peer = (await listPeers(cwd)).find((p) => p.name === nameOrKey);
  if (!peer) {
    throw new CliError('ERR_UNKNOWN_PEER', `no peer named '${visible(nameOrKey).slice(0, 70)}'`, EXIT.USAGE, `use a public key (pk:…) or pair first (cc-pair code / cc-pair join)`);
  }
  const key = parsePubkey(peer.pubkey);
  if (peer.source) {
    notice?.(
      `'${nameOrKey}' is not one of your peers: the name comes from ${peer.source}, ` +
        `key ${formatPubkey(key)} (fingerprint ${fingerprint(key)}); check that fingerprint with ${nameOrKey} before trusting it`,
    );
  }
  return key;
}
