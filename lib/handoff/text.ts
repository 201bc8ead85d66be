/** Human text for the porcelain: expiry phrases, list lines, QR codes. */

/** "expires 2026-11-22 05:50 UTC (in 23h 59m)" or "expired 5m ago". */
export function describeExpiry(expiresAt: number, now = Math.floor(Date.now() / 1000)): string {
  const when = new Date(expiresAt * 1000).toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
  const d = Math.abs(expiresAt - now);
  const span = d >= 3600 ? `${Math.floor(d / 3600)}h ${Math.floor((d % 3600) / 60)}m` : d >= 60 ? `${Math.floor(d / 60)}m` : `${d}s`;
  return expiresAt > now ? `expires ${when} (in ${span})` : `expired ${when} (${span} ago)`;
}

/** One line about a published record, from its outer (unencrypted) fields. */
export function listLine(record: Record<string, unknown>, now = Math.floor(Date.now() / 1000)): string {
  const created = Number(record.created_at);
  const expires = created + Number(record.ttl);
  const mode = record.pin_salt ? 'PIN' : record.recipient ? `for pk:${record.recipient}` : 'for yourself';
  const burn = record.burn ? ', burn after reading' : '';
  return `pk:${record.pubkey}  ${mode}${burn}, published ${new Date(created * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}, ${describeExpiry(expires, now)}`;
}

export { renderQr } from '../cli/qr.ts';
