/**
 * Pairing without a code (DESIGN.md §7 "other mechanisms"): the two sides
 * already dialled each other by identity key, so Noise IK has authenticated
 * both keys; what is left is for a person on each side to approve, seeing
 * the other's name, fingerprint and 3 short-authentication words derived
 * from the handshake hash (the same on both screens only without a man in
 * the middle).
 *
 *   both → {v:1, t:"hello", name}     both → {v:1, t:"decision", ok}
 */
import { blake2b } from '@noble/hashes/blake2.js';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import type { Channel } from '../net/node.ts';
import { authError, CliError, EXIT } from '../cli/errors.ts';
import { askYesNo, hasTty, tellPerson } from '../cli/tty.ts';
import { fingerprint, formatPubkey } from '../identity/identity.ts';
import { safeName, STEP_TIMEOUT_MS } from './handshake.ts';

/** Three words from the Noise handshake hash (the same on both ends of one connection). */
export function sasWords(handshakeHash: Uint8Array): string[] {
  const h = blake2b(handshakeHash, { key: new TextEncoder().encode('cckit/pair/v1/sas'), dkLen: 5 });
  const bits = (BigInt(h[0]) << 32n) | (BigInt(h[1]) << 24n) | (BigInt(h[2]) << 16n) | (BigInt(h[3]) << 8n) | BigInt(h[4]);
  return [Number((bits >> 29n) & 0x7ffn), Number((bits >> 18n) & 0x7ffn), Number((bits >> 7n) & 0x7ffn)].map((i) => wordlist[i]);
}

/** What a person is asked to approve. */
export interface Introduction {
  /** The name the other side suggests (made safe). */
  name: string;
  pubkey: string;
  fingerprint: string;
  sas: string[];
}

/** A person's yes or no (a terminal prompt, or an explicit policy). */
export type Approver = (who: Introduction) => Promise<boolean>;

/**
 * Exchange names, ask `approve`, exchange decisions. Resolves with the
 * introduction when both sides said yes; exit 4 when either said no.
 */
export async function introduce(ch: Channel, ownName: string, approve: Approver, timeoutMs = STEP_TIMEOUT_MS * 10): Promise<Introduction> {
  await ch.send({ v: 1, t: 'hello', name: ownName });
  const hello = await ch.next(STEP_TIMEOUT_MS, "the peer's hello");
  if (hello.v !== 1 || hello.t !== 'hello') throw authError('ERR_PAIR_PROTOCOL', 'the peer broke the pairing protocol (expected hello)');
  const who: Introduction = {
    name: safeName(hello.name),
    pubkey: formatPubkey(ch.remotePublicKey),
    fingerprint: fingerprint(ch.remotePublicKey),
    sas: sasWords(ch.handshakeHash),
  };
  const theirs = ch.next(timeoutMs, "the other side's approval");
  theirs.catch(() => {});
  const ours = await approve(who);
  await ch.send({ v: 1, t: 'decision', ok: ours });
  if (!ours) throw authError('ERR_PAIR_REJECTED', 'not approved here: nothing stored');
  const d = await theirs;
  if (d.v !== 1 || d.t !== 'decision') throw authError('ERR_PAIR_PROTOCOL', 'the peer broke the pairing protocol (expected decision)');
  if (d.ok !== true) throw authError('ERR_PAIR_REJECTED', 'the other side did not approve: nothing stored');
  return who;
}

/** Ask the person at the terminal; `source` says where the key came from (a project file, a tailnet). */
export function terminalApprover(source: string): Approver {
  return async (who) => {
    tellPerson(
      `\nPairing request from ${who.name} (${who.fingerprint}), ${source}\n` +
        `  key:   ${who.pubkey}\n` +
        `  words: ${who.sas.join(' ')}   (the other screen must show the same 3 words)\n`,
    );
    return askYesNo('Pair with this peer?');
  };
}

/** Refuse early when a person must approve but there is no terminal to ask on. */
export function requireApprovalTerminal(): void {
  if (!hasTty()) {
    throw new CliError('ERR_NO_TTY', 'pairing needs your approval but there is no terminal to ask on', EXIT.USAGE, 'run it in a terminal (a person approves each pairing on both sides)');
  }
}
