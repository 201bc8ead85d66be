/**
 * A private Mainline network (and optionally a HyperDHT one) on 127.0.0.1,
 * for tests, benchmarks and the README demo (DESIGN.md §6): the first node
 * has `bootstrap: false`, the others bootstrap from it. Nothing here ever
 * binds or sends outside the loopback interface.
 */
import { verify as edVerify } from '../identity/identity.ts';
import type DHT from 'bittorrent-dht';
import type { HyperTestnet } from 'hyperdht/testnet.js';

/** The only address testnet nodes bind to. */
export const TESTNET_HOST = '127.0.0.1';

/** A running testnet: bootstrap addresses to hand to commands, its nodes, kill() for one node and stop() for all. */
export interface Testnet {
  /** `127.0.0.1:PORT` of the first Mainline node. */
  bootstrap: string;
  /** `127.0.0.1:PORT` of the first HyperDHT node, with `hyper`. */
  hyperBootstrap?: string;
  nodes: DHT[];
  hyperNodes: number;
  /** Stop one Mainline node (tests of churn). */
  kill(index: number): Promise<void>;
  stop(): Promise<void>;
}

/** Nodes must verify BEP44 signatures to store mutable items at all. */
function verify(sig: Buffer, msg: Buffer, pubkey: Buffer): boolean {
  return edVerify(pubkey, msg, sig);
}

/**
 * BEP 43 for bittorrent-dht, which predates it: a node that sends `ro: 1`
 * (our short-lived commands do) is answered but not added to the routing
 * table, as libtorrent does. Without this every finished command would stay
 * in the testnet's tables as a dead node that lookups wait on.
 */
function honourReadOnly(node: DHT): void {
  const rpc = node._rpc as unknown as {
    socket: NodeJS.EventEmitter;
    _addNode(n: unknown): void;
  };
  let readOnlyQuery = false;
  rpc.socket.prependListener('query', (q: { ro?: unknown }) => {
    readOnlyQuery = q?.ro === 1;
  });
  rpc.socket.on('query', () => {
    readOnlyQuery = false;
  });
  const add = rpc._addNode.bind(rpc);
  rpc._addNode = (n: unknown) => {
    if (!readOnlyQuery) add(n);
  };
}

/**
 * BEP 44 says a `get` response carries the closest nodes along with the
 * value; bittorrent-dht sends them only when it has no value, so a lookup
 * that meets a holder stops discovering nodes. Libtorrent, which most of the
 * real DHT runs, sends both: so does the testnet, or resolvers would never
 * meet the nodes past the first holders (stale copies, forgeries) that they
 * must cope with in the wild.
 */
function answerGetWithNodes(node: DHT): void {
  node._onget = (query, peer) => {
    const target = query.a?.target;
    if (!target) return;
    const value = node._values.get(target.toString('hex')) as
      | { v: Buffer; k?: Buffer; sig?: Buffer; seq?: number }
      | undefined;
    const r: Record<string, unknown> = { id: node._rpc.id, token: node._generateToken(peer.address ?? peer.host ?? '') };
    if (value) {
      r.v = value.v;
      if (value.sig) Object.assign(r, { sig: value.sig, k: value.k, seq: value.seq });
    }
    node._rpc.response(peer, query, r, node._rpc.nodes.closest(target));
  };
}

function destroy(node: DHT): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, 1000);
    node.destroy(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Resolve once `node` emits `event`, or fail after `ms`. */
function once(node: DHT, event: string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`testnet node did not get '${event}' within ${ms} ms`)), ms);
    node.once(event, () => {
      clearTimeout(t);
      resolve();
    });
  });
}

async function startMainline(count: number): Promise<{ nodes: DHT[]; bootstrap: string }> {
  const { default: DHTClass } = await import('bittorrent-dht');
  const nodes: DHT[] = [];
  try {
    const first = new DHTClass({ bootstrap: false, verify });
    honourReadOnly(first);
    answerGetWithNodes(first);
    nodes.push(first);
    const listening = once(first, 'listening', 5000);
    first.listen(0, TESTNET_HOST);
    await listening;
    const bootstrap = `${TESTNET_HOST}:${first.address().port}`;
    // Join in small batches: each newcomer's self-lookup then finds the
    // earlier ones, so routing tables come out well connected.
    const BATCH = 8;
    for (let i = 1; i < count; i += BATCH) {
      const batch: Promise<void>[] = [];
      for (let j = i; j < Math.min(count, i + BATCH); j++) {
        const node = new DHTClass({ bootstrap: [bootstrap], verify });
        honourReadOnly(node);
        answerGetWithNodes(node);
        nodes.push(node);
        batch.push(once(node, 'ready', 10_000));
        node.listen(0, TESTNET_HOST);
      }
      await Promise.all(batch);
    }
    return { nodes, bootstrap };
  } catch (err) {
    await Promise.all(nodes.map(destroy));
    throw err;
  }
}

/** Start `nodes` (default 20) Mainline nodes on 127.0.0.1, plus a HyperDHT testnet with `hyper`; throws (after stopping what started) when any fails to come up. */
export async function startTestnet(opts: { nodes?: number; hyper?: boolean; hyperNodes?: number } = {}): Promise<Testnet> {
  const count = opts.nodes ?? 20;
  if (!Number.isInteger(count) || count < 1) throw new Error('a testnet needs at least one node');
  const { nodes, bootstrap } = await startMainline(count);
  let hyper: HyperTestnet | undefined;
  const hyperCount = opts.hyper ? (opts.hyperNodes ?? Math.min(count, 10)) : 0;
  if (opts.hyper) {
    try {
      const { default: createTestnet } = await import('hyperdht/testnet.js');
      hyper = await createTestnet(Math.max(3, hyperCount), { host: TESTNET_HOST });
    } catch (err) {
      await Promise.all(nodes.map(destroy));
      throw err;
    }
  }
  const alive = new Set(nodes);
  let stopped = false;
  return {
    bootstrap,
    hyperBootstrap: hyper ? `${hyper.bootstrap[0].host}:${hyper.bootstrap[0].port}` : undefined,
    nodes,
    hyperNodes: hyper ? hyper.nodes.length : 0,
    async kill(index: number) {
      const node = nodes[index];
      if (!node || !alive.has(node)) return;
      alive.delete(node);
      await destroy(node);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all([...alive].map(destroy));
      alive.clear();
      if (hyper) await hyper.destroy();
    },
  };
}
