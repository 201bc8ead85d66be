/**
 * The selected transports behind one interface: open them (settings and the
 * test guard are checked before any socket exists), take a snapshot of what
 * each holds for a key, write to each, close them all.
 */
import type { Packet } from 'dns-packet';
import { CliError, EXIT } from '../cli/errors.ts';
import { mostRecent, type SignedPacket } from './pkarr.ts';
import type { Identity } from '../identity/identity.ts';
import { hyperBootstrap, mainlineBootstrap, relayUrls, type Bootstrap } from './bootstrap.ts';
import { Mainline, type Holder, type MainlineLookup, type PutOutcome } from './mainline.ts';
import { relayGet, relayPut } from './relay.ts';
import type { Hyper } from './hyper.ts';
import type { Transport } from './transports.ts';

/** One packet as found on one transport. */
export interface Seen {
  transport: Transport;
  seq: number;
  v: Uint8Array;
  dns: Packet;
  /** BEP44 signature (Mainline and relays). */
  sig?: Uint8Array;
  /** HyperDHT signature. */
  hyperSig?: Uint8Array;
}

/** What every open transport holds for a key: the most recent packet, all packets seen, which transports answered, problems, and the holders CAS and relay writes need. */
export interface Snapshot {
  /** The most recent packet across every transport. */
  best?: Seen;
  seen: Seen[];
  /** Transports where some node or relay answered. */
  reached: Transport[];
  /** Per-transport problems worth a warning. */
  problems: string[];
  /** Mainline details needed for CAS writes. */
  mainline?: MainlineLookup;
  /** Relay URL → signature (hex) of the packet it serves. */
  relayHolders?: Map<string, string>;
}

/** Where per-transport warnings go (a line of text each). */
export type Log = (message: string) => void;

/** The selected transports behind one interface: open() them, snapshot() a key across all, put to each, close() them all. */
export class Network {
  private mainline?: Mainline;
  private hyper?: Hyper;
  private relays: string[] = [];
  /** Transports that could not even be opened, with the reason. */
  readonly unavailable = new Map<Transport, string>();

  private constructor(
    readonly transports: Transport[],
    private readonly mainlineBoot?: Bootstrap,
  ) {}

  static async open(transports: Transport[], log: Log): Promise<Network> {
    // Read every setting first: a bad address or the test guard fails
    // before any socket is opened.
    const mainlineBoot = transports.includes('mainline') ? await mainlineBootstrap() : undefined;
    const relays = transports.includes('relay') ? await relayUrls() : [];
    const hyperBoot = transports.includes('hyper') ? await hyperBootstrap() : undefined;
    const net = new Network(transports, mainlineBoot);
    net.relays = relays;
    const opening: Promise<void>[] = [];
    if (mainlineBoot) {
      opening.push(
        Mainline.open(mainlineBoot).then(
          (m) => void (net.mainline = m),
          (err) => void net.unavailable.set('mainline', (err as Error).message),
        ),
      );
    }
    if (transports.includes('hyper')) {
      opening.push(
        import('./hyper.ts')
          .then(({ Hyper }) => Hyper.open(hyperBoot))
          .then(
            (h) => void (net.hyper = h),
            (err) => void net.unavailable.set('hyper', (err as Error).message),
          ),
      );
    }
    await Promise.all(opening);
    for (const [t, why] of net.unavailable) log(`${t}: ${why}`);
    if (net.unavailable.size === transports.length) {
      await net.close();
      throw new CliError('ERR_DHT_UNREACHABLE', `cannot open the ${transports.join(', ')} transport`, EXIT.FAILURE, [...net.unavailable.values()][0]);
    }
    return net;
  }

  /** Where Mainline starts, for messages. */
  describeBootstrap(): string {
    return this.mainlineBoot ? this.mainlineBoot.nodes.map((n) => `${n.host}:${n.port}`).join(',') : '';
  }

  async snapshot(publicKey: Uint8Array): Promise<Snapshot> {
    const snap: Snapshot = { seen: [], reached: [], problems: [] };
    const jobs: Promise<void>[] = [];
    if (this.mainline) {
      jobs.push(
        this.mainline.lookup(publicKey).then((m) => {
          snap.mainline = m;
          if (m.responded > 0) snap.reached.push('mainline');
          for (const p of m.packets) snap.seen.push({ transport: 'mainline', seq: p.seq, v: p.v, dns: p.dns, sig: p.sig });
          for (const [reason, n] of m.rejected) snap.problems.push(`mainline: ignored ${n} answer${n > 1 ? 's' : ''}: ${reason}`);
        }),
      );
    }
    if (this.relays.length > 0) {
      jobs.push(
        relayGet(this.relays, publicKey).then((r) => {
          if (r.reached > 0) snap.reached.push('relay');
          snap.relayHolders = r.holders;
          for (const p of r.packets) snap.seen.push({ transport: 'relay', seq: p.seq, v: p.v, dns: p.dns, sig: p.sig });
          for (const e of r.errors) snap.problems.push(`relay ${e}`);
        }),
      );
    }
    if (this.hyper) {
      jobs.push(
        this.hyper.get(publicKey).then(
          (h) => {
            if (h.reached) snap.reached.push('hyper');
            if (h.record) snap.seen.push({ transport: 'hyper', seq: h.record.seq, v: h.record.v, dns: h.record.dns, hyperSig: h.record.signature });
            if (h.rejected) snap.problems.push(`hyper: ignored a record: ${h.rejected}`);
          },
          (err) => void snap.problems.push(`hyper: ${(err as Error).message}`),
        ),
      );
    }
    await Promise.all(jobs);
    snap.best = mostRecent(snap.seen);
    return snap;
  }

  /** Mainline alone, for re-reads after a CAS conflict. */
  async lookupMainline(publicKey: Uint8Array): Promise<MainlineLookup | undefined> {
    return this.mainline?.lookup(publicKey);
  }

  has(t: Transport): boolean {
    if (t === 'mainline') return this.mainline !== undefined;
    if (t === 'relay') return this.relays.length > 0;
    return this.hyper !== undefined;
  }

  async putMainline(packet: SignedPacket, holders: Map<string, Holder>): Promise<PutOutcome> {
    if (!this.mainline) return { stored: 0, conflicts: 0, failed: 0 };
    return this.mainline.put(packet, holders);
  }

  async putRelay(packet: SignedPacket, log: Log, holders?: Map<string, string>): Promise<number> {
    if (this.relays.length === 0) return 0;
    const r = await relayPut(this.relays, packet, holders);
    for (const e of r.errors) log(`relay ${e}`);
    return r.stored;
  }

  hyperSign(identity: Identity, seq: number, v: Uint8Array): Uint8Array | undefined {
    return this.hyper?.sign(identity, seq, v);
  }

  async putHyper(publicKey: Uint8Array, v: Uint8Array, seq: number, signature: Uint8Array, log: Log): Promise<number> {
    if (!this.hyper) return 0;
    try {
      return await this.hyper.put(publicKey, v, seq, signature);
    } catch (err) {
      log(`hyper: ${(err as Error).message}`);
      return 0;
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.mainline?.close(), this.hyper?.close()]);
  }
}

/**
 * Nothing reachable is a failure (exit 1), never "not found" (exit 3), and a
 * publisher must not write blind: it could not merge with what is there.
 */
export function requireReachable(net: Network, snap: Snapshot): void {
  if (snap.reached.length > 0) return;
  const boot = net.describeBootstrap();
  throw new CliError(
    'ERR_DHT_UNREACHABLE',
    `no ${net.transports.map((t) => (t === 'relay' ? 'relay' : `${t} node`)).join(' or ')} answered${boot ? ` (bootstrap ${boot})` : ''}`,
    EXIT.FAILURE,
    net.transports.includes('mainline')
      ? 'check the network and CCKIT_BOOTSTRAP; where UDP is blocked, use --transport relay'
      : 'check the network and the relay or bootstrap settings',
  );
}
