/**
 * lib/net/ — HyperDHT connections between identities (DESIGN.md §1, §7, §8).
 * May import: identity (and through it cli), plus dht/bootstrap.ts for the
 * one bootstrap setting every HyperDHT user shares; config.ts, secure-file.ts.
 *
 * API (stable; the relay, pairing and session carry code against it):
 *
 *   const node = await NetNode.open()            // bootstrap: CCKIT_HYPER_BOOTSTRAP / hyper.bootstrap
 *   identityKeyPair(identity) / ephemeralKeyPair()   (keypair.ts) — the pk: IS the address
 *   const server = await node.listen(keyPair, { allow: (remotePk) => boolean }, (ch: Channel) => …)
 *       allow() runs on every handshake, before any application byte; the
 *       remote key is ch.remotePublicKey. server.refresh() re-runs allow()
 *       over live connections and cuts the ones now refused (call it when
 *       peers.toml changes: watchPeers() in lib/pair/peers.ts). server.close().
 *   const ch = await node.dial(remotePk, keyPair, { timeoutMs })   → Channel
 *   await node.announce(topic, keyPair, server?) → { relayed } / node.lookup(topic) → announcers' keys
 *       (node.lookupStream(topic) yields them as the DHT answers)
 *   ch.send(obj) · await ch.next(timeoutMs) · for await (const m of ch) · ch.close()
 *       (channel.ts: NDJSON, objects only, max frame DEFAULT_MAX_FRAME = 1 MiB)
 *   errors: CliError with codes NET.* (errors.ts): UNREACHABLE, REFUSED,
 *       TIMEOUT, FRAME_TOO_LARGE, BAD_FRAME, CLOSED.
 *   await node.close()
 *
 * peers.toml (lib/pair/peers.ts): readPeers(), savePeer(), forgetPeer(),
 * renamePeer(), setAllow(), allowFromPeers(ability?) → a predicate for
 * listen(), watchPeers(cb) → fires when the file changes.
 *
 * hyperdht is imported lazily: commands that never touch HyperDHT do not pay
 * for loading it (start-up time is the product, build.mjs).
 */
import { hyperBootstrap, type Bootstrap } from '../dht/bootstrap.ts';
import { Channel, DEFAULT_MAX_FRAME, type SecretStream } from './channel.ts';
import { NET, netError, fromHyperError } from './errors.ts';
import type { NetKeyPair } from './keypair.ts';

/** How long a dial may take before ERR_NET_TIMEOUT. */
export const DIAL_TIMEOUT_MS = 20_000;
const BOOTSTRAP_TIMEOUT_MS = 20_000;

/** The parts of a hyperdht instance we use. */
interface HyperNode {
  fullyBootstrapped(): Promise<void>;
  destroy(opts?: { force?: boolean }): Promise<void>;
  connect(publicKey: Buffer, opts: { keyPair: NetKeyPair; relayAddresses?: unknown[] }): SecretStream & { on(ev: 'open', fn: () => void): unknown };
  createServer(opts: { firewall: (remotePublicKey: Buffer) => boolean | Promise<boolean> }): HyperServer;
  announce(target: Buffer, keyPair: NetKeyPair, relayAddresses: unknown[]): { finished(): Promise<void> };
  unannounce(target: Buffer, keyPair: NetKeyPair): Promise<void>;
  remoteAddress(): { host: string; port: number } | null;
  lookup(target: Buffer): AsyncIterable<{ peers: { publicKey: Buffer; relayAddresses: unknown[] }[] }>;
}

interface HyperServer {
  listen(keyPair: NetKeyPair): Promise<void>;
  close(): Promise<void>;
  relayAddresses: unknown[];
  on(ev: 'connection', fn: (s: SecretStream) => void): unknown;
}

/** A key announced under a topic, and where to reach it. */
export interface Announcer {
  publicKey: Uint8Array;
  relayAddresses: unknown[];
}

/** Decides whether a remote key may talk to a server; re-run on refresh(). */
export type AllowFn = (remotePublicKey: Uint8Array) => boolean;

export interface ListenOptions {
  allow: AllowFn;
  maxFrame?: number;
}

/** A server listening on one key pair, with its live channels. */
export class NetServer {
  /** Channels currently open, by remote key (z32 not needed: compare bytes). */
  readonly channels = new Set<Channel>();

  constructor(
    private readonly server: HyperServer,
    /** The key this server answers on (its pk: is the address). */
    readonly publicKey: Uint8Array,
    private allowFn: AllowFn,
  ) {}

  /** The allow predicate: consulted at every handshake and by refresh(). */
  allows(remotePublicKey: Uint8Array): boolean {
    try {
      return this.allowFn(remotePublicKey) === true;
    } catch {
      return false; // a broken policy admits nobody
    }
  }

  /** Replace the allow predicate and cut whoever it now refuses. */
  setAllow(allow: AllowFn): number {
    this.allowFn = allow;
    return this.refresh();
  }

  /** Re-run the allow predicate over live connections; returns how many were cut. */
  refresh(): number {
    let cut = 0;
    for (const ch of this.channels) {
      if (!this.allows(ch.remotePublicKey)) {
        ch.destroy(netError(NET.REFUSED, 'access withdrawn'));
        this.channels.delete(ch);
        cut++;
      }
    }
    return cut;
  }

  /** hyperdht's relay addresses for announcing this server under a topic. */
  get relayAddresses(): unknown[] {
    return this.server.relayAddresses;
  }

  private closing: Promise<void> | undefined;

  /** Stop listening and close every live channel (idempotent). */
  close(): Promise<void> {
    for (const ch of this.channels) ch.destroy();
    this.channels.clear();
    this.closing ??= this.server.close().catch(() => {});
    return this.closing;
  }
}

function bounded<T>(p: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => {
        onTimeout?.();
        reject(netError(NET.TIMEOUT, `${what} timed out after ${ms / 1000} s`));
      }, ms);
    }),
  ]);
}

/** One HyperDHT node: listen on keys, dial keys, announce and look up topics. */
export class NetNode {
  private readonly servers = new Set<NetServer>();
  private readonly pending = new Set<Promise<void>>();
  private closed = false;

  private constructor(private readonly dht: HyperNode) {}

  /** Open a node bootstrapped from CCKIT_HYPER_BOOTSTRAP / config (refuses public nodes under CCKIT_TEST_NO_PUBLIC=1). */
  static async open(boot?: Bootstrap): Promise<NetNode> {
    const b = boot ?? (await hyperBootstrap());
    const { default: DHT } = await import('hyperdht');
    const opts: Record<string, unknown> = {};
    if (b) opts.bootstrap = b.nodes.map((n) => ({ host: n.host, port: n.port }));
    if (b?.local) opts.host = '127.0.0.1';
    const dht = new DHT(opts) as unknown as HyperNode;
    const node = new NetNode(dht);
    try {
      await bounded(dht.fullyBootstrapped(), BOOTSTRAP_TIMEOUT_MS, 'HyperDHT bootstrap');
    } catch (err) {
      await node.close();
      throw err;
    }
    return node;
  }

  /**
   * Listen on `keyPair`. Each handshake is checked with `opts.allow` before
   * any application data; admitted connections reach `onChannel`.
   */
  async listen(keyPair: NetKeyPair, opts: ListenOptions, onChannel: (ch: Channel) => void): Promise<NetServer> {
    let netServer: NetServer | undefined;
    const server = this.dht.createServer({
      // hyperdht's firewall returns true to REJECT.
      firewall: (remotePublicKey) => !(netServer ? netServer.allows(remotePublicKey) : false),
    });
    netServer = new NetServer(server, new Uint8Array(keyPair.publicKey), opts.allow);
    const ns = netServer;
    server.on('connection', (stream) => {
      stream.on('error', () => {}); // reported through the Channel
      Channel.open(stream, opts.maxFrame ?? DEFAULT_MAX_FRAME).then(
        (ch) => {
          // The policy may have changed between the handshake and now.
          if (!ns.allows(ch.remotePublicKey)) return ch.destroy();
          ns.channels.add(ch);
          ch.onClose(() => ns.channels.delete(ch));
          onChannel(ch);
        },
        () => stream.destroy(),
      );
    });
    await bounded(server.listen(keyPair), DIAL_TIMEOUT_MS, 'listening on the DHT');
    this.servers.add(ns);
    return ns;
  }

  /** Dial `remotePublicKey` as `keyPair`; resolves once Noise has authenticated both ends. */
  async dial(remotePublicKey: Uint8Array, keyPair: NetKeyPair, opts: { timeoutMs?: number; maxFrame?: number; relayAddresses?: unknown[] } = {}): Promise<Channel> {
    const stream = this.dht.connect(Buffer.from(remotePublicKey), { keyPair, relayAddresses: opts.relayAddresses });
    const opened = new Promise<void>((resolve, reject) => {
      stream.on('open', () => resolve());
      stream.on('error', (e) => reject(fromHyperError(e, 'connecting')));
      stream.on('close', () => reject(netError(NET.REFUSED, 'the peer closed the connection during the handshake', undefined, 'the peer may not know your key (pair first: cc-pair)')));
    });
    await bounded(opened, opts.timeoutMs ?? DIAL_TIMEOUT_MS, 'connecting to the peer', () => stream.destroy());
    return Channel.open(stream, opts.maxFrame ?? DEFAULT_MAX_FRAME);
  }

  /**
   * Announce `keyPair` under a 32-byte topic. With the `server` listening on
   * it, its relay addresses go along (a dialler then skips finding the key);
   * without, the announcement can run while the server is still starting.
   */
  async announce(topic: Uint8Array, keyPair: NetKeyPair, server?: NetServer): Promise<{ relayed: boolean }> {
    // Without the server's relays yet, a publicly reachable node names itself:
    // it hosts the server, so a dialler can hand it the handshake directly and
    // skip finding the key (hyperdht still searches in parallel, so a stale or
    // unreachable address costs nothing). A node behind a NAT names nothing.
    const own = this.dht.remoteAddress();
    const relays = server?.relayAddresses ?? (own ? [own] : []);
    await bounded(this.dht.announce(Buffer.from(topic), keyPair, relays).finished(), DIAL_TIMEOUT_MS, 'announcing');
    // relayed: the record names where to reach the key, so a dialler needs no lookup of the key itself.
    return { relayed: relays.length > 0 };
  }

  /**
   * Remove our announcement of `keyPair` under `topic` (best effort). The
   * caller need not wait: close() finishes every unannounce still running.
   */
  unannounce(topic: Uint8Array, keyPair: NetKeyPair): Promise<void> {
    const p = bounded(this.dht.unannounce(Buffer.from(topic), keyPair), 5000, 'unannouncing').catch(() => {});
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p;
  }

  /** The distinct keys announced under `topic`, up to `max`, with their relay addresses. */
  async lookup(topic: Uint8Array, max = 8): Promise<Announcer[]> {
    const out: Announcer[] = [];
    for await (const a of this.lookupStream(topic, max)) out.push(a);
    return out;
  }

  /**
   * The same, yielded as the DHT answers, so a caller can dial the first
   * announcer while the lookup goes on. Ends after DIAL_TIMEOUT_MS at most.
   */
  async *lookupStream(topic: Uint8Array, max = 8): AsyncGenerator<Announcer> {
    const seen = new Set<string>();
    const query = this.dht.lookup(Buffer.from(topic)) as AsyncIterable<{ peers?: { publicKey: Buffer; relayAddresses?: unknown[] }[] }> & { destroy?: () => void };
    const timer = setTimeout(() => query.destroy?.(), DIAL_TIMEOUT_MS);
    try {
      for await (const reply of query) {
        for (const p of reply.peers ?? []) {
          const k = Buffer.from(p.publicKey).toString('hex');
          if (seen.has(k) || seen.size >= max) continue;
          seen.add(k);
          yield { publicKey: new Uint8Array(p.publicKey), relayAddresses: p.relayAddresses ?? [] };
        }
        if (seen.size >= max) break;
      }
    } finally {
      clearTimeout(timer);
      query.destroy?.();
    }
  }

  /** Close every server and the node itself. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.pending);
    for (const s of this.servers) await s.close();
    await bounded(this.dht.destroy(), 5000, 'HyperDHT shutdown').catch(() => {});
  }
}

export { Channel, DEFAULT_MAX_FRAME } from './channel.ts';
export type { Message } from './channel.ts';
export { NET } from './errors.ts';
export { identityKeyPair, ephemeralKeyPair, wipeKeyPair, type NetKeyPair } from './keypair.ts';
