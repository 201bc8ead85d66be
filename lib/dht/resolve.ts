/**
 * Resolve the most recent packet of a key across the selected transports,
 * optionally waiting (bounded) while the record is not there yet: the
 * normal case right after a publish on another machine.
 */
import { readTxt } from './pkarr.ts';
import { requireReachable, type Network, type Seen, type Snapshot } from './network.ts';

/** What resolveLatest found (undefined when nothing matched in time) and the last snapshot. */
export interface ResolveResult {
  found?: Seen;
  snap: Snapshot;
}

/** Pause between lookups while waiting: long enough not to hammer the DHT. */
export const RETRY_MS = 1000;

/** Look up the key's most recent packet, retrying every RETRY_MS up to `waitMs` until it carries `full`; throws ERR_DHT_UNREACHABLE when no transport answered. */
export async function resolveLatest(opts: {
  net: Network;
  publicKey: Uint8Array;
  /** Full DNS name that must be present (undefined: any packet will do). */
  full?: string;
  waitMs: number;
  /** Called before each retry with the time left. */
  onRetry?: (leftMs: number) => void;
  log: (message: string) => void;
}): Promise<ResolveResult> {
  const { net, publicKey, full, waitMs } = opts;
  const deadline = Date.now() + waitMs;
  const warned = new Set<string>();
  for (;;) {
    const snap = await net.snapshot(publicKey);
    for (const p of snap.problems) {
      if (!warned.has(p)) opts.log(p);
      warned.add(p);
    }
    const best = snap.best;
    // The newest packet decides: an older one that still has the record was superseded.
    if (best && (full === undefined || readTxt(best.dns, full) !== undefined)) return { found: best, snap };
    const left = deadline - Date.now();
    if (left <= 0) {
      requireReachable(net, snap);
      return { snap };
    }
    opts.onRetry?.(left);
    await new Promise((r) => setTimeout(r, Math.min(RETRY_MS, left)));
  }
}
