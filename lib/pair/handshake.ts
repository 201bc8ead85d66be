/**
 * The pairing handshake over one lib/net channel (DESIGN.md §7): CPace with
 * the Noise handshake hash as sid and both Noise keys in CI, key
 * confirmation (the inviter's tag first), then each side's identity bound
 * to this run by a signature. The joiner dials and is CPace's initiator.
 *
 *   joiner → {v:1, t:"pake", Y}            inviter → {v:1, t:"pake", Y, T: Tb}
 *   joiner → {v:1, t:"confirm", T: Ta}, {v:1, t:"id", name, pubkey, addrs, sig}
 *   inviter → {v:1, t:"id", …}             joiner → {v:1, t:"done"}
 *   either → {v:1, t:"abort", error}       (wrong code, bad binding)
 *
 * Nothing here stores anything: the caller stores the verified peer.
 */
import { createHmac } from 'node:crypto';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import type { Channel, Message } from '../net/node.ts';
import { authError, CliError } from '../cli/errors.ts';
import { formatPubkey, parsePubkey, signBesideDht, verifyBesideDht, type Identity } from '../identity/identity.ts';
import { cpaceStart, cpaceFinish, lvCat, tagsEqual } from './cpace.ts';
import type { PairSecret } from './code.ts';

const enc = new TextEncoder();

/**
 * HKDF-SHA512 (RFC 5869) for at most one block (64 bytes): extract, then
 * one expand step, on node's native HMAC. The same bytes as hkdfSync (a test
 * holds them to it), which costs ~4x as much per call on pairing's path.
 */
export function hkdfSha512(ikm: Uint8Array, salt: Uint8Array, info: string, len: number): Uint8Array {
  if (len > 64) throw new RangeError('hkdfSha512 gives at most 64 bytes');
  const prk = createHmac('sha512', salt).update(ikm).digest();
  const okm = createHmac('sha512', prk).update(info).update(new Uint8Array([1])).digest();
  prk.fill(0);
  const out = new Uint8Array(okm.subarray(0, len));
  okm.fill(0);
  return out;
}
/** Each step of the handshake must arrive within this long. */
export const STEP_TIMEOUT_MS = 30_000;
const AD_JOIN = enc.encode('cckit-pair/1;join');
const AD_INVITE = enc.encode('cckit-pair/1;invite');

export type Role = 'join' | 'invite';

/** What we tell the other side about ourselves. */
export interface Me {
  identity: Identity;
  /** The name we suggest the peer stores us under (our hostname). */
  name: string;
  addrs: string[];
}

/** A peer whose identity was verified in this run. */
export interface VerifiedPeer {
  /** The peer's suggested name, made safe (letters, digits, . _ -). */
  name: string;
  pubkey: string;
  addrs: string[];
  /** Three words both sides derive from the session key (--verify). */
  verifier: string[];
}

/** CI = lv_cat("cckit/pair/v1", noisePk_joiner, noisePk_inviter). */
export function channelIdentifier(joinerNoisePk: Uint8Array, inviterNoisePk: Uint8Array): Uint8Array {
  return lvCat(enc.encode('cckit/pair/v1'), joinerNoisePk, inviterNoisePk);
}

/** HKDF-SHA512(ISK, sid, "cckit/pair/v1/binder"): the same for both roles, so each side derives it once. */
function binderOf(sid: Uint8Array, isk: Uint8Array): Uint8Array {
  return hkdfSha512(isk, sid, 'cckit/pair/v1/binder', 64);
}

function bindingMessageOf(role: Role, sid: Uint8Array, binder: Uint8Array): Uint8Array {
  return lvCat(enc.encode('cckit/pair/v1/bind'), enc.encode(role), sid, binder);
}

/** What a binding signature covers: lv_cat("cckit/pair/v1/bind", role, sid, HKDF-SHA512(ISK, sid, "cckit/pair/v1/binder")). */
export function bindingMessage(role: Role, sid: Uint8Array, isk: Uint8Array): Uint8Array {
  return bindingMessageOf(role, sid, binderOf(sid, isk));
}

/** Three BIP-39 words from HKDF(ISK, sid, "cckit/pair/v1/verifier"): the same on both screens. */
export function verifierWords(sid: Uint8Array, isk: Uint8Array): string[] {
  const b = hkdfSha512(isk, sid, 'cckit/pair/v1/verifier', 5);
  const bits = (BigInt(b[0]) << 32n) | (BigInt(b[1]) << 24n) | (BigInt(b[2]) << 16n) | (BigInt(b[3]) << 8n) | BigInt(b[4]);
  return [Number((bits >> 29n) & 0x7ffn), Number((bits >> 18n) & 0x7ffn), Number((bits >> 7n) & 0x7ffn)].map((i) => wordlist[i]);
}

/** A name a peer suggested, reduced to what peers.toml accepts (or "peer"). */
export function safeName(s: unknown): string {
  const clean = typeof s === 'string' ? s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 32) : '';
  return clean === '' || /^[ybndrfg8ejkmcpqxot1uwisza345h769]{52}$/i.test(clean) ? 'peer' : clean;
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

function bytesField(m: Message, field: string, len: number): Uint8Array {
  const v = m[field];
  if (typeof v !== 'string' || v.length > 200 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw protocolError(`bad ${field}`);
  const b = new Uint8Array(Buffer.from(v, 'base64'));
  if (b.length !== len) throw protocolError(`bad ${field}`);
  return b;
}

function protocolError(what: string): CliError {
  return authError('ERR_PAIR_PROTOCOL', `the peer broke the pairing protocol (${what})`);
}

const wrongCode = () => authError('ERR_WRONG_CODE', 'wrong code', 'check the code on the other screen and try again (each attempt is one guess)');

/** Wait for a message of type `t`; an abort or any other message is an error. */
async function expect(ch: Channel, t: string): Promise<Message> {
  const m = await ch.next(STEP_TIMEOUT_MS, `the peer's ${t}`);
  if (m.v !== 1) throw protocolError('unknown version');
  if (m.t === 'abort') {
    if (m.error === 'wrong code') throw wrongCode();
    throw authError('ERR_PAIR_ABORTED', 'the peer aborted the pairing');
  }
  if (m.t !== t) throw protocolError(`expected ${t}`);
  return m;
}

async function abort(ch: Channel, error: string): Promise<void> {
  await ch.send({ v: 1, t: 'abort', error }).catch(() => {});
}

function idMessage(me: Me, role: Role, sid: Uint8Array, binder: Uint8Array): Message {
  return { v: 1, t: 'id', name: me.name, pubkey: formatPubkey(me.identity.publicKey), addrs: me.addrs, sig: b64(signBesideDht(me.identity, bindingMessageOf(role, sid, binder))) };
}

/** Check the other side's id message: its signature must bind its key to this run (`binder` from this run's ISK). */
function verifyIdentity(m: Message, role: Role, sid: Uint8Array, binder: Uint8Array): Omit<VerifiedPeer, 'verifier'> {
  if (typeof m.pubkey !== 'string' || m.pubkey.length > 120) throw protocolError('bad pubkey');
  let key: Uint8Array;
  try {
    key = parsePubkey(m.pubkey);
  } catch {
    throw protocolError('bad pubkey');
  }
  const sig = bytesField(m, 'sig', 64);
  if (!verifyBesideDht(key, bindingMessageOf(role, sid, binder), sig)) {
    throw authError('ERR_PAIR_BINDING', "the peer's identity does not match this pairing (bad binding signature)", 'someone may be in the middle; pair again and compare with --verify');
  }
  const addrs = Array.isArray(m.addrs) ? m.addrs.filter((a): a is string => typeof a === 'string' && a.length < 100 && /^[\x20-\x7e]+$/.test(a)).slice(0, 8) : [];
  return { name: safeName(m.name), pubkey: formatPubkey(key), addrs };
}

function sessionParams(ch: Channel, secret: PairSecret, role: Role) {
  const sid = ch.handshakeHash;
  const [joinerPk, inviterPk] = role === 'join' ? [ch.publicKey, ch.remotePublicKey] : [ch.remotePublicKey, ch.publicKey];
  return { sid, ci: channelIdentifier(joinerPk, inviterPk), prs: secret.prs };
}

/** The joiner's side over a dialled channel. Throws ERR_WRONG_CODE (exit 4) when the tags disagree. */
export async function joinHandshake(ch: Channel, secret: PairSecret, me: Me): Promise<VerifiedPeer> {
  const { sid, ci, prs } = sessionParams(ch, secret, 'join');
  const own = cpaceStart(prs, ci, sid);
  const Ya = own.Y;
  await ch.send({ v: 1, t: 'pake', Y: b64(Ya) });
  const reply = await expect(ch, 'pake');
  const Yb = bytesField(reply, 'Y', 32);
  const Tb = bytesField(reply, 'T', 64);
  let keys;
  try {
    keys = cpaceFinish(own, Yb, 'initiator', AD_JOIN, AD_INVITE, sid);
  } catch (err) {
    await abort(ch, 'bad point');
    throw err;
  }
  if (!tagsEqual(keys.Tb, Tb)) {
    keys.isk.fill(0);
    await abort(ch, 'wrong code');
    throw wrongCode();
  }
  // All this run needs of the ISK, derived once: the binder both signatures cover, the verifier words.
  const binder = binderOf(sid, keys.isk);
  const verifier = verifierWords(sid, keys.isk);
  keys.isk.fill(0);
  // The confirmation and our id go out in one write: the inviter still checks Ta first.
  await ch.send({ v: 1, t: 'confirm', T: b64(keys.Ta) }, idMessage(me, 'join', sid, binder));
  let peer;
  try {
    peer = verifyIdentity(await expect(ch, 'id'), 'invite', sid, binder);
  } catch (err) {
    if ((err as CliError).code === 'ERR_PAIR_BINDING') await abort(ch, 'bad binding');
    throw err;
  } finally {
    binder.fill(0);
  }
  await ch.send({ v: 1, t: 'done' });
  return { ...peer, verifier };
}

/**
 * The inviter's side over an accepted channel. Throws ERR_WRONG_CODE when the
 * joiner's tag (or abort) says so; sets `state.guessed` once the joiner has
 * had its one guess (any failure after that counts against the invite).
 */
export async function inviteHandshake(ch: Channel, secret: PairSecret, me: Me, state: { guessed: boolean } = { guessed: false }): Promise<VerifiedPeer> {
  const { sid, ci, prs } = sessionParams(ch, secret, 'invite');
  // Our share needs only the channel (sid, CI), not the joiner's: compute it
  // while the joiner's is on its way, off the critical path.
  const own = cpaceStart(prs, ci, sid);
  const Yb = own.Y;
  let Ya: Uint8Array;
  try {
    Ya = bytesField(await expect(ch, 'pake'), 'Y', 32);
  } catch (err) {
    own.y.fill(0);
    throw err;
  }
  const keys = cpaceFinish(own, Ya, 'responder', AD_JOIN, AD_INVITE, sid);
  // From here on the joiner can test one guess of the code: it counts as an attempt.
  state.guessed = true;
  await ch.send({ v: 1, t: 'pake', Y: b64(Yb), T: b64(keys.Tb) });
  // All this run needs of the ISK, derived once (see joinHandshake).
  const binder = binderOf(sid, keys.isk);
  const verifier = verifierWords(sid, keys.isk);
  keys.isk.fill(0);
  let peer;
  let mine: Message;
  try {
    // Signed while the joiner's answer is on its way; sent only once the joiner
    // has proved the code (Ta) and its own identity: no one without the words
    // learns who we are.
    mine = idMessage(me, 'invite', sid, binder);
    const confirm = await expect(ch, 'confirm');
    if (!tagsEqual(bytesField(confirm, 'T', 64), keys.Ta)) {
      await abort(ch, 'wrong code');
      throw wrongCode();
    }
    peer = verifyIdentity(await expect(ch, 'id'), 'join', sid, binder);
  } finally {
    binder.fill(0);
  }
  await ch.send(mine);
  const done = await ch.next(STEP_TIMEOUT_MS, "the joiner's confirmation");
  if (done.v !== 1 || done.t !== 'done') {
    throw done.t === 'abort' ? authError('ERR_PAIR_BINDING', 'the joiner rejected our identity (binding check failed on its side)') : protocolError('expected done');
  }
  return { ...peer, verifier };
}

