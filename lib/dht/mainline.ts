/**
 * PKARR on the BitTorrent Mainline DHT (BEP44 mutable items), on
 * bittorrent-dht. Two things its public API does not give us, hence the
 * use of its (stable, v11) internals:
 *
 * - Resolve must see every answer. `dht.get` keeps the highest seq but
 *   drops ties, never says who holds what, and answers from the node's own
 *   store without asking the network when it has a copy. We run the same
 *   iterative lookup (`_closest`) and collect every valid packet ourselves.
 * - Put must be compare-and-swap per node: each node is asked to replace
 *   exactly the packet it showed us during the lookup (`cas`), and its
 *   answer (stored, 301 CAS mismatch, 302 older seq) is counted one by one.
 *
 * bittorrent-dht is imported lazily: only commands that talk to the DHT pay
 * for loading it.
 */
import { createHash } from 'node:crypto';
import { verify } from '../identity/identity.ts';
import type DHT from 'bittorrent-dht';
import type { KNode } from 'bittorrent-dht';
import { isVerified, verifyPacket, compareRecency, type SignedPacket, type VerifiedPacket } from './pkarr.ts';
import { loadRoutingCache, saveRoutingCache } from './routing-cache.ts';
import type { Bootstrap } from './bootstrap.ts';

/** What one node showed us for the key during the last lookup (valid or not: CAS is about its seq). */
export interface Holder {
  seq: number;
  sig: string;
}

/** What a Mainline lookup collected: distinct valid packets, what each node holds (for CAS), how many answered and why answers were rejected. */
export interface MainlineLookup {
  /** Distinct valid packets, most recent first. */
  packets: VerifiedPacket[];
  /** "host:port" → the packet that node holds (its seq is what CAS compares). */
  holders: Map<string, Holder>;
  /** Nodes that answered the lookup at all (0: the DHT was not reachable). */
  responded: number;
  /** Ignored answers by reason (bad signature, other key, oversized…). */
  rejected: Map<string, number>;
}

/** Per-node result of a Mainline CAS put: stored, refused as a conflict, or failed. */
export interface PutOutcome {
  /** Nodes that hold the packet now. */
  stored: number;
  /** Nodes that refused because they hold something else (CAS mismatch or newer seq). */
  conflicts: number;
  /** Nodes that timed out or failed otherwise. */
  failed: number;
}

/** A lookup never takes longer than this, whatever the network does. */
export const LOOKUP_BUDGET_MS = 30_000;

function sha1(data: Uint8Array): Buffer {
  return createHash('sha1').update(data).digest();
}

/** Hex of a field a node sent; a field that is not a byte string (a hostile node's choice) gets a marker instead of a throw. */
const hex = (b: unknown) => (b instanceof Uint8Array ? Buffer.from(b).toString('hex') : b === undefined ? '' : `!${typeof b}`);

/** Ed25519 verification for puts that reach our own node. */
function verifySig(sig: Buffer, msg: Buffer, pubkey: Buffer): boolean {
  return verify(pubkey, msg, sig);
}

/**
 * BEP 43: flag every query we send `ro: 1`. A command lives for a second;
 * nodes that honour the flag (libtorrent, the Rust mainline crate, our
 * testnet) then keep it out of their routing tables instead of routing
 * others to a node that is about to vanish. k-rpc rebuilds each message from
 * t/y/q/a, so the flag is added at the last step, on the socket.
 */
function readOnly(dht: DHT): void {
  const socket = (dht._rpc as unknown as { socket: { send(peer: unknown, message: Record<string, unknown>, cb?: unknown): void } }).socket;
  const send = socket.send;
  socket.send = function (peer, message, cb) {
    if (message.y === 'q') message.ro = 1;
    return send.call(this, peer, message, cb);
  };
}

/**
 * Take one node's answer to a BEP44 `get` into `result` (`checked` memoises
 * verification per distinct answer). A hostile node chooses every field's
 * bencode type (byte string, integer, list, dict), so nothing here assumes
 * bytes: a `sig` sent as an integer used to throw inside the socket handler
 * and kill the process (found by fuzz-pkarr-signed-packet).
 */
export function takeAnswer(
  publicKey: Uint8Array,
  r: Record<string, unknown> | undefined,
  from: string,
  result: MainlineLookup,
  checked: Map<string, VerifiedPacket | { reason: string }>,
): void {
  if (!r || typeof r !== 'object' || !r.v || (!r.sig && !r.k)) return; // no value, or an immutable item
  const memo = `${typeof r.seq === 'number' ? r.seq : `!${typeof r.seq}`}:${hex(r.sig)}:${hex(r.v)}:${hex(r.k)}`;
  let p = checked.get(memo);
  if (!p) {
    p = verifyPacket(publicKey, { k: r.k, seq: r.seq, sig: r.sig, v: r.v });
    checked.set(memo, p);
    if (isVerified(p)) result.packets.push(p);
  }
  if (typeof r.seq === 'number') result.holders.set(from, { seq: r.seq, sig: hex(r.sig) });
  if (!isVerified(p)) result.rejected.set(p.reason, (result.rejected.get(p.reason) ?? 0) + 1);
}

/** A short-lived Mainline DHT client (bittorrent-dht, read-only per BEP 43) that looks up every answer for a key and puts with per-node CAS. */
export class Mainline {
  private closed = false;
  /** The last error the socket reported (EACCES, EADDRINUSE…), for messages. */
  lastError?: Error;

  private constructor(
    private readonly dht: DHT,
    private readonly boot: Bootstrap,
  ) {}

  static async open(boot: Bootstrap): Promise<Mainline> {
    const { default: DHTClass } = await import('bittorrent-dht');
    const cache = loadRoutingCache(boot.key);
    const dht = new DHTClass({
      nodes: boot.nodes, // k-rpc takes `nodes` as the bootstrap list…
      bootstrap: false, // …and `bootstrap: false` skips the background self-lookup a one-shot client does not need
      nodeId: cache.id,
      verify: verifySig,
    });
    readOnly(dht);
    const client = new Mainline(dht, boot);
    dht.on('error', (err: Error) => (client.lastError = err));
    dht.on('warning', () => {});
    for (const n of cache.nodes) dht.addNode(n);
    if (boot.local) {
      // A private testnet: bind to loopback so nothing can leave the machine.
      await new Promise<void>((resolve) => {
        dht.once('listening', () => resolve());
        dht.listen(0, '127.0.0.1');
      });
    }
    return client;
  }

  /** Full iterative lookup of the key's packet, collecting every answer. */
  lookup(publicKey: Uint8Array, budgetMs = LOOKUP_BUDGET_MS): Promise<MainlineLookup> {
    const target = sha1(publicKey);
    const result: MainlineLookup = { packets: [], holders: new Map(), responded: 0, rejected: new Map() };
    // Twenty nodes usually hold the same packet: verify each distinct one once.
    const checked = new Map<string, VerifiedPacket | { reason: string }>();
    return new Promise((resolve) => {
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        result.packets.sort((a, b) => compareRecency(b, a));
        resolve(result);
      };
      const timer = setTimeout(finish, budgetMs);
      this.dht._closest(
        target,
        { q: 'get', a: { id: this.dht._rpc.id, target } },
        (message, from) => {
          if (finished) return false;
          result.responded++;
          takeAnswer(publicKey, message.r, `${from.address ?? from.host}:${from.port}`, result, checked);
          return true;
        },
        () => finish(),
      );
    });
  }

  /**
   * Store `packet` on the closest nodes found by the last lookup of its key,
   * each with `cas` = the seq it showed us, or `cas` = 0 when it showed
   * nothing: pkarr seqs are timestamps, never 0, so that reads "only if you
   * still hold nothing" and a write that landed in between is refused (301)
   * instead of silently replaced. Nodes already holding exactly this packet
   * count as stored without another write.
   */
  async put(packet: SignedPacket, holders: Map<string, Holder>): Promise<PutOutcome> {
    const target = sha1(packet.publicKey);
    let table = this.dht._tables.get(target.toString('hex'));
    if (!table) {
      holders = (await this.lookup(packet.publicKey)).holders;
      table = this.dht._tables.get(target.toString('hex'));
    }
    const nodes: KNode[] = table ? table.closest(target, this.dht._rpc.k) : [];
    const out: PutOutcome = { stored: 0, conflicts: 0, failed: 0 };
    const sig = hex(packet.sig);
    await Promise.all(
      nodes.map(
        (node) =>
          new Promise<void>((done) => {
            const held = holders.get(`${node.host}:${node.port}`);
            if (held && held.seq === packet.seq && held.sig === sig) {
              out.stored++;
              return done();
            }
            const a: Record<string, unknown> = {
              id: this.dht._rpc.id,
              token: node.token,
              k: Buffer.from(packet.publicKey),
              seq: packet.seq,
              sig: Buffer.from(packet.sig),
              v: Buffer.from(packet.v),
            };
            a.cas = held ? held.seq : 0;
            this.dht._rpc.query(node, { q: 'put', a }, (err) => {
              if (!err) out.stored++;
              else if (err.code === 301 || err.code === 302) out.conflicts++;
              else out.failed++;
              done();
            });
          }),
      ),
    );
    return out;
  }

  /** Save the routing table for the next run and close the socket (it keeps Node alive). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const nodes = this.dht._rpc.nodes.toArray().map((n) => ({ id: n.id, host: n.host, port: n.port }));
    if (nodes.length > 0) saveRoutingCache(this.boot.key, this.dht._rpc.id, nodes);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      this.dht.destroy(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
