/**
 * LAN presence beacons for already-paired peers (DESIGN.md §7): opt-in,
 * because a device that announces itself can be tracked by anyone on the LAN.
 * So a beacon says nothing an outsider can read or link from one beacon to
 * the next: no key, no name, no counter, a fresh random nonce each time.
 *
 * One datagram carries one sealed entry per paired peer (padded with random
 * entries to a multiple of 4, shuffled):
 *
 *   "cckb" | 0x01 | nonce (12) | entry × k        entry = 26 bytes
 *   entry = ChaCha20-Poly1305(K(S→R), nonce, ts_ms u64be ‖ port u16be, aad = the 17-byte header)
 *   K(S→R) = HKDF-SHA256(X25519(S, R) of the two identity keys, salt "cckit/pair/v1/lan-presence",
 *            info = S's Ed25519 key ‖ R's)
 *
 * Only R (and S) can compute K(S→R), so only a paired peer recognises the
 * beacon, and the direction in `info` keeps a device from taking its own
 * looped-back beacon for its peer's. A receiver accepts an entry only when
 * its timestamp is within `maxAgeMs` of its own clock and its nonce is new:
 * a beacon captured earlier and replayed later is not reported as fresh.
 * What remains linkable is what no payload can hide: the sender's IP and
 * MAC address and its sending rhythm — hence opt-in.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomInt } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { x25519 } from '@noble/curves/ed25519.js';
import { NET, netError } from '../net/errors.ts';
import { x25519Public, x25519Secret, parsePubkey, bytesEqual, type Identity } from '../identity/identity.ts';
import { LAN_GROUP } from './lan.ts';
import type { Peer } from './peers.ts';

/** Presence beacons use the pairing group on a port of their own. */
export const PRESENCE_PORT = Number(process.env.CCKIT_LAN_PRESENCE_PORT || 47389);

/** Where beacons go, as shown to the person. */
export const LAN_GROUP_SHOWN = `${LAN_GROUP}:${PRESENCE_PORT}`;

const MAGIC = Buffer.from('cckb', 'ascii');
const VERSION = 1;
const HEADER = MAGIC.length + 1 + 12;
const PLAIN = 8 + 2;
const TAG = 16;
const ENTRY = PLAIN + TAG;
/** At most this many peers per beacon (3.3 KB): more would not fit a datagram without fragmenting badly. */
export const MAX_ENTRIES = 128;
/** Anything larger is not a beacon and is dropped unread. */
export const MAX_DATAGRAM = HEADER + MAX_ENTRIES * ENTRY;

/** The key for beacons we send to `peerKey` ('out') or it sends to us ('in'); undefined for a key no peer can hold. */
function beaconKey(me: Identity, peerKey: Uint8Array, direction: 'out' | 'in'): Buffer | undefined {
  const secret = x25519Secret(me.seed);
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(secret, x25519Public(peerKey));
  } catch {
    return undefined; // a low-order or invalid point: no peer can be behind it
  } finally {
    secret.fill(0);
  }
  if (shared.every((b) => b === 0)) return undefined;
  const info = direction === 'out' ? Buffer.concat([me.publicKey, peerKey]) : Buffer.concat([peerKey, me.publicKey]);
  const key = Buffer.from(hkdfSync('sha256', shared, 'cckit/pair/v1/lan-presence', info, 32));
  shared.fill(0);
  return key;
}

/** One beacon datagram for `peers` (our own key skipped), advertising `port` (0: none). */
export function sealBeacon(me: Identity, peers: Peer[], port: number, now = Date.now()): Buffer {
  const nonce = randomBytes(12);
  const header = Buffer.concat([MAGIC, Buffer.from([VERSION]), nonce]);
  const plain = Buffer.alloc(PLAIN);
  plain.writeBigUInt64BE(BigInt(now), 0);
  plain.writeUInt16BE(port, 8);
  const entries: Buffer[] = [];
  for (const p of peers.slice(0, MAX_ENTRIES)) {
    const peerKey = parsePubkey(p.pubkey);
    if (bytesEqual(peerKey, me.publicKey)) continue;
    const key = beaconKey(me, peerKey, 'out');
    if (!key) continue;
    const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
    c.setAAD(header, { plaintextLength: PLAIN });
    entries.push(Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]));
    key.fill(0);
  }
  // Pad to a multiple of 4 so the size tells little about how many peers we have.
  while (entries.length === 0 || (entries.length % 4 !== 0 && entries.length < MAX_ENTRIES)) entries.push(randomBytes(ENTRY));
  for (let i = entries.length - 1; i > 0; i--) {
    const j = randomInt(0, i + 1);
    [entries[i], entries[j]] = [entries[j], entries[i]];
  }
  return Buffer.concat([header, ...entries]);
}

/** What a receiver needs to recognise its peers' beacons: each peer's inbound key. */
export interface PresenceKeys {
  peers: { peer: Peer; key: Buffer }[];
}

/** Inbound beacon keys for every paired peer. */
export function presenceKeys(me: Identity, peers: Peer[]): PresenceKeys {
  const out: PresenceKeys['peers'] = [];
  for (const peer of peers) {
    let k: Uint8Array;
    try {
      k = parsePubkey(peer.pubkey);
    } catch {
      continue;
    }
    if (bytesEqual(k, me.publicKey)) continue;
    const key = beaconKey(me, k, 'in');
    if (key) out.push({ peer, key });
  }
  return { peers: out };
}

/** A recognised beacon: whose, the port it advertises (0: none), its timestamp and nonce. */
export interface OpenedBeacon {
  peer: Peer;
  port: number;
  ts: number;
  nonce: string;
}

/** Open a datagram with our peers' keys; undefined for anything that is not a paired peer's beacon. */
export function openBeacon(data: Buffer, keys: PresenceKeys): OpenedBeacon | undefined {
  if (data.length < HEADER + ENTRY || data.length > MAX_DATAGRAM) return undefined;
  if (!data.subarray(0, MAGIC.length).equals(MAGIC) || data[MAGIC.length] !== VERSION) return undefined;
  if ((data.length - HEADER) % ENTRY !== 0) return undefined;
  const header = data.subarray(0, HEADER);
  const nonce = data.subarray(MAGIC.length + 1, HEADER);
  for (let off = HEADER; off < data.length; off += ENTRY) {
    const sealed = data.subarray(off, off + PLAIN);
    const tag = data.subarray(off + PLAIN, off + ENTRY);
    for (const { peer, key } of keys.peers) {
      let plain: Buffer;
      try {
        const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
        d.setAAD(header, { plaintextLength: PLAIN });
        d.setAuthTag(tag);
        plain = Buffer.concat([d.update(sealed), d.final()]);
      } catch {
        continue;
      }
      const ts = Number(plain.readBigUInt64BE(0));
      return { peer, port: plain.readUInt16BE(8), ts, nonce: nonce.toString('hex') };
    }
  }
  return undefined;
}

/** A group that is not multicast (127.0.0.1 in the loopback tests, a broadcast address) is sent to as is. */
function isMulticast(addr: string): boolean {
  return isIPv4(addr) && Number(addr.split('.')[0]) >= 224 && Number(addr.split('.')[0]) <= 239;
}

/**
 * Send a beacon to the group every `intervalMs` until the returned stop
 * function is called. `peers` is asked again before each beacon, so a
 * peer forgotten meanwhile stops being able to recognise us at once.
 */
export async function startBeacon(opts: { identity: Identity; peers: () => Promise<Peer[]>; port: number; intervalMs: number; onSent?: (n: number) => void }): Promise<() => void> {
  const sock = createSocket({ type: 'udp4' });
  sock.on('error', () => {});
  await new Promise<void>((resolve) => sock.bind(0, () => resolve()));
  if (isMulticast(LAN_GROUP)) sock.setMulticastTTL(1); // this link only
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    if (stopped) return;
    const peers = await opts.peers().catch(() => [] as Peer[]);
    if (stopped) return;
    const datagram = sealBeacon(opts.identity, peers, opts.port);
    sock.send(datagram, PRESENCE_PORT, LAN_GROUP, () => opts.onSent?.(peers.length));
    timer = setTimeout(tick, opts.intervalMs);
  };
  await tick();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    sock.close();
  };
}

/** A paired peer heard on the LAN. */
export interface Presence {
  name: string;
  pubkey: string;
  addr: string;
  port: number | null;
  seen_at: number;
}

/**
 * Listen for `timeoutMs` and return the paired peers whose fresh beacons were
 * heard (latest address per peer), ending early once every peer was heard.
 * Unknown, garbled, oversized, stale and replayed datagrams are dropped.
 */
export async function discoverPeers(opts: { identity: Identity; peers: Peer[]; timeoutMs: number; maxAgeMs: number; now?: () => number }): Promise<Presence[]> {
  const now = opts.now ?? Date.now;
  const keys = presenceKeys(opts.identity, opts.peers);
  const found = new Map<string, Presence>();
  if (keys.peers.length === 0) return [];
  const seen = new Set<string>();
  const sock: Socket = createSocket({ type: 'udp4', reuseAddr: true });
  return new Promise<Presence[]>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      if (timer) clearTimeout(timer);
      sock.removeAllListeners('message');
      sock.close();
      resolve([...found.values()].sort((a, b) => a.name.localeCompare(b.name)));
    };
    sock.on('message', (msg, rinfo) => {
      const b = openBeacon(msg, keys);
      if (!b) return;
      if (Math.abs(now() - b.ts) > opts.maxAgeMs) return; // stale: captured earlier and replayed, or a clock far off
      if (seen.has(b.nonce)) return; // the same beacon again (a replay inside the window)
      seen.add(b.nonce);
      found.set(b.peer.pubkey, { name: b.peer.name, pubkey: b.peer.pubkey, addr: rinfo.address, port: b.port || null, seen_at: Math.floor(now() / 1000) });
      if (found.size === keys.peers.length) done();
    });
    sock.once('error', (e) => {
      reject(netError(NET.UNREACHABLE, `cannot listen for presence beacons on port ${PRESENCE_PORT}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    });
    sock.bind(PRESENCE_PORT, () => {
      sock.removeAllListeners('error');
      sock.on('error', () => {});
      if (isMulticast(LAN_GROUP)) {
        try {
          sock.addMembership(LAN_GROUP);
        } catch (e) {
          sock.close();
          reject(netError(NET.UNREACHABLE, `cannot join the LAN beacon group ${LAN_GROUP}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, undefined, 'is there a network interface with multicast (a route for 224.0.0.0/4)?'));
          return;
        }
      }
      timer = setTimeout(done, opts.timeoutMs);
    });
  });
}
