/**
 * The mailbox (DESIGN.md §9): agents converse by files in the space's
 * store. A message is `mail/<H(space ‖ to)>/<ULID>`, an age file to the
 * recipient and the sender (its outbox copy) holding a signed envelope
 * `{from, to, space, thread, id, seq, reply_to, created, expires, parts}`.
 * A receiver delivers it only when the signature, addressee, space and
 * expiry check, the sender is a paired peer, the id is new and the per-pair
 * seq moves forward; a skipped seq is reported as a gap (a dropped
 * message). A message is text for the model, never an approval.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { configDir } from '../config.ts';
import { CliError, EXIT, usageError } from '../cli/errors.ts';
import { formatPubkey, parsePubkey, toZ32, x25519Public, x25519Secret, type Identity } from '../identity/identity.ts';
import { listPeers } from '../pair/peers.ts';
import { ensurePrivateDir, writeFileAtomic } from '../secure-file.ts';
import { stateDir } from '../config.ts';
import { checkSigner, openDoc, sealDoc } from './sealed-doc.ts';
import { mailTag } from './tags.ts';
import type { Store } from './store.ts';

/** Largest message text: a conversation turn, not a file transfer. */
export const MAX_MAIL_TEXT = 64 * 1024;
/** Default lifetime of a message. */
export const MAIL_TTL = 7 * 86400;

/** The signed envelope. */
export interface Envelope {
  v: 1;
  from: string;
  to: string;
  space: string;
  thread: string;
  id: string;
  seq: number;
  reply_to: string | null;
  created: number;
  expires: number;
  parts: { type: 'text'; text: string }[];
}

/** One line of `mail read`: a delivered message or a gap. */
export type MailLine =
  | { type: 'message'; id: string; from: string; from_name?: string; to: string; thread: string; seq: number; reply_to: string | null; created: number; text: string }
  | { type: 'gap'; from: string; from_name?: string; missing: [number, number]; before: string };

/** Something the receiver refused, for stderr. */
export interface Refusal {
  id: string;
  reason: string;
}

interface MailState {
  sent: Record<string, number>;
  recv: Record<string, number>;
  seen: string[];
}

function mailDir(space: string): string {
  return join(stateDir(), 'context', 'mail', space);
}

function readState(space: string): MailState {
  try {
    return JSON.parse(readFileSync(join(mailDir(space), 'state.json'), 'utf8')) as MailState;
  } catch {
    return { sent: {}, recv: {}, seen: [] };
  }
}

function writeState(space: string, s: MailState): void {
  writeFileAtomic(join(mailDir(space), 'state.json'), Buffer.from(JSON.stringify(s) + '\n'), { mode: 0o600, overwrite: true });
}

/**
 * Paired peers only: the personal peers.toml. A project's `.cckit/peers.toml`
 * merely introduces keys (DESIGN.md §7), so it is not read here (the cwd we
 * pass is the config dir, which has no `.cckit/` of its own).
 */
async function pairedPeers(): Promise<Map<string, string>> {
  const peers = await listPeers(join(configDir(), '.no-project'));
  const m = new Map<string, string>();
  for (const p of peers) {
    try {
      m.set(toZ32(parsePubkey(p.pubkey)), p.name);
    } catch {
      /* a malformed entry pairs nobody */
    }
  }
  return m;
}

/** Send `text` to `to` (raw key) through the space's store; returns the envelope. */
export async function sendMail(store: Store, space: string, me: Identity, to: Uint8Array, text: string, opts: { thread?: string; replyTo?: string; ttl?: number; now?: number } = {}): Promise<Envelope> {
  if (Buffer.byteLength(text, 'utf8') > MAX_MAIL_TEXT) throw usageError(`message too long (limit ${MAX_MAIL_TEXT} bytes)`, 'put large content in the shared folder and mail its path');
  if (text.trim() === '') throw usageError('empty message', 'pipe the text on stdin');
  const toZ = toZ32(to);
  const paired = await pairedPeers();
  if (!paired.has(toZ)) throw new CliError('ERR_CTX_UNPAIRED', `${formatPubkey(to)} is not a paired peer`, EXIT.AUTH, 'pair first (cc-pair) or add it to peers.toml');
  const state = readState(space);
  const seq = (state.sent[toZ] ?? 0) + 1;
  const nowMs = opts.now !== undefined ? opts.now * 1000 : Date.now();
  const now = Math.floor(nowMs / 1000);
  const id = ulid(nowMs); // to the millisecond: ids of one second were in random order
  const env: Envelope = {
    v: 1,
    from: toZ32(me.publicKey),
    to: toZ,
    space,
    thread: opts.thread ?? id,
    id,
    seq,
    reply_to: opts.replyTo ?? null,
    created: now,
    expires: now + (opts.ttl ?? MAIL_TTL),
    parts: [{ type: 'text', text }],
  };
  await store.write(`mail/${mailTag(space, toZ)}/${id}`, sealDoc('mail', env, me, [x25519Public(to), x25519Public(me.publicKey)]));
  state.sent[toZ] = seq;
  writeState(space, state);
  return env;
}

/** Check one mail file; returns the envelope or why it is refused. */
function checkMail(file: Uint8Array, name: string, space: string, me: Identity, paired: Map<string, string>, now: number): Envelope | string {
  let doc;
  try {
    doc = openDoc(file, [x25519Secret(me.seed)], `message ${name}`, 'mail');
  } catch (err) {
    return (err as Error).message;
  }
  const e = doc.body as unknown as Envelope;
  if (e.v !== 1 || typeof e.from !== 'string' || typeof e.id !== 'string' || !Number.isSafeInteger(e.seq) || !Array.isArray(e.parts)) return 'malformed envelope';
  let from: Uint8Array;
  try {
    from = parsePubkey(e.from);
  } catch {
    return 'malformed sender';
  }
  try {
    checkSigner(doc, from, `message ${name}`);
  } catch {
    return 'bad signature';
  }
  if (e.to !== toZ32(me.publicKey)) return 'addressed to someone else';
  if (e.space !== space) return 'from another space';
  if (e.id !== name) return 'filed under another id (replayed?)';
  if (!paired.has(e.from)) return `from an unpaired key ${formatPubkey(from)}: not delivered`;
  if (typeof e.expires !== 'number' || e.expires < now) return 'expired';
  if (typeof e.created !== 'number' || e.created > now + 300) return 'dated in the future';
  return e;
}

/**
 * Fetch new mail for `me`, verify it, and append what is delivered to the
 * local inbox. Returns all inbox lines after `since` (a message id) and the
 * refusals of this run.
 */
export async function readMail(store: Store, space: string, me: Identity, opts: { since?: string; now?: number } = {}): Promise<{ lines: MailLine[]; refused: Refusal[] }> {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const state = readState(space);
  const seen = new Set(state.seen);
  const paired = await pairedPeers();
  const keys = await store.list(`mail/${mailTag(space, toZ32(me.publicKey))}`);
  const refused: Refusal[] = [];
  const fresh: Envelope[] = [];
  for (const key of keys) {
    const name = key.slice(key.lastIndexOf('/') + 1);
    if (seen.has(name) || !/^[0-9A-HJKMNP-TV-Z]{26}$/.test(name)) continue;
    const file = await store.read(key);
    if (!file) continue;
    const r = checkMail(file, name, space, me, paired, now);
    if (typeof r === 'string') {
      refused.push({ id: name, reason: r });
      // Refused for good (not expiry-in-the-future): remember, so it is not reported on every read.
      seen.add(name);
      continue;
    }
    fresh.push(r);
  }
  fresh.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.seq - b.seq));
  const dir = mailDir(space);
  ensurePrivateDir(dir);
  const inbox = join(dir, 'inbox.ndjson');
  for (const e of fresh) {
    const last = state.recv[e.from] ?? 0;
    seen.add(e.id);
    if (e.seq <= last) {
      refused.push({ id: e.id, reason: `replayed (seq ${e.seq} from ${formatPubkey(parsePubkey(e.from))} was already delivered)` });
      continue;
    }
    const name = paired.get(e.from);
    const out: MailLine[] = [];
    if (e.seq > last + 1) out.push({ type: 'gap', from: formatPubkey(parsePubkey(e.from)), ...(name ? { from_name: name } : {}), missing: [last + 1, e.seq - 1], before: e.id });
    out.push({
      type: 'message',
      id: e.id,
      from: formatPubkey(parsePubkey(e.from)),
      ...(name ? { from_name: name } : {}),
      to: formatPubkey(parsePubkey(e.to)),
      thread: String(e.thread),
      seq: e.seq,
      reply_to: e.reply_to ?? null,
      created: e.created,
      text: e.parts.filter((p) => p && p.type === 'text' && typeof p.text === 'string').map((p) => p.text).join('\n'),
    });
    state.recv[e.from] = e.seq;
    appendFileSync(inbox, out.map((l) => JSON.stringify(l) + '\n').join(''), { mode: 0o600 });
  }
  state.seen = [...seen];
  writeState(space, state);
  let lines: MailLine[] = [];
  try {
    lines = readFileSync(inbox, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as MailLine);
  } catch {
    lines = [];
  }
  const since = opts.since;
  if (since !== undefined) {
    // After that message in this inbox (appended in the order delivered): a sender's clock, behind
    // or ahead, does not hide a later message. An id not in the inbox compares as a time.
    const at = lines.findIndex((l) => l.type === 'message' && l.id === since);
    lines = at >= 0 ? lines.slice(at + 1) : lines.filter((l) => (l.type === 'message' ? l.id : l.before) > since);
  }
  return { lines, refused };
}
