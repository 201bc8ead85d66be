/**
 * Session carry, publisher side, step 2: serve the sealed archive over
 * HyperDHT on the publisher's identity key (lib/net), to the record's reader
 * only: the firewall admits exactly one key (self: our own key, used from the
 * other machine; share: the peer's; PIN: the key pair derived from the
 * payload's `k`, which only someone who opened the record with the PIN has).
 *
 * Wire (NDJSON, then raw bytes): the reader sends {v:1, op:"get", x, offset};
 * we answer {v:1, ok:true, n, offset, $raw: n-offset} followed by the bytes
 * from `offset` (a resumed transfer asks for the rest), or {ok:false, error}.
 * The reader then sends {op:"done", ok} once it has checked the SHA-256.
 * Serving ends at the first ok "done" (picked up), at the record's expiry,
 * or when the caller aborts (Ctrl-C).
 */
import { createReadStream } from 'node:fs';
import { bytesEqual } from '../identity/identity.ts';
import type { Channel, NetKeyPair, NetNode } from '../net/node.ts';
import type { PackedArchive } from './carry-pack.ts';
import { trace } from '../cli/trace.ts';

export type ServeEnd = 'picked-up' | 'expired' | 'stopped';

export interface ListenArchiveOptions {
  /**
   * The sealed archive, or its packing still under way: the server can
   * listen (on a real network, announcing takes seconds) while the session
   * is packed; a request that comes first waits for it.
   */
  archive: PackedArchive | Promise<PackedArchive>;
  /** Our identity key pair: its pk: is the record's pubkey, the address. */
  keyPair: NetKeyPair;
  /** The one key allowed to fetch. */
  reader: Uint8Array;
  /** Bytes sent so far in the current transfer (for a progress line). */
  onProgress?: (sent: number, total: number) => void;
}

export interface ServeOptions extends ListenArchiveOptions {
  /** Unix seconds: stop serving then. */
  expiresAt: number;
  /** Abort to stop serving (Ctrl-C). */
  signal?: AbortSignal;
  /** Called once the listener is up (the record may be published now). */
  onListening?: () => void | Promise<void>;
}

/** A listening archive server: `pickedUp` settles at the first reader that confirmed a good copy. */
export interface ArchiveServer {
  pickedUp: Promise<void>;
  close(): Promise<void>;
}

/** Listen for the reader on our key; serving starts at once, or when `o.archive` is ready. */
export async function listenArchive(node: NetNode, o: ListenArchiveOptions): Promise<ArchiveServer> {
  trace('listen');
  let done!: () => void;
  const pickedUp = new Promise<void>((resolve) => (done = resolve));
  const server = await node.listen(o.keyPair, { allow: (remote) => bytesEqual(remote, o.reader) }, (ch) => {
    handle(ch, o).then(
      (ok) => ok && done(),
      () => ch.destroy(),
    );
  });
  trace('listening');
  return { pickedUp, close: () => server.close() };
}

/** Keep `server` up until picked up, expired or aborted; returns which, and closes it. */
export async function serveUntil(server: ArchiveServer, o: Pick<ServeOptions, 'expiresAt' | 'signal' | 'onListening'>): Promise<ServeEnd> {
  let finish!: (end: ServeEnd) => void;
  const ended = new Promise<ServeEnd>((resolve) => (finish = resolve));
  void server.pickedUp.then(() => finish('picked-up'));
  const untilExpiry = Math.max(0, o.expiresAt * 1000 - Date.now());
  const timer = setTimeout(() => finish('expired'), Math.min(untilExpiry, 2 ** 31 - 1));
  const onAbort = () => finish('stopped');
  o.signal?.addEventListener('abort', onAbort);
  if (o.signal?.aborted) finish('stopped');
  try {
    await o.onListening?.();
    return await ended;
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
    await server.close();
  }
}

/** Serve until picked up, expired or aborted; returns which. */
export async function serveArchive(node: NetNode, o: ServeOptions): Promise<ServeEnd> {
  return serveUntil(await listenArchive(node, o), o);
}

/** One reader connection; true once the reader confirmed a good copy. */
async function handle(ch: Channel, o: ListenArchiveOptions): Promise<boolean> {
  const { n, x, path } = await o.archive;
  for (;;) {
    const m = await ch.nextOrEnd(10 * 60_000, 'a request');
    if (m === undefined) return false;
    if (m.op === 'get') {
      const offset = m.offset;
      if (m.x !== x) {
        await ch.send({ v: 1, ok: false, error: { code: 'ERR_NO_ARCHIVE', message: 'this publisher does not serve that archive (any more)' } });
        continue;
      }
      if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0 || offset > n) {
        await ch.send({ v: 1, ok: false, error: { code: 'ERR_BAD_OFFSET', message: 'bad offset' } });
        continue;
      }
      let sent = 0;
      const body = offset === n ? [] : createReadStream(path, { start: offset, highWaterMark: 1 << 20 });
      const counted = (async function* () {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          sent += chunk.length;
          o.onProgress?.(offset + sent, n);
          yield chunk;
        }
      })();
      await ch.sendRaw({ v: 1, ok: true, n, offset }, n - offset, counted);
    } else if (m.op === 'done') {
      await ch.close().catch(() => {});
      return m.ok === true;
    } else {
      await ch.send({ v: 1, ok: false, error: { code: 'ERR_UNKNOWN_OP', message: 'unknown op' } });
    }
  }
}
