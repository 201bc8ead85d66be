/**
 * The second network: the same DNS packet stored as a HyperDHT mutable
 * record under the same identity (hyperdht derives the same Ed25519 key pair
 * from the same 32-byte seed) with the same seq (timestamp µs), so seqs
 * compare across transports. HyperDHT signs its own way (a hash of seq and
 * value), so a packet signed for Mainline is not valid here and the reverse.
 *
 * hyperdht is imported lazily (native sockets and crypto): only
 * `--transport hyper` loads it.
 */
import type HyperDHT from 'hyperdht';
import type Persistent from 'hyperdht/lib/persistent.js';
import type { Packet } from 'dns-packet';
import dns from 'dns-packet';
import { MAX_DNS_BYTES } from './pkarr.ts';
import type { Identity } from '../identity/identity.ts';
import type { Bootstrap } from './bootstrap.ts';

/** A HyperDHT mutable record: seq, the DNS packet bytes `v` and their decoding, and HyperDHT's signature. */
export interface HyperRecord {
  seq: number;
  v: Uint8Array;
  /** HyperDHT's signature, reusable for re-puts of the same seq and value. */
  signature: Uint8Array;
  dns: Packet;
}

/** What a HyperDHT lookup found: a valid record, whether the DHT was reached, and why an answer was rejected. */
export interface HyperLookup {
  record?: HyperRecord;
  /** The DHT answered at all (its routing table is not empty). */
  reached: boolean;
  rejected?: string;
}

/** Upper bound, in ms, on a HyperDHT bootstrap, lookup or put. */
export const HYPER_TIMEOUT_MS = 20_000;

function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`HyperDHT ${what} timed out after ${ms / 1000} s`)), ms);
    }),
  ]);
}

/** A HyperDHT client for pkarr packets: open() bootstraps (bounded), get() resolves, sign() and put() store, close() destroys it. */
export class Hyper {
  private closed = false;

  private constructor(
    private readonly dht: HyperDHT,
    private readonly DHT: typeof HyperDHT,
    private readonly mutablePutCommand: number,
    private readonly persistent: typeof Persistent,
  ) {}

  static async open(boot: Bootstrap | undefined): Promise<Hyper> {
    const [{ default: DHTClass }, { COMMANDS }, { default: persistent }] = await Promise.all([
      import('hyperdht'),
      import('hyperdht/lib/constants.js'),
      import('hyperdht/lib/persistent.js'),
    ]);
    const opts: Record<string, unknown> = { ephemeral: true };
    if (boot) opts.bootstrap = boot.nodes.map((n) => ({ host: n.host, port: n.port }));
    if (boot?.local) opts.host = '127.0.0.1';
    const dht = new DHTClass(opts);
    const client = new Hyper(dht, DHTClass, COMMANDS.MUTABLE_PUT, persistent);
    try {
      await bounded(dht.fullyBootstrapped(), HYPER_TIMEOUT_MS, 'bootstrap');
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  private reachable(): boolean {
    const d = this.dht as unknown as { toArray?: () => unknown[] };
    return typeof d.toArray === 'function' ? d.toArray().length > 0 : true;
  }

  async get(publicKey: Uint8Array): Promise<HyperLookup> {
    const r = await bounded(this.dht.mutableGet(Buffer.from(publicKey), { latest: true }), HYPER_TIMEOUT_MS, 'lookup');
    const reached = this.reachable();
    if (!r) return { reached };
    if (!Number.isSafeInteger(r.seq) || r.value.length === 0 || r.value.length > MAX_DNS_BYTES) {
      return { reached, rejected: 'oversized or malformed record' };
    }
    try {
      return { reached, record: { seq: r.seq, v: new Uint8Array(r.value), signature: new Uint8Array(r.signature), dns: dns.decode(Buffer.from(r.value)) } };
    } catch {
      return { reached, rejected: 'undecodable DNS packet' };
    }
  }

  /** HyperDHT's signature over (seq, v), made once so re-puts need no secret key. */
  sign(identity: Identity, seq: number, v: Uint8Array): Uint8Array {
    const keyPair = this.DHT.keyPair(identity.seed);
    try {
      return new Uint8Array(this.persistent.signMutable(seq, v, keyPair));
    } finally {
      keyPair.secretKey.fill(0);
    }
  }

  /** Store `v` at `seq` with a signature from sign(); returns how many nodes accepted it. */
  async put(publicKey: Uint8Array, v: Uint8Array, seq: number, signature: Uint8Array): Promise<number> {
    const sig = Buffer.from(signature);
    // mutablePut reports only "at least one node took it"; count each
    // accepted MUTABLE_PUT request instead, for the per-transport figures.
    let stored = 0;
    const dht = this.dht as unknown as { request: HyperDHT['request'] };
    const request = dht.request;
    const command = this.mutablePutCommand;
    dht.request = function (this: HyperDHT, req, to, opts) {
      const p = request.call(this, req, to, opts);
      if (req.command === command) p.then(() => stored++, () => {});
      return p;
    };
    try {
      await bounded(this.dht.mutablePut({ publicKey: Buffer.from(publicKey) }, Buffer.from(v), { seq, signMutable: () => sig }), HYPER_TIMEOUT_MS, 'put');
      return stored;
    } catch (err) {
      if (/too few nodes/i.test((err as Error).message)) return 0;
      throw err;
    } finally {
      dht.request = request;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await bounded(this.dht.destroy(), 5000, 'shutdown').catch(() => {});
  }
}
