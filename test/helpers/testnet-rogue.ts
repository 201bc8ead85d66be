// A misbehaving Mainline node for tests: it joins a local testnet and answers
// every BEP44 `get` with whatever value the test chose (a forged signature,
// an older packet replayed, another key's packet, an oversized one), so
// resolvers can be shown to ignore it. Bound to 127.0.0.1, stopped by the test.
import type DHT from 'bittorrent-dht';

export interface RogueValue {
  k: Uint8Array;
  seq: number;
  /** Any bencode type: a non-bytes value tests how readers cope with a node that lies about types. */
  sig: Uint8Array | number | unknown[] | Record<string, unknown>;
  v: Uint8Array | number | unknown[] | Record<string, unknown>;
}

export interface Rogue {
  node: DHT;
  /** Change the forged answer; undefined answers like an honest empty node. */
  answer(value: RogueValue | undefined): void;
  /** get queries this node answered with the forged value. */
  served: number;
  stop(): Promise<void>;
}

/** Bytes go out as byte strings; anything else (a hostile node's integer, list or dict) as that bencode type. */
function wire(x: unknown): unknown {
  return x instanceof Uint8Array ? Buffer.from(x) : x;
}

export async function startRogue(bootstrap: string, value?: RogueValue): Promise<Rogue> {
  const { default: DHTClass } = await import('bittorrent-dht');
  const node = new DHTClass({ bootstrap: [bootstrap], verify: () => true });
  let current = value;
  const rogue: Rogue = {
    node,
    served: 0,
    answer(v) {
      current = v;
    },
    stop: () => new Promise((resolve) => node.destroy(() => resolve())),
  };
  const honest = node._onget.bind(node);
  node._onget = (query, peer) => {
    if (!current || !query.a?.target) return honest(query, peer);
    rogue.served++;
    const host = peer.address ?? peer.host ?? '';
    node._rpc.response(peer, query, {
      id: node._rpc.id,
      token: node._generateToken(host),
      k: wire(current.k),
      seq: current.seq,
      sig: wire(current.sig),
      v: wire(current.v),
    });
  };
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('rogue node did not join')), 10_000);
    node.once('ready', () => {
      clearTimeout(t);
      resolve();
    });
    node.listen(0, '127.0.0.1');
  });
  return rogue;
}
