/** Human text for the porcelain: expiry phrases, list lines, QR codes. */
import { showUntrusted } from '../cli/untrusted-text.ts';

/** The last second a JavaScript Date can show (year 275760): beyond it toISOString throws. */
const MAX_DATE_SECONDS = 8.64e12;

/**
 * "2026-11-22 05:50:12 UTC" for unix seconds; a number no date can hold (a
 * hostile record's created_at + ttl) reads as such instead of throwing.
 */
export function utcTime(seconds: number, withSeconds = true): string {
  if (!Number.isFinite(seconds) || Math.abs(seconds) > MAX_DATE_SECONDS) return 'beyond any date';
  const iso = new Date(Math.floor(seconds) * 1000).toISOString().replace('T', ' ');
  return withSeconds ? iso.replace(/\.\d+Z$/, ' UTC') : iso.replace(/:\d\d\.\d+Z$/, ' UTC');
}

/** "expires 2026-11-22 05:50 UTC (in 23h 59m)" or "expired 5m ago". */
export function describeExpiry(expiresAt: number, now = Math.floor(Date.now() / 1000)): string {
  const when = utcTime(expiresAt, false);
  const d = Math.abs(expiresAt - now);
  const span = d >= 3600 ? `${Math.floor(d / 3600)}h ${Math.floor((d % 3600) / 60)}m` : d >= 60 ? `${Math.floor(d / 60)}m` : `${d}s`;
  return expiresAt > now ? `expires ${when} (in ${span})` : `expired ${when} (${span} ago)`;
}

/** One line about a published record, from its outer (unencrypted) fields. */
export function listLine(record: Record<string, unknown>, now = Math.floor(Date.now() / 1000)): string {
  // Outer fields straight from the DHT: shown, never obeyed; anything that is not a number reads as 0, never NaN.
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const created = num(record.created_at);
  const expires = created + num(record.ttl);
  const mode = record.pin_salt ? 'PIN' : record.recipient ? `for pk:${showUntrusted(String(record.recipient))}` : 'for yourself';
  const burn = record.burn ? ', burn after reading' : '';
  return `pk:${showUntrusted(String(record.pubkey))}  ${mode}${burn}, published ${utcTime(created)}, ${describeExpiry(expires, now)}`;
}

export { renderQr } from '../cli/qr.ts';
