/**
 * The `_ccctx` freshness anchor (DESIGN.md §9): after a push the owner
 * publishes `space:seq:hash8` (its own log position) as TXT `_ccctx` in its
 * PKARR packet, beside the handoff record, through the same machinery as
 * cc-dht-put. A reader that checks it learns when a store serves an owner
 * log older than the one the owner announced.
 */
import { authError, CliError, EXIT } from '../cli/errors.ts';
import { formatPubkey, parsePubkey, type Identity } from '../identity/identity.ts';
import { fullName, readTxt } from '../dht/pkarr.ts';
import type { ChainPositions } from './verify-logs.ts';

/** The TXT name of the record. */
export const CTX_NAME = '_ccctx';

/** The record's value. */
export function freshnessValue(space: string, seq: number, hash: string): string {
  return `${space}:${seq}:${hash.slice(0, 8)}`;
}

/** Parse a record value (exit 4 on a malformed one). */
export function parseFreshness(v: string): { space: string; seq: number; hash8: string } {
  const m = /^([0-9a-f]{32}):(\d{1,15}):([0-9a-f]{8})$/.exec(v);
  if (!m) throw authError('ERR_CTX_FRESHNESS', 'the _ccctx record is malformed');
  return { space: m[1], seq: Number(m[2]), hash8: m[3] };
}

async function openNet(log: (m: string) => void) {
  const [{ Network }, { selectTransports }] = await Promise.all([import('../dht/network.ts'), import('../dht/transports.ts')]);
  return Network.open(await selectTransports(undefined, 'cc-context'), log);
}

/** Publish `_ccctx` under the owner's key; returns the packet seq. */
export async function publishFreshness(identity: Identity, value: string, log: (m: string) => void): Promise<number> {
  const { publish } = await import('../dht/publish.ts');
  const net = await openNet(log);
  try {
    const r = await publish({ identity, name: CTX_NAME, text: value, net, log });
    return r.seq;
  } finally {
    await net.close();
  }
}

/** The owner's current `_ccctx` value, or undefined when none is published. */
export async function resolveFreshness(owner: string, log: (m: string) => void): Promise<string | undefined> {
  const { resolveLatest } = await import('../dht/resolve.ts');
  const pk = parsePubkey(owner);
  const net = await openNet(log);
  try {
    const full = fullName(CTX_NAME, pk);
    const { found } = await resolveLatest({ net, publicKey: pk, full, waitMs: 0, log });
    return found ? readTxt(found.dns, full) : undefined;
  } finally {
    await net.close();
  }
}

/** Compare what the store served with the record: the owner's log must reach the announced position. */
export function checkFresh(record: string, space: string, ownerZ: string, positions: ChainPositions): void {
  const r = parseFreshness(record);
  if (r.space !== space) throw new CliError('ERR_CTX_FRESHNESS', 'the _ccctx record names another space', EXIT.FAILURE, 'the owner has published a newer space; ask which store it uses');
  const own = Object.values(positions).filter((p) => p.writer === ownerZ);
  const ahead = own.some((p) => p.seq > r.seq || (p.seq === r.seq && p.hash.startsWith(r.hash8)));
  if (!ahead) {
    const best = Math.max(0, ...own.map((p) => p.seq));
    throw authError('ERR_CTX_STALE', `the store is behind the owner's DHT record (store has the owner's log at ${best}, the owner announced ${r.seq})`, `the store is stale or rolled back; try again later or ask ${formatPubkey(parsePubkey(ownerZ))}`);
  }
}
