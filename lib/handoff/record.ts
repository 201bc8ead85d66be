/**
 * lib/handoff/ — the handoff flow: the cclink record, sealing and opening it,
 * PINs, the porcelain's pipelines and text. May import age/, dht/, claude/,
 * pair/, context/ (and what those may import).
 *
 * The handoff record, byte-compatible with cclink v1.3 (DESIGN.md §5).
 *
 * cclink serialises with serde in struct-declaration (alphabetical) order:
 *   outer:    blob, burn?, created_at, hostname?, pin_salt?, project?, pubkey, recipient?, signature, ttl
 *             (burn omitted when false, hostname/project when "", pin_salt/recipient when None)
 *   signable: blob, burn, created_at, hostname, pin_salt, project, pubkey, recipient, ttl
 *             (always all nine; null for None, false for no burn)
 *   payload:  {"h":hostname,"p":project,"s":session_id}, the age blob's plaintext
 * Since v1.1 cclink writes hostname and project only inside the blob and
 * leaves the outer fields empty, so nothing about the machine or project is
 * readable on the DHT. JSON.stringify escapes strings exactly as serde_json
 * does (`"`, `\`, control characters; nothing else), so compact
 * JSON.stringify of objects built in this order is the same bytes.
 */
import { edPublicKey, edSign, edVerify } from '../identity/ed25519.ts';
import { CliError, EXIT } from '../cli/errors.ts';
import { parseCarry, type Carry } from './carry-payload.ts';

/** A parsed cclink v1 handoff record, fields in cclink's order; null and empty mean absent as in §5. */
export interface HandoffRecord {
  blob: string;
  burn: boolean;
  created_at: number;
  hostname: string;
  pin_salt: string | null;
  project: string;
  /** z32, no pk: prefix */
  pubkey: string;
  /** z32 of the peer a shared record is for, or null (self or PIN) */
  recipient: string | null;
  signature: string;
  ttl: number;
}

/** A HandoffRecord before signing: every field but `signature`. */
export type UnsignedRecord = Omit<HandoffRecord, 'signature'>;

/** What the blob holds. */
export interface Payload {
  h: string;
  p: string;
  s: string;
  /** Session carry: the archive that travels with the record (carry-payload.ts). */
  c?: Carry;
}

// ── serialisation ───────────────────────────────────────────────────────

/** The bytes cclink signs: all nine fields, fixed order, compact. */
export function canonicalSignable(r: UnsignedRecord): string {
  return JSON.stringify({
    blob: r.blob,
    burn: r.burn,
    created_at: r.created_at,
    hostname: r.hostname,
    pin_salt: r.pin_salt,
    project: r.project,
    pubkey: r.pubkey,
    recipient: r.recipient,
    ttl: r.ttl,
  });
}

/** The outer record as cclink writes it: §5 order, defaults omitted, compact. */
export function serializeRecord(r: HandoffRecord): string {
  const out: Record<string, unknown> = { blob: r.blob };
  if (r.burn) out.burn = true;
  out.created_at = r.created_at;
  if (r.hostname !== '') out.hostname = r.hostname;
  if (r.pin_salt !== null) out.pin_salt = r.pin_salt;
  if (r.project !== '') out.project = r.project;
  out.pubkey = r.pubkey;
  if (r.recipient !== null) out.recipient = r.recipient;
  out.signature = r.signature;
  out.ttl = r.ttl;
  return JSON.stringify(out);
}

/** The payload as compact JSON in cclink's order `{"h","p","s"}`, the blob's plaintext. */
export function serializePayload(p: Payload): string {
  return JSON.stringify(p.c ? { h: p.h, p: p.p, s: p.s, c: p.c } : { h: p.h, p: p.p, s: p.s });
}

// ── parsing ─────────────────────────────────────────────────────────────

function notRecord(why: string): CliError {
  return new CliError('ERR_NOT_A_RECORD', `input is not a handoff record: ${why}`, EXIT.FAILURE, 'cc-open reads what cc-seal or cc-dht-get prints');
}

function u64(v: unknown, field: string): number {
  // -0 passes isSafeInteger and `< 0` but is no u64: serde_json reads it as a float and cclink
  // refuses it; accepting it would give one record two encodings (found by fuzz-handoff-record).
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || Object.is(v, -0)) throw notRecord(`'${field}' must be a whole number of seconds`);
  return v;
}

function str(v: unknown, field: string, fallback?: string): string {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string') throw notRecord(`'${field}' must be a string`);
  return v;
}

function optStr(v: unknown, field: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw notRecord(`'${field}' must be a string or null`);
  return v;
}

/**
 * Read a record the way cclink's serde derive does: unknown fields ignored,
 * omitted optional fields take their defaults, wrong types rejected.
 */
export function parseRecord(value: unknown): HandoffRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw notRecord('expected a JSON object');
  const o = value as Record<string, unknown>;
  for (const f of ['blob', 'created_at', 'pubkey', 'signature', 'ttl']) {
    if (!(f in o)) throw notRecord(`missing field '${f}'`);
  }
  if (o.burn !== undefined && typeof o.burn !== 'boolean') throw notRecord("'burn' must be true or false");
  return {
    blob: str(o.blob, 'blob'),
    burn: o.burn === true,
    created_at: u64(o.created_at, 'created_at'),
    hostname: str(o.hostname, 'hostname', ''),
    pin_salt: optStr(o.pin_salt, 'pin_salt'),
    project: str(o.project, 'project', ''),
    pubkey: str(o.pubkey, 'pubkey'),
    recipient: optStr(o.recipient, 'recipient'),
    signature: str(o.signature, 'signature'),
    ttl: u64(o.ttl, 'ttl'),
  };
}

/** No unpaired UTF-16 surrogate: the string survives UTF-8 encoding unchanged. */
export function isWellFormedText(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

const PAYLOAD_KEYS = new Set(['h', 'p', 's', 'mtime', 'c']);
/** Claude Code session ids are UUIDs; anything else (say, `--flag`) must not reach `claude --resume`. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The payload to seal: cc-session's `{"s","h","p","mtime"}` or exactly
 * `{"h","p","s"}`. Anything else is refused, so that piping the wrong JSON
 * (a record, a list) fails here rather than sealing nonsense.
 */
export function parsePayloadInput(value: unknown): Payload {
  const bad = (why: string, hint = "pipe in what 'cc-session' prints: {\"s\":…,\"h\":…,\"p\":…}") =>
    new CliError('ERR_BAD_PAYLOAD', `input is not a session payload: ${why}`, EXIT.FAILURE, hint);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('expected a JSON object');
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!PAYLOAD_KEYS.has(k)) throw bad(`unexpected field '${k}'`);
  }
  for (const k of ['h', 'p', 's'] as const) {
    if (typeof o[k] !== 'string') throw bad(`'${k}' must be a string`);
  }
  for (const k of ['h', 'p'] as const) {
    // A lone surrogate would be sealed as U+FFFD: the reader would get another path than the one sent.
    if (!isWellFormedText(o[k] as string)) throw bad(`'${k}' is not valid Unicode (a lone surrogate)`, 'check the session file this came from');
  }
  if (!UUID.test(o.s as string)) throw bad(`'s' is not a session id (a UUID): '${String(o.s).slice(0, 40)}'`);
  if (o.mtime !== undefined && typeof o.mtime !== 'number') throw bad("'mtime' must be a number");
  const payload: Payload = { h: o.h as string, p: o.p as string, s: o.s as string };
  if (o.c !== undefined) payload.c = parseCarry(o.c, EXIT.FAILURE);
  return payload;
}

/**
 * The blob's plaintext: the v1.1+ JSON payload, or (cclink v1.0) the bare
 * session id with hostname and project in the outer record.
 */
export function parseBlobPlaintext(plaintext: Uint8Array, r: HandoffRecord): Payload {
  const text = Buffer.from(plaintext).toString('utf8');
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (v && typeof v === 'object' && typeof v.h === 'string' && typeof v.p === 'string' && typeof v.s === 'string') {
      const payload: Payload = { h: v.h, p: v.p, s: v.s };
      if (v.c !== undefined) payload.c = parseCarry(v.c, EXIT.AUTH);
      return payload;
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    /* not JSON: the older bare-id form */
  }
  if (text.length === 0 || !Buffer.from(text, 'utf8').equals(Buffer.from(plaintext)) || /[\x00-\x1f]/.test(text)) {
    throw new CliError('ERR_BAD_PAYLOAD', 'the decrypted blob is neither a payload nor a session id', EXIT.AUTH);
  }
  return { h: r.hostname, p: r.project, s: text };
}

/** Standard padded base64, canonical only (cclink's base64 STANDARD engine is as strict). */
export function decodeBase64Strict(text: string, what: string): Buffer {
  const ok = text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
  const bytes = ok ? Buffer.from(text, 'base64') : undefined;
  if (!bytes || bytes.toString('base64') !== text) {
    throw new CliError('ERR_BAD_RECORD_FIELD', `record field '${what}' is not valid base64`, EXIT.AUTH, 'the record is corrupt or was tampered with');
  }
  return bytes;
}

// ── signatures (lib/identity/ed25519.ts: native, ~0.2 ms instead of ~15 ms cold in JS) ──

/** Ed25519 public key of a seed. */
export function ed25519PublicFromSeed(seed: Uint8Array): Buffer {
  return Buffer.from(edPublicKey(seed));
}

/** Sign the canonical signable; returns the complete record. */
export function signRecord(r: UnsignedRecord, seed: Uint8Array): HandoffRecord {
  const sig = edSign(seed, Buffer.from(canonicalSignable(r), 'utf8'));
  return { ...r, signature: Buffer.from(sig).toString('base64') };
}

/** True when `signature` is `publicKey`'s Ed25519 signature over the canonical signable. */
export function signatureValid(r: HandoffRecord, publicKey: Uint8Array): boolean {
  let sig: Buffer;
  try {
    sig = decodeBase64Strict(r.signature, 'signature');
  } catch {
    return false;
  }
  return edVerify(publicKey, Buffer.from(canonicalSignable(r), 'utf8'), sig);
}

// ── size budget ─────────────────────────────────────────────────────────

/** The SignedPacket's DNS message must stay within this (pkarr, BEP44). */
export const MAX_DNS_PACKET = 1000;

/**
 * Size of the DNS response carrying the record as TXT `_cclink.<z32>`:
 * 12-byte header, owner name (1+7 "_cclink" + 1+52 z32 + root 0 = 62),
 * type/class/TTL/rdlength (10), and the JSON split into strings of at most
 * 254 bytes, each with a length byte.
 */
export function dnsPacketSize(jsonBytes: number): number {
  return 12 + 62 + 10 + jsonBytes + Math.max(1, Math.ceil(jsonBytes / 254));
}

/** The largest record JSON that fits (912 bytes, the figure cclink found empirically). */
export const MAX_RECORD_JSON = (() => {
  let n = MAX_DNS_PACKET;
  while (dnsPacketSize(n) > MAX_DNS_PACKET) n--;
  return n;
})();

/**
 * Refuse a record that cannot be published, saying what to shorten. The
 * hostname and project path travel inside the encrypted blob, where each
 * byte costs about 4/3 bytes of record (age overhead, then base64).
 */
export function checkRecordBudget(json: string, payload: Payload): void {
  const size = Buffer.byteLength(json, 'utf8');
  if (size <= MAX_RECORD_JSON) return;
  const over = size - MAX_RECORD_JSON;
  const shorten = Math.ceil((over * 3) / 4);
  const h = Buffer.byteLength(payload.h, 'utf8');
  const p = Buffer.byteLength(payload.p, 'utf8');
  const which = p >= h ? `the project path (${p} bytes)` : `the hostname (${h} bytes)`;
  throw new CliError(
    'ERR_RECORD_TOO_LARGE',
    `record is ${size} bytes, over the ${MAX_RECORD_JSON}-byte limit of a DNS packet by ${over}`,
    EXIT.FAILURE,
    `shorten ${which} by about ${shorten} bytes: hostname and project path are inside the encrypted blob and grow it`,
  );
}
