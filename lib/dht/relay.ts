/**
 * pkarr relays: the HTTP fallback where UDP is blocked (DESIGN.md §6).
 *
 *   PUT /<z32>  body sig|ts|v  → 2xx (204 in the spec, 200 from some relays)
 *   GET /<z32>                 → 200 with the same body, 404 if none
 *
 * A relay is trusted for availability only: every packet it returns is
 * verified against the key like one from the DHT. No CAS here: newer relays
 * accept a precondition header but older ones do not, so a relay write is a
 * plain put of the packet merged from what the relays returned.
 */
import { toZ32 } from '../identity/identity.ts';
import { fromRelayBody, isVerified, toRelayBody, type SignedPacket, type VerifiedPacket } from './pkarr.ts';

/** One slow relay must not hold a command for long. */
export const RELAY_TIMEOUT_MS = 10_000;
const MAX_BODY = 72 + 1000;

/** What the relays returned: verified packets, which relay serves which signature, how many answered, and errors. */
export interface RelayLookup {
  packets: VerifiedPacket[];
  /** Relay URL → hex signature of the packet it returned. */
  holders: Map<string, string>;
  /** Relays that answered (200 or 404). */
  reached: number;
  errors: string[];
}

/** How many relays stored the packet, and the errors of the others. */
export interface RelayPutOutcome {
  stored: number;
  errors: string[];
}

/** fetch hides the reason in `cause` ("fetch failed" alone says nothing). */
function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

/** GET the key's packet from every relay in parallel (each bounded by RELAY_TIMEOUT_MS); verifies each body, never throws, and reports failures in `errors`. */
export async function relayGet(urls: string[], publicKey: Uint8Array): Promise<RelayLookup> {
  const out: RelayLookup = { packets: [], holders: new Map(), reached: 0, errors: [] };
  const id = toZ32(publicKey);
  await Promise.all(
    urls.map(async (base) => {
      try {
        const res = await fetch(`${base}/${id}`, { signal: AbortSignal.timeout(RELAY_TIMEOUT_MS) });
        if (res.status === 404) {
          out.reached++;
          await res.body?.cancel();
          return;
        }
        if (res.status !== 200) {
          out.errors.push(`${base}: HTTP ${res.status}`);
          await res.body?.cancel();
          return;
        }
        const body = new Uint8Array(await res.arrayBuffer());
        out.reached++;
        if (body.length > MAX_BODY) {
          out.errors.push(`${base}: oversized answer (${body.length} bytes)`);
          return;
        }
        const p = fromRelayBody(publicKey, body);
        if (isVerified(p)) {
          out.packets.push(p);
          out.holders.set(base, Buffer.from(p.sig).toString('hex'));
        } else {
          out.errors.push(`${base}: ${p.reason}`);
        }
      } catch (err) {
        out.errors.push(`${base}: ${describe(err)}`);
      }
    }),
  );
  return out;
}

/**
 * PUT the packet to each relay, except those that `holders` says already
 * serve exactly this packet (they count as stored): re-putting an identical
 * packet is refused by some relays, and is pointless anyway.
 */
export async function relayPut(urls: string[], packet: SignedPacket, holders?: Map<string, string>): Promise<RelayPutOutcome> {
  const out: RelayPutOutcome = { stored: 0, errors: [] };
  const id = toZ32(packet.publicKey);
  const body = toRelayBody(packet);
  const sig = Buffer.from(packet.sig).toString('hex');
  await Promise.all(
    urls.map(async (base) => {
      if (holders?.get(base) === sig) {
        out.stored++;
        return;
      }
      try {
        const res = await fetch(`${base}/${id}`, {
          method: 'PUT',
          body: Buffer.from(body),
          headers: { 'content-type': 'application/octet-stream' },
          signal: AbortSignal.timeout(RELAY_TIMEOUT_MS),
        });
        await res.body?.cancel();
        if (res.status >= 200 && res.status < 300) out.stored++;
        else out.errors.push(`${base}: HTTP ${res.status}`);
      } catch (err) {
        out.errors.push(`${base}: ${describe(err)}`);
      }
    }),
  );
  return out;
}
