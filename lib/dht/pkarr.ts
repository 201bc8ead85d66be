/**
 * lib/dht/ — publishing and resolving signed records: PKARR packets on
 * Mainline, pkarr relays, HyperDHT records, bootstrap, private testnets.
 * May import identity/ (and through it cli/).
 *
 * PKARR SignedPacket (DESIGN.md §6): a DNS response packet signed as a BEP44
 * mutable item, plus the DNS-level operations a publisher needs (put one TXT
 * record in, take it out, keep every other record as it was).
 *
 *   bytes       = pubkey(32) | sig(64) | timestamp u64 BE µs (8) | DNS packet
 *   relay body  = sig(64) | timestamp(8) | DNS packet
 *   signed part = bencode({seq: timestamp, v: packet}) without the outer d…e
 *
 * Pure functions only: no network here, so every rule can be unit-tested.
 */
import bencode from 'bencode';
import dns, { type Answer, type Packet } from 'dns-packet';
import { CliError, EXIT, usageError } from '../cli/errors.ts';
import { sign, toZ32, verify, type Identity } from '../identity/identity.ts';

/** BEP44 caps `v` at 1000 bytes; nodes drop anything larger. */
export const MAX_DNS_BYTES = 1000;
/** A TXT character-string holds at most 255 bytes; dns-packet truncates silently past that. */
export const TXT_CHUNK = 254;
/** The record name used when --name is not given: `_cclink`, as cclink publishes. */
export const DEFAULT_NAME = '_cclink';
/** TTL in seconds written on TXT records we add (one day). */
export const RECORD_TTL = 86400;

/** A PKARR packet: public key, seq (µs timestamp), BEP44 signature and the encoded DNS packet `v`. */
export interface SignedPacket {
  publicKey: Uint8Array;
  /** The timestamp in microseconds, used as the BEP44 seq. */
  seq: number;
  sig: Uint8Array;
  /** The encoded DNS packet. */
  v: Uint8Array;
}

/** A SignedPacket whose signature verified, with its DNS packet decoded. */
export interface VerifiedPacket extends SignedPacket {
  dns: Packet;
}

/** The current time in microseconds, the seq of a new packet. */
export function nowMicros(): number {
  return Date.now() * 1000;
}

/** What BEP44 signs: `3:seqi<seq>e1:v<len>:<v>` (no salt). */
export function signable(seq: number, v: Uint8Array): Uint8Array {
  const encoded = bencode.encode({ seq, v });
  return encoded.subarray(1, encoded.length - 1);
}

/** Sign DNS packet bytes `v` at `seq` with the identity; throws when `v` exceeds MAX_DNS_BYTES or `seq` is not a safe non-negative integer. */
export function signPacket(id: Identity, v: Uint8Array, seq: number): SignedPacket {
  if (v.length > MAX_DNS_BYTES) throw tooLarge(v.length);
  if (!Number.isSafeInteger(seq) || seq < 0) throw new Error(`bad packet timestamp ${seq}`);
  return { publicKey: id.publicKey, seq, v, sig: sign(id, signable(seq, v)) };
}

/**
 * Check a packet as it came off the network. Returns the packet with its
 * decoded DNS, or the reason it must be ignored. Signatures are checked with
 * RFC 8032 rules (canonical S) through identity.verify (OpenSSL: no start-up
 * cost, unlike a pure-JS curve that precomputes tables on first use).
 */
export function verifyPacket(
  publicKey: Uint8Array,
  p: { k?: unknown; seq?: unknown; sig?: unknown; v?: unknown },
): VerifiedPacket | { reason: string } {
  // A node chooses the bencode types: a list of small integers signed by the key would
  // otherwise verify (bencode signs the list) and then be read as bytes nobody signed
  // (found by fuzz-pkarr-signed-packet). Byte strings only.
  if ((p.k !== undefined && !(p.k instanceof Uint8Array)) || !(p.sig instanceof Uint8Array) || !(p.v instanceof Uint8Array)) {
    return { reason: 'malformed packet' };
  }
  if (p.k && !sameBytes(p.k, publicKey)) return { reason: 'packet for another key' };
  if (typeof p.seq !== 'number' || !Number.isSafeInteger(p.seq) || p.seq < 0) return { reason: 'bad timestamp' };
  if (p.sig.length !== 64) return { reason: 'bad signature length' };
  if (p.v.length === 0) return { reason: 'empty packet' };
  if (p.v.length > MAX_DNS_BYTES) return { reason: `oversized packet (${p.v.length} bytes)` };
  if (!verify(publicKey, signable(p.seq, p.v), p.sig)) return { reason: 'bad signature' };
  let decoded: Packet;
  try {
    decoded = dns.decode(Buffer.from(p.v));
  } catch {
    return { reason: 'undecodable DNS packet' };
  }
  return { publicKey, seq: p.seq, sig: new Uint8Array(p.sig), v: new Uint8Array(p.v), dns: decoded };
}

/** Type guard: true when verifyPacket returned a packet, false when it returned a reason. */
export function isVerified(x: VerifiedPacket | { reason: string }): x is VerifiedPacket {
  return (x as VerifiedPacket).dns !== undefined;
}

/**
 * Most recent wins: higher timestamp; on a tie the larger packet (§6); on a
 * tie of both, the larger bytes, so every resolver picks the same one.
 */
export function compareRecency(a: { seq: number; v: Uint8Array }, b: { seq: number; v: Uint8Array }): number {
  if (a.seq !== b.seq) return a.seq > b.seq ? 1 : -1;
  if (a.v.length !== b.v.length) return a.v.length > b.v.length ? 1 : -1;
  return Buffer.compare(Buffer.from(a.v), Buffer.from(b.v));
}

/** The most recent item of `list` by compareRecency, or undefined for an empty list. */
export function mostRecent<T extends { seq: number; v: Uint8Array }>(list: T[]): T | undefined {
  let best: T | undefined;
  for (const p of list) if (!best || compareRecency(p, best) > 0) best = p;
  return best;
}

// ---- wire forms -----------------------------------------------------------

/** `sig | ts | v`, the pkarr relay body. */
export function toRelayBody(p: SignedPacket): Uint8Array {
  const out = Buffer.alloc(72 + p.v.length);
  out.set(p.sig, 0);
  out.writeBigUInt64BE(BigInt(p.seq), 64);
  out.set(p.v, 72);
  return out;
}

/** Parse and verify a pkarr relay body (`sig | ts | v`) against `publicKey`; returns the packet or the reason to ignore it. */
export function fromRelayBody(publicKey: Uint8Array, body: Uint8Array): VerifiedPacket | { reason: string } {
  if (body.length < 72) return { reason: `short relay body (${body.length} bytes)` };
  if (body.length > 72 + MAX_DNS_BYTES) return { reason: `oversized relay body (${body.length} bytes)` };
  const buf = Buffer.from(body);
  const ts = buf.readBigUInt64BE(64);
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) return { reason: 'bad timestamp' };
  return verifyPacket(publicKey, { seq: Number(ts), sig: buf.subarray(0, 64), v: buf.subarray(72) });
}

/** `pubkey | sig | ts | v`, the full SignedPacket bytes (pkarr's storage form). */
export function toBytes(p: SignedPacket): Uint8Array {
  return Buffer.concat([Buffer.from(p.publicKey), Buffer.from(toRelayBody(p))]);
}

/** Parse and verify full SignedPacket bytes (`pubkey | sig | ts | v`) against the key they carry; returns the packet or the reason to ignore it. */
export function fromBytes(bytes: Uint8Array): VerifiedPacket | { reason: string } {
  if (bytes.length < 104) return { reason: `short packet (${bytes.length} bytes)` };
  return fromRelayBody(bytes.subarray(0, 32), bytes.subarray(32));
}

// ---- DNS names -----------------------------------------------------------

const LABEL = /^[A-Za-z0-9_-]{1,63}$/;

/** Check a --name value: one or more DNS labels, relative to the key. */
export function checkName(name: string): string {
  const labels = name.split('.');
  if (name === '' || !labels.every((l) => LABEL.test(l)) || name.length > 180) {
    throw usageError(`bad record name '${name}'`, 'a name is one or more DNS labels of letters, digits, _ and -, such as _cclink or _cclink.work');
  }
  return name;
}

/** `_cclink` → `_cclink.<z32>`; the apex `@` → `<z32>`. */
export function fullName(name: string, publicKey: Uint8Array): string {
  const origin = toZ32(publicKey);
  if (name === '@' || name === '') return origin;
  return `${name}.${origin}`;
}

/** The name relative to the key, `@` for the apex (how records are shown). */
export function relativeName(full: string, publicKey: Uint8Array): string {
  const origin = toZ32(publicKey);
  const n = normal(full);
  if (n === origin) return '@';
  return n.endsWith(`.${origin}`) ? n.slice(0, -origin.length - 1) : n;
}

function normal(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

// ---- TXT records -----------------------------------------------------------

/** A DNS response packet with no records, the base of a key's first publish. */
export function emptyPacket(): Packet {
  return { id: 0, type: 'response', flags: 0, questions: [], answers: [], authorities: [], additionals: [] };
}

/** Split text into character-strings of at most 254 bytes. */
export function txtChunks(text: string): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += TXT_CHUNK) out.push(bytes.subarray(i, i + TXT_CHUNK));
  if (out.length === 0) out.push(Buffer.alloc(0));
  return out;
}

function isTxtNamed(a: Answer, full: string): boolean {
  return a.type === 'TXT' && normal(a.name) === normal(full) && (a.class ?? 'IN') === 'IN';
}

function txtText(a: Answer): string {
  const data = a.data;
  const parts = Array.isArray(data) ? data : [data];
  return Buffer.concat(parts.map((d) => (typeof d === 'string' ? Buffer.from(d) : Buffer.from(d as Uint8Array)))).toString('utf8');
}

/** The text of the first TXT record named `full` (character-strings joined). */
export function readTxt(packet: Packet, full: string): string | undefined {
  const a = (packet.answers ?? []).find((x) => isTxtNamed(x, full));
  return a ? txtText(a) : undefined;
}

/** One TXT record as listed: name relative to the key (`@` for the apex), TTL and its text. */
export interface TxtRecord {
  name: string;
  ttl: number;
  txt: string;
}

/** Every TXT record of the packet, names relative to the key. */
export function listTxt(packet: Packet, publicKey: Uint8Array): TxtRecord[] {
  return (packet.answers ?? [])
    .filter((a) => a.type === 'TXT')
    .map((a) => ({ name: relativeName(a.name, publicKey), ttl: a.ttl ?? 0, txt: txtText(a) }));
}

function clonePacket(p: Packet): Packet {
  return {
    id: 0,
    type: 'response',
    flags: p.flags ?? 0,
    questions: [...(p.questions ?? [])],
    answers: [...(p.answers ?? [])],
    authorities: [...(p.authorities ?? [])],
    additionals: [...(p.additionals ?? [])],
  };
}

/** The packet with the TXT records named `full` replaced by one holding `text`. */
export function setTxt(packet: Packet | undefined, full: string, text: string): Packet {
  const out = clonePacket(packet ?? emptyPacket());
  out.answers = out.answers!.filter((a) => !isTxtNamed(a, full));
  out.answers.push({ name: full, type: 'TXT', class: 'IN', ttl: RECORD_TTL, data: txtChunks(text) });
  return out;
}

/** The packet without the TXT records named `full` (every other record kept). */
export function removeTxt(packet: Packet, full: string): { packet: Packet; removed: number } {
  const out = clonePacket(packet);
  const before = out.answers!.length;
  out.answers = out.answers!.filter((a) => !isTxtNamed(a, full));
  return { packet: out, removed: before - out.answers.length };
}

/**
 * Encode a packet to publish, refusing one that would not read back as
 * itself. dns-packet re-encodes names as text, so a record another tool put
 * under the key with a label of odd bytes (invalid UTF-8, a dot inside) can
 * come out longer or split: a packet nobody can decode, which would take
 * every record of the key down with it (found by fuzz-dns-txt).
 */
export function encodeDns(packet: Packet): Uint8Array {
  let out: Uint8Array | undefined;
  let back: Uint8Array | undefined;
  try {
    out = new Uint8Array(dns.encode(packet));
    back = new Uint8Array(dns.encode(dns.decode(Buffer.from(out))));
  } catch {
    /* reported below */
  }
  if (!out || !back || !sameBytes(out, back)) {
    throw new CliError(
      'ERR_DNS_ENCODE',
      'cannot write the packet: a record already under this key does not survive re-encoding',
      EXIT.FAILURE,
      'cc-dht-get --all lists the records under the key; remove the odd one with the tool that wrote it',
    );
  }
  return out;
}

// ---- merging concurrent writes ---------------------------------------------

type RRSets = Map<string, { answers: Answer[]; wire: string }>;

/** Group answers by (name, type, class); `wire` compares sets by their encoding. */
function rrsets(p: Packet | undefined): RRSets {
  const sets: RRSets = new Map();
  for (const a of p?.answers ?? []) {
    const key = `${normal(a.name)}|${a.type}|${a.class ?? 'IN'}`;
    const set = sets.get(key) ?? { answers: [], wire: '' };
    set.answers.push(a);
    set.wire += dns.answer.encode(a).toString('hex') + ';';
    sets.set(key, set);
  }
  return sets;
}

/**
 * Three-way merge for CAS conflicts: start from `base` (the packet our change
 * was computed against) and replay, oldest first, what each newer packet
 * changed relative to it (record sets added, altered or dropped). Another
 * publisher's record then survives our write, and a record it removed stays
 * removed. The caller applies its own change on top.
 */
export function rebase(base: Packet | undefined, newer: Packet[]): Packet {
  const baseSets = rrsets(base);
  const cur: RRSets = new Map(baseSets);
  let latest = base;
  for (const n of newer) {
    const sets = rrsets(n);
    for (const [k, v] of sets) if (baseSets.get(k)?.wire !== v.wire) cur.set(k, v);
    for (const k of baseSets.keys()) if (!sets.has(k)) cur.delete(k);
    latest = n;
  }
  const out = clonePacket(latest ?? emptyPacket());
  out.answers = [...cur.values()].flatMap((s) => s.answers);
  return out;
}

// ---- size budget -------------------------------------------------------------

function tooLarge(size: number): CliError {
  return new CliError('ERR_RECORD_TOO_LARGE', `the DNS packet would be ${size} bytes, over the ${MAX_DNS_BYTES}-byte limit`, EXIT.FAILURE);
}

/**
 * Refuse, before any network traffic, a record whose packet would exceed
 * 1000 bytes, saying how much fits and what else takes room.
 */
export function checkBudget(withRecord: Packet, full: string, text: string, publicKey: Uint8Array): void {
  const size = dns.encodingLength(withRecord);
  if (size <= MAX_DNS_BYTES) return;
  const without = removeTxt(withRecord, full).packet;
  const fixed = dns.encodingLength(setTxt(without, full, '')) - 1; // one empty character-string = 1 length byte
  let fit = 0;
  while (fixed + (fit + 1) + Math.ceil((fit + 1) / TXT_CHUNK) <= MAX_DNS_BYTES) fit++;
  const textBytes = Buffer.byteLength(text, 'utf8');
  const others = (without.answers ?? []).map((a) => relativeName(a.name, publicKey));
  const otherBytes = dns.encodingLength(without) - dns.encodingLength(emptyPacket());
  const hint =
    others.length > 0
      ? `shorten the record (the sealed hostname and project path make up most of it), or remove other records under this key (${[...new Set(others)].join(', ')} take ${otherBytes} bytes)`
      : 'shorten the record: the sealed hostname and project path make up most of it';
  throw new CliError(
    'ERR_RECORD_TOO_LARGE',
    `record too large: the DNS packet would be ${size} bytes, over the ${MAX_DNS_BYTES}-byte limit (the record is ${textBytes} bytes, at most ${fit} fit)`,
    EXIT.FAILURE,
    hint,
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}
