/**
 * Pairing codes and links (DESIGN.md §7). A code `NNNN-w1-w2-w3`: the
 * nameplate NNNN (1000–9999) is public and only finds the inviter; the three
 * BIP-39 English words (33 bits, unique in their first 4 letters) are the
 * secret and never leave this process except as CPace's password. A link
 * `cckit://pair#v1.<z32 of 32 random bytes>` carries its secret in the
 * fragment and names no address.
 */
import { randomInt, randomBytes } from 'node:crypto';
import { blake2b } from '@noble/hashes/blake2.js';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import z32 from 'z32';
import { CliError, EXIT, usageError } from '../cli/errors.ts';

/** What a joiner needs: where to meet (topic) and the password for CPace (PRS). */
export interface PairSecret {
  kind: 'code' | 'link';
  /** The rendezvous topic T (32 bytes): the only thing derived from the input that is published. */
  topic: Uint8Array;
  /** CPace's PRS: the normalized code, or the link's 32 secret bytes. */
  prs: Uint8Array;
  /** For codes: the public nameplate. */
  nameplate?: string;
}

const enc = new TextEncoder();
const LINK_PREFIX = 'cckit://pair#v1.';

/** T = BLAKE2b-256(key "cckit/pair/v1/topic", nameplate). */
export function codeTopic(nameplate: string): Uint8Array {
  return blake2b(enc.encode(nameplate), { key: enc.encode('cckit/pair/v1/topic'), dkLen: 32 });
}

/** T = BLAKE2b-256(key "cckit/pair/v1/link-topic", secret). */
export function linkTopic(secret: Uint8Array): Uint8Array {
  return blake2b(secret, { key: enc.encode('cckit/pair/v1/link-topic'), dkLen: 32 });
}

/** A fresh code: a random nameplate and three random words. */
export function generateCode(): { code: string; secret: PairSecret } {
  const nameplate = String(randomInt(1000, 10000));
  const words = [0, 1, 2].map(() => wordlist[randomInt(0, wordlist.length)]);
  const code = `${nameplate}-${words.join('-')}`;
  return { code, secret: { kind: 'code', topic: codeTopic(nameplate), prs: enc.encode(code), nameplate } };
}

/** A fresh link and its secret. */
export function generateLink(): { link: string; secret: PairSecret } {
  const bytes = new Uint8Array(randomBytes(32));
  return { link: LINK_PREFIX + z32.encode(bytes), secret: { kind: 'link', topic: linkTopic(bytes), prs: bytes } };
}

/** The one word a (possibly shortened) entry stands for; usage error when none or several. */
export function completeWord(entry: string): string {
  const w = entry.toLowerCase();
  if (wordlist.includes(w)) return w;
  const matches = w.length === 0 ? [] : wordlist.filter((x) => x.startsWith(w));
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) throw usageError(`'${visibleShort(entry)}' is not one of the code's words`, 'a code looks like 4821-acid-mango-lamp');
  throw usageError(`'${visibleShort(entry)}' could be ${matches.slice(0, 4).join(', ')}${matches.length > 4 ? ', …' : ''}`, 'type more letters of the word (4 are always enough)');
}

/** Word completions for a prefix (Tab on the terminal). */
export function wordsStartingWith(prefix: string): string[] {
  const p = prefix.toLowerCase();
  return wordlist.filter((w) => w.startsWith(p));
}

/**
 * Tab completion of the code being typed (`4821-ac` → `acid-`): the word at
 * the end of the line, and the full words it could be. A unique word gets a
 * dash after it while more words are to come; nothing is offered for the
 * nameplate, an empty word or a link. `nameplateGiven`: the words alone are typed.
 */
export function completeCodeLine(line: string, nameplateGiven = false): { word: string; candidates: string[] } {
  const word = /[a-z]*$/i.exec(line)?.[0] ?? '';
  if (word === '' || line.trimStart().toLowerCase().startsWith('cckit:')) return { word, candidates: [] };
  const before = line.slice(0, line.length - word.length).split(/[\s-]+/).filter((x) => x !== '');
  const wordsBefore = before.filter((x) => !/^\d+$/.test(x)).length;
  if (!nameplateGiven && !before.some((x) => /^\d+$/.test(x))) return { word, candidates: [] }; // the nameplate comes first
  const candidates = wordsStartingWith(word);
  if (candidates.length === 1 && wordsBefore < 2) return { word, candidates: [`${candidates[0]}-`] };
  return { word, candidates };
}

function visibleShort(s: string): string {
  const v = s.replace(/[\x00-\x1f\x7f]/g, (c) => '^' + String.fromCharCode((c.charCodeAt(0) + 64) & 0x7f));
  return v.length > 40 ? v.slice(0, 37) + '...' : v;
}

/**
 * Parse what a joiner typed or piped: a link, a full code, or (with a
 * nameplate already given) just the words. Word prefixes are accepted.
 */
export function parsePairInput(input: string, nameplate?: string): PairSecret {
  const s = input.trim();
  if (s.toLowerCase().startsWith('cckit://')) return parseLink(s);
  const parts = s.toLowerCase().split(/[\s-]+/).filter((x) => x !== '');
  if (nameplate !== undefined && !/^\d+$/.test(parts[0] ?? '')) parts.unshift(nameplate);
  if (parts.length === 0) throw usageError('empty pairing code', 'a code looks like 4821-acid-mango-lamp');
  const np = parts[0];
  if (!/^[1-9]\d{3}$/.test(np)) {
    throw usageError(`'${visibleShort(np)}' is not a nameplate (4 digits, 1000-9999)`, 'a code looks like 4821-acid-mango-lamp');
  }
  if (nameplate !== undefined && np !== nameplate) throw usageError(`the code's nameplate ${np} is not ${nameplate}`);
  if (parts.length !== 4) throw usageError(`a code has 3 words after the nameplate, got ${parts.length - 1}`, 'a code looks like 4821-acid-mango-lamp');
  const words = parts.slice(1).map(completeWord);
  const code = `${np}-${words.join('-')}`;
  return { kind: 'code', topic: codeTopic(np), prs: enc.encode(code), nameplate: np };
}

/** Parse `cckit://pair#v1.<z32>`; anything else is a usage error. */
export function parseLink(input: string): PairSecret {
  const s = input.trim();
  if (!s.startsWith(LINK_PREFIX)) {
    throw usageError('not a cckit pairing link', 'a link looks like cckit://pair#v1.<52 letters and digits>');
  }
  const z = s.slice(LINK_PREFIX.length);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(z32.decode(z));
  } catch {
    throw new CliError('ERR_BAD_LINK', 'the pairing link is damaged', EXIT.USAGE, 'copy the whole link again');
  }
  if (!/^[ybndrfg8ejkmcpqxot1uwisza345h769]{52}$/.test(z) || bytes.length !== 32) {
    throw new CliError('ERR_BAD_LINK', 'the pairing link is damaged', EXIT.USAGE, 'copy the whole link again');
  }
  return { kind: 'link', topic: linkTopic(bytes), prs: bytes };
}

/** Validate a nameplate given on the command line (`cc-pair join 4821`). */
export function checkNameplate(np: string): string {
  if (!/^[1-9]\d{3}$/.test(np)) throw usageError(`'${visibleShort(np)}' is not a nameplate (4 digits, 1000-9999)`, 'only the number may be given as an argument; the words are read from the terminal, CCKIT_PAIR_CODE or stdin');
  return np;
}
