/**
 * The remote transport: the relay listens on the user's identity key over
 * HyperDHT (lib/net). The firewall admits only keys in peers.toml, before
 * any byte; each admitted peer's `allow` list becomes its capabilities.
 * peers.toml is watched: a forgotten peer is cut off, a changed allow list
 * applies to the next op on a live connection.
 */
import { formatPubkey, parsePubkey, bytesEqual, type Identity } from '../identity/identity.ts';
import { NetNode, identityKeyPair, type Channel } from '../net/node.ts';
import { readPeers, watchPeers, type Peer } from '../pair/peers.ts';
import type { SessionManager } from './manager.ts';
import { Connection, type Cap, type FrameSink } from './protocol.ts';

/** Events carry claude's lines verbatim: frames may be larger than lib/net's default. */
export const RELAY_MAX_FRAME = 16 << 20;
/** Frames queued on a stream before the protocol pauses a tail. */
const HIGH_WATER = 64;

/** A FrameSink over a lib/net Channel. */
export function channelSink(ch: Channel): FrameSink {
  let inflight = 0;
  let drainers: (() => void)[] = [];
  return {
    write(frame: string): boolean {
      if (ch.closed) return true;
      inflight++;
      ch.send(JSON.parse(frame)).then(
        () => {
          inflight--;
          if (inflight === 0) for (const fn of drainers.splice(0)) fn();
        },
        () => {
          inflight = 0;
          drainers = [];
        },
      );
      return inflight < HIGH_WATER;
    },
    onDrain(fn: () => void): void {
      if (inflight === 0) setImmediate(fn);
      else drainers.push(fn);
    },
    close(): void {
      void ch.close();
    },
  };
}

/** The peer a key belongs to, if paired. */
function peerOf(peers: Peer[], key: Uint8Array): Peer | undefined {
  return peers.find((p) => {
    try {
      return bytesEqual(parsePubkey(p.pubkey), key);
    } catch {
      return false;
    }
  });
}

export interface HyperRelay {
  publicKey: string;
  close(): Promise<void>;
}

/** Serve `manager` on `identity`'s key until close(). */
export async function listenHyper(manager: SessionManager, identity: Identity): Promise<HyperRelay> {
  let peers = await readPeers();
  const node = await NetNode.open();
  const live = new Map<Channel, Connection>();
  const me = formatPubkey(identity.publicKey);
  const keyPair = identityKeyPair(identity);
  const allow = (key: Uint8Array) => peerOf(peers, key) !== undefined;
  let server;
  try {
    server = await node.listen(keyPair, { allow, maxFrame: RELAY_MAX_FRAME }, (ch) => {
      const peer = peerOf(peers, ch.remotePublicKey);
      if (!peer) return ch.destroy();
      const conn = new Connection(manager, channelSink(ch), peer.name, [...peer.allow] as Cap[], me);
      live.set(ch, conn);
      ch.onClose(() => {
        live.delete(ch);
        conn.detach();
      });
      void (async () => {
        try {
          for await (const m of ch) conn.receive(JSON.stringify(m));
        } catch {
          /* a bad frame or a broken stream ends this client only */
        }
        live.delete(ch);
        conn.detach();
      })();
    });
  } catch (err) {
    await node.close();
    throw err;
  }
  const srv = server;
  const stopWatching = watchPeers(() => {
    void readPeers().then(
      (fresh) => {
        peers = fresh;
        srv.setAllow(allow); // cuts connections of peers no longer listed
        for (const [ch, conn] of live) {
          const p = peerOf(peers, ch.remotePublicKey);
          if (p) {
            conn.who = p.name;
            conn.setCaps([...p.allow] as Cap[]);
          } else {
            conn.detach();
            ch.destroy();
          }
        }
      },
      () => {
        /* an unreadable peers.toml keeps the last good list */
      },
    );
  });
  return {
    publicKey: me,
    async close() {
      stopWatching();
      for (const conn of live.values()) conn.detach();
      await srv.close();
      await node.close();
      keyPair.secretKey.fill(0);
    },
  };
}
