/**
 * Publish or revoke one TXT record under the caller's key, keeping every
 * other record of the key's packet (DESIGN.md §3, §6).
 *
 * 1. Snapshot every selected transport; the most recent packet is the base.
 * 2. Apply the change (set or remove the TXT record), check the 1000-byte
 *    budget, sign with seq = max(now µs, newest seen + 1).
 * 3. Write. On Mainline each node gets `cas` = what it showed us. A refusal
 *    (CAS mismatch, newer seq) means someone else wrote meanwhile: re-read,
 *    replay what they changed relative to our base (three-way merge, see
 *    pkarr.rebase), re-apply our change, sign again, retry. Bounded.
 */
import { CliError, EXIT, expiredError, notFound } from '../cli/errors.ts';
import { formatPubkey, type Identity } from '../identity/identity.ts';
import {
  checkBudget,
  compareRecency,
  encodeDns,
  fullName,
  nowMicros,
  readTxt,
  rebase,
  removeTxt,
  setTxt,
  signPacket,
  type SignedPacket,
} from './pkarr.ts';
import type { Packet } from 'dns-packet';
import type { Holder } from './mainline.ts';
import { requireReachable, type Log, type Network, type Seen, type Snapshot } from './network.ts';
import type { Transport } from './transports.ts';

/** Write rounds publish() makes against concurrent writers before giving up. */
export const MAX_ATTEMPTS = 5;

/** What publish() wrote: signer, record name, seq, nodes or relays storing it per transport, and the signed packet (for --republish). */
export interface PublishResult {
  pubkey: string;
  name: string;
  seq: number;
  stored: Partial<Record<Transport, number>>;
  /** What was written, for --republish. */
  packet: SignedPacket;
  hyperSig?: Uint8Array;
}

const hex = (b?: Uint8Array) => (b ? Buffer.from(b).toString('hex') : '');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Set (text) or revoke (no text) a TXT record on every open transport, merging concurrent writes; exit 3 if nothing to revoke, 1 if none stored. */
export async function publish(opts: {
  identity: Identity;
  name: string;
  /** The record; undefined revokes it. */
  text?: string;
  net: Network;
  log: Log;
  /** net.snapshot() of our key, already started (cc-dht-put looks it up while its record is on the way). */
  snapshot?: Promise<Snapshot>;
}): Promise<PublishResult> {
  const { identity, name, text, net, log } = opts;
  const pk = identity.publicKey;
  const full = fullName(name, pk);
  const apply = (p: Packet | undefined): Packet => (text === undefined ? removeTxt(p ?? { answers: [] }, full).packet : setTxt(p, full, text));
  const intentHolds = (p: Packet) => readTxt(p, full) === text;

  // A record too large even alone fails before any traffic.
  if (text !== undefined) checkBudget(apply(undefined), full, text, pk);
  const snap = await (opts.snapshot ?? net.snapshot(pk));
  for (const p of snap.problems) log(p);
  requireReachable(net, snap);
  const base: Seen | undefined = snap.best;
  if (text === undefined && (!base || readTxt(base.dns, full) === undefined)) {
    throw notFound('ERR_NOTHING_TO_REVOKE', `no ${name} record under ${formatPubkey(pk)} to revoke`, 'nothing was published, or it was already revoked or replaced');
  }
  if (text !== undefined) checkBudget(apply(base?.dns), full, text, pk);

  let holders: Map<string, Holder> = snap.mainline?.holders ?? new Map();
  let maxSeq = Math.max(0, ...snap.seen.map((s) => s.seq));
  const known = new Set(snap.seen.map((s) => hex(s.sig ?? s.hyperSig)));
  const newer: Seen[] = [];
  const ours = new Set<string>();
  let packet: SignedPacket | undefined;
  const stored: Partial<Record<Transport, number>> = Object.fromEntries(net.transports.map((t) => [t, 0]));
  let sentElsewhere: SignedPacket | undefined; // the packet relays and HyperDHT last got
  let hyperSig: Uint8Array | undefined;
  // Revoke races: what our first write round stored, and a removal by another writer seen since.
  let firstStored = -1;
  let foreignRemoval: { seq: number; v: Uint8Array } | undefined;

  for (let attempt = 1; ; attempt++) {
    const merged = apply(rebase(base?.dns, newer.map((n) => n.dns)));
    const v = encodeDns(merged);
    if (!packet || Buffer.compare(Buffer.from(packet.v), Buffer.from(v)) !== 0) {
      if (text !== undefined) checkBudget(merged, full, text, pk);
      const seq = Math.max(nowMicros(), maxSeq + 1, (packet?.seq ?? 0) + 1);
      packet = signPacket(identity, v, seq);
      ours.add(hex(packet.sig));
    }
    const current = packet;

    // Relays and HyperDHT have no per-node CAS: write them once per packet
    // version. Relays go first: a relay stores into the same Mainline DHT,
    // and some relays (pkarr 1.3) answer 500 when the nodes already hold the
    // packet; our own Mainline write then counts the nodes that do.
    if (sentElsewhere !== current) {
      sentElsewhere = current;
      const side: Promise<void>[] = [];
      if (net.has('relay')) side.push(net.putRelay(current, log).then((n) => void (stored.relay = n)));
      if (net.has('hyper')) {
        hyperSig = net.hyperSign(identity, current.seq, current.v)!;
        side.push(net.putHyper(pk, current.v, current.seq, hyperSig, log).then((n) => void (stored.hyper = n)));
      }
      await Promise.all(side);
    }
    if (!net.has('mainline')) break;
    const outcome = await net.putMainline(current, holders);
    stored.mainline = outcome.stored;
    if (attempt === 1) firstStored = outcome.stored;
    if (outcome.conflicts === 0) break;

    // Someone else wrote between our read and our write (or a node holds a
    // copy it did not show us): re-read and fold in what is new.
    const again = await net.lookupMainline(pk);
    if (!again) break;
    holders = again.holders;
    for (const p of again.packets) {
      maxSeq = Math.max(maxSeq, p.seq);
      const id = hex(p.sig);
      if (ours.has(id) || known.has(id)) continue;
      known.add(id);
      if (!base || compareRecency(p, base) > 0) newer.push({ transport: 'mainline', seq: p.seq, v: p.v, dns: p.dns, sig: p.sig });
      if (text === undefined && readTxt(p.dns, full) === undefined && (!base || compareRecency(p, base) > 0)) foreignRemoval = p;
    }
    // Two revokes of one record race (two pickups of a burn record): at most
    // one may go on to use it. The other removal won if it took every node
    // before ours got there (our first round stored nowhere), or, when the
    // nodes split between us, if its packet is the newer one.
    if (foreignRemoval && (firstStored === 0 || compareRecency(foreignRemoval, current) > 0)) {
      throw expiredError('ERR_ALREADY_REVOKED', `the ${name} record under ${formatPubkey(pk)} was revoked meanwhile by another writer`, 'it was burnt or revoked elsewhere first');
    }
    newer.sort((a, b) => compareRecency(a, b));
    if (attempt >= MAX_ATTEMPTS) {
      const latest = again.packets[0];
      if (latest && intentHolds(latest.dns)) break; // the newest packet out there carries our change
      throw new CliError(
        'ERR_DHT_CONFLICT',
        `gave up after ${MAX_ATTEMPTS} attempts: another publisher keeps updating the packet of ${formatPubkey(pk)}`,
        EXIT.FAILURE,
        'try again in a moment',
      );
    }
    // Jitter, so two publishers retrying in lockstep drift apart.
    await sleep(50 + Math.floor(Math.random() * 200));
  }

  const total = Object.values(stored).reduce((a, b) => a + (b ?? 0), 0);
  for (const t of net.transports) {
    if (net.has(t) && !stored[t]) log(`${t}: no ${t === 'relay' ? 'relay' : 'node'} took the packet`);
  }
  if (total === 0) {
    throw new CliError('ERR_NOT_STORED', 'no node took the packet', EXIT.FAILURE, 'check the network and the bootstrap or relay settings, then try again');
  }
  return { pubkey: formatPubkey(pk), name, seq: packet.seq, stored, packet, hyperSig };
}
