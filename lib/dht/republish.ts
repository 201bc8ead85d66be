/**
 * Keep a published record alive until it expires (`cc-dht-put --republish`):
 * DHT nodes forget items within hours, so the packet is put again every
 * interval. No secret key is needed for that: what is re-put is a packet
 * already signed (ours, or a newer one of the same key that still carries
 * our record, for instance after a Pubky update). When the newest packet no
 * longer carries our record (revoked, or replaced by a newer handoff) there
 * is nothing left to keep alive and the loop ends.
 */
import { compareRecency, fullName, readTxt, type SignedPacket } from './pkarr.ts';
import type { Log, Network, Seen } from './network.ts';
import type { PublishResult } from './publish.ts';
import type { Transport } from './transports.ts';

/** Why republish() stopped: the record expired, a newer packet no longer carries it, or the signal fired. */
export type RepublishEnd = 'expired' | 'replaced' | 'stopped';

/** One republish round's report: signer, record name, seq re-put, and stores per transport. */
export interface RepublishTick {
  pubkey: string;
  name: string;
  seq: number;
  stored: Partial<Record<Transport, number>>;
}

/** Sleep until `ms` passed or the signal fires. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** Re-put the newest already-signed packet that still carries `text` every interval until it expires, is replaced or `signal` fires; emits a tick per round and returns why it ended. */
export async function republish(opts: {
  net: Network;
  publicKey: Uint8Array;
  text: string;
  first: PublishResult;
  /** Unix ms after which the record is dead and republishing stops. */
  expiresAt: number;
  intervalMs: number;
  signal: AbortSignal;
  emit: (tick: RepublishTick) => void;
  log: Log;
}): Promise<RepublishEnd> {
  const { net, publicKey, text, first, signal, log } = opts;
  const full = fullName(first.name, publicKey);
  let bep44: SignedPacket = first.packet;
  let hyper = first.hyperSig ? { seq: first.packet.seq, v: first.packet.v, sig: first.hyperSig } : undefined;

  for (;;) {
    const left = opts.expiresAt - Date.now();
    if (left <= 0) return 'expired';
    await pause(Math.min(opts.intervalMs, left), signal);
    if (signal.aborted) return 'stopped';
    if (Date.now() >= opts.expiresAt) return 'expired';

    const snap = await net.snapshot(publicKey);
    if (signal.aborted) return 'stopped';
    const newest = snap.best;
    if (newest && compareRecency(newest, bep44) > 0 && readTxt(newest.dns, full) !== text) return 'replaced';

    // Per transport, re-put the newest packet that still carries our record.
    const newerBep44 = pickNewer(snap.seen.filter((s) => s.sig), bep44);
    if (newerBep44) bep44 = { publicKey, seq: newerBep44.seq, v: newerBep44.v, sig: newerBep44.sig! };
    const newerHyper = hyper ? pickNewer(snap.seen.filter((s) => s.hyperSig), hyper) : undefined;
    if (newerHyper) hyper = { seq: newerHyper.seq, v: newerHyper.v, sig: newerHyper.hyperSig! };

    const stored: Partial<Record<Transport, number>> = Object.fromEntries(net.transports.map((t) => [t, 0]));
    const holders = snap.mainline?.holders ?? new Map();
    await Promise.all([
      net.has('mainline') ? net.putMainline(bep44, holders).then((o) => void (stored.mainline = o.stored)) : undefined,
      net.has('relay') ? net.putRelay(bep44, log, snap.relayHolders).then((n) => void (stored.relay = n)) : undefined,
      net.has('hyper') && hyper ? net.putHyper(publicKey, hyper.v, hyper.seq, hyper.sig, log).then((n) => void (stored.hyper = n)) : undefined,
    ]);
    if (signal.aborted) return 'stopped';
    opts.emit({ pubkey: first.pubkey, name: first.name, seq: bep44.seq, stored });
  }

  function pickNewer(list: Seen[], than: { seq: number; v: Uint8Array }): Seen | undefined {
    let best: Seen | undefined;
    for (const s of list) {
      if (compareRecency(s, than) > 0 && readTxt(s.dns, full) === text && (!best || compareRecency(s, best) > 0)) best = s;
    }
    return best;
  }
}
