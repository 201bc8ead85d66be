/**
 * lib/age/ — age v1 files: header, STREAM payload, armor, raw sealing.
 * May import identity/ (and through it cli/).
 *
 * age v1 files (https://age-encryption.org/v1) with node:crypto: X25519
 * recipient stanzas, the header and its MAC, and the STREAM payload
 * (ChaCha20-Poly1305 over 64 KiB chunks). Used for record blobs (in memory)
 * and for raw files of any size (streamed by lib/age/raw.ts).
 *
 * Why native rather than typage (npm age-encryption): start-up and
 * throughput are the product. typage's pure-JS X25519 costs ~25 ms per
 * operation on a cold start and its ChaCha20-Poly1305 runs at ~0.07x Go age;
 * OpenSSL through node:crypto does an X25519 in ~0.2 ms and seals 64 KiB
 * chunks at Go's speed. typage stays the oracle in the tests and writes the
 * header for recipient types we do not implement (post-quantum, tag).
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { CliError, EXIT } from '../cli/errors.ts';
import { x25519Ephemeral, x25519PrivateKey, x25519PublicKey, x25519RawPublic, x25519PublicOf } from '../identity/ed25519.ts';

/** The first line of every age v1 header, newline included. */
export const INTRO = 'age-encryption.org/v1\n';
/** Plaintext bytes per STREAM chunk (64 KiB); only the last chunk may be shorter. */
export const CHUNK_SIZE = 64 * 1024;
/** Poly1305 tag bytes added to each sealed chunk and each wrapped file key. */
export const TAG_SIZE = 16;
/** Bytes of a full sealed STREAM chunk: CHUNK_SIZE of plaintext plus its tag. */
export const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
/** Bytes of the random nonce between header and payload, the HKDF salt of the payload key. */
export const PAYLOAD_NONCE_SIZE = 16;
/** Bytes of the random per-file key that each recipient stanza wraps. */
export const FILE_KEY_SIZE = 16;
/** Headers are tiny (about 100 bytes per recipient); past this, the input is not a sane age file. */
export const MAX_HEADER_SIZE = 1 << 20;

const X25519_LABEL = Buffer.from('age-encryption.org/v1/X25519');
const ZERO_NONCE = Buffer.alloc(12);
const B64_NOPAD = /^[A-Za-z0-9+/]*$/;

/** One header recipient stanza: its arguments (type first, e.g. ["X25519", share]) and its decoded body. */
export interface Stanza {
  args: string[];
  body: Buffer;
}

/** Integrity failures are exit 4: the file was tampered with, truncated or is not for us. */
export function integrityError(code: string, message: string, hint?: string): CliError {
  return new CliError(code, message, EXIT.AUTH, hint);
}

// ── encodings ────────────────────────────────────────────────────────────

function b64nopad(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '');
}

/** age requires canonical unpadded base64: reject anything that does not round-trip. */
export function unb64nopad(text: string, what: string): Buffer {
  const bytes = B64_NOPAD.test(text) ? Buffer.from(text, 'base64') : undefined;
  if (!bytes || b64nopad(bytes) !== text) throw badHeader(`${what} is not canonical base64`);
  return bytes;
}

export function badHeader(why: string): CliError {
  return integrityError('ERR_AGE_HEADER', `invalid age header: ${why}`, 'the file is corrupt, truncated or was tampered with');
}

// ── X25519 ───────────────────────────────────────────────────────────────

/** The X25519 public key of a raw secret scalar (clamped, as age does). */
export const x25519PublicFromSecret = x25519PublicOf;

/**
 * The last peer key as a KeyObject: sealing thousands of objects to one
 * recipient (cc-context) would otherwise parse the same key every time.
 */
let lastPeer: { raw: Buffer; key: KeyObject } | undefined;

function peerKey(peer: Uint8Array): KeyObject {
  if (!lastPeer || !lastPeer.raw.equals(peer)) lastPeer = { raw: Buffer.from(peer), key: x25519PublicKey(peer) };
  return lastPeer.key;
}

/** X25519 shared secret; a low-order peer point gives all zeros, which age forbids. */
function sharedSecret(priv: KeyObject, peer: Uint8Array): Buffer | null {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: priv, publicKey: peerKey(peer) });
  } catch {
    return null; // OpenSSL refuses low-order points itself
  }
  return shared.every((b) => b === 0) ? null : shared;
}

function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array | string, len = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, len));
}

function aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Buffer {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
  const out = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
  return out;
}

/** Decrypt and authenticate; null when the tag does not verify. */
export function aeadOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Buffer | null {
  if (sealed.length < TAG_SIZE) return null;
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
  d.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  const pt = d.update(sealed.subarray(0, sealed.length - TAG_SIZE));
  try {
    d.final();
  } catch {
    pt.fill(0);
    return null;
  }
  return pt;
}

/** The X25519 stanza for one recipient (age spec: ephemeral share, HKDF, ChaCha20-Poly1305). */
export function wrapX25519(fileKey: Uint8Array, recipient: Uint8Array): Stanza {
  if (recipient.length !== 32) throw new CliError('ERR_BAD_RECIPIENT', 'an X25519 recipient must be 32 bytes');
  const eph = x25519Ephemeral(); // not generateKeyPairSync: see lib/identity/ed25519.ts
  const share = eph.publicKey;
  const shared = sharedSecret(eph.privateKey, recipient);
  if (!shared) throw new CliError('ERR_BAD_RECIPIENT', 'recipient key is a low-order point', EXIT.USAGE);
  const wrapKey = hkdf(shared, Buffer.concat([share, recipient]), X25519_LABEL);
  const body = aeadSeal(wrapKey, ZERO_NONCE, fileKey);
  shared.fill(0);
  wrapKey.fill(0);
  return { args: ['X25519', b64nopad(share)], body };
}

/** An X25519 identity: the secret scalar and its public key (needed in the HKDF salt). */
export interface X25519Identity {
  key: KeyObject;
  publicKey: Buffer;
}

/** An X25519Identity from a raw 32-byte X25519 secret (as from x25519Secret or derivePinKey); the public key is computed once here. */
export function x25519Identity(secret: Uint8Array): X25519Identity {
  const key = x25519PrivateKey(secret);
  return { key, publicKey: x25519RawPublic(createPublicKey(key)) };
}

/** The ephemeral share of an X25519 stanza, checked as age checks it; undefined for another type of stanza. */
export function x25519StanzaShare(s: Stanza): Buffer | undefined {
  if (s.args[0] !== 'X25519') return undefined;
  if (s.args.length !== 2) throw badHeader('X25519 stanza needs exactly one argument');
  const share = unb64nopad(s.args[1], 'X25519 share');
  if (share.length !== 32) throw badHeader('X25519 share must be 32 bytes');
  if (s.body.length !== FILE_KEY_SIZE + TAG_SIZE) throw badHeader('X25519 stanza body must be 32 bytes');
  return share;
}

/**
 * Find the file key in the X25519 stanzas meant for one of `identities`.
 * A malformed X25519 stanza is an error (age does the same); a stanza for
 * someone else is skipped. Returns null when nothing matched.
 */
export function unwrapX25519(stanzas: Stanza[], identities: X25519Identity[]): Buffer | null {
  for (const s of stanzas) {
    const share = x25519StanzaShare(s);
    if (!share) continue;
    for (const id of identities) {
      const shared = sharedSecret(id.key, share);
      if (!shared) throw badHeader('X25519 share is a low-order point');
      const wrapKey = hkdf(shared, Buffer.concat([share, id.publicKey]), X25519_LABEL);
      shared.fill(0);
      const fileKey = aeadOpen(wrapKey, ZERO_NONCE, s.body);
      wrapKey.fill(0);
      if (fileKey) return fileKey;
    }
  }
  return null;
}

// ── header ───────────────────────────────────────────────────────────────

function headerMac(fileKey: Uint8Array, headerNoMac: Uint8Array): Buffer {
  const macKey = hkdf(fileKey, Buffer.alloc(0), 'header');
  const mac = createHmac('sha256', macKey).update(headerNoMac).digest();
  macKey.fill(0);
  return mac;
}

/** Serialise stanzas and MAC them with the file key. */
export function encodeHeader(stanzas: Stanza[], fileKey: Uint8Array): Buffer {
  const noMac = headerWithoutMac(stanzas);
  return Buffer.concat([noMac, Buffer.from(` ${b64nopad(headerMac(fileKey, noMac))}\n`, 'latin1')]);
}

/** The header's text up to and including `---`: what the MAC covers. */
export function headerWithoutMac(stanzas: Stanza[]): Buffer {
  let text = INTRO;
  for (const s of stanzas) {
    text += `-> ${s.args.join(' ')}\n`;
    const b64 = b64nopad(s.body);
    for (let i = 0; i < b64.length; i += 64) text += b64.slice(i, i + 64) + '\n';
    if (b64.length % 64 === 0) text += '\n'; // the last body line is always short, possibly empty
  }
  text += '---';
  return Buffer.from(text, 'latin1');
}

/** A header as parseHeader splits it: its stanzas, the bytes the MAC covers, and the 32-byte MAC. */
export interface ParsedHeader {
  stanzas: Stanza[];
  /** The header up to and including `---`: what the MAC covers. */
  noMac: Buffer;
  mac: Buffer;
}

const ARG = /^[\x21-\x7e]+$/;

/** Parse a complete header (through the MAC line's newline), strictly. */
export function parseHeader(header: Buffer): ParsedHeader {
  const text = header.toString('latin1');
  if (!text.startsWith(INTRO)) throw badHeader('missing age-encryption.org/v1 intro');
  let pos = INTRO.length;
  const line = (): string => {
    const nl = text.indexOf('\n', pos);
    if (nl === -1) throw badHeader('unexpected end of header');
    const l = text.slice(pos, nl);
    pos = nl + 1;
    return l;
  };
  const stanzas: Stanza[] = [];
  for (;;) {
    const l = line();
    if (l.startsWith('--- ')) {
      const mac = unb64nopad(l.slice(4), 'header MAC');
      if (mac.length !== 32) throw badHeader('header MAC must be 32 bytes');
      if (pos !== text.length) throw badHeader('data after the MAC line');
      return { stanzas, noMac: header.subarray(0, pos - l.length - 1 + 3), mac };
    }
    if (!l.startsWith('-> ')) throw badHeader('expected a stanza or the MAC line');
    const args = l.slice(3).split(' ');
    if (args.length === 0 || !args.every((a) => ARG.test(a))) throw badHeader('malformed stanza arguments');
    const body: Buffer[] = [];
    for (;;) {
      const b = line();
      if (b.length > 64) throw badHeader('stanza body line longer than 64 columns');
      body.push(unb64nopad(b, 'stanza body'));
      if (b.length < 64) break;
    }
    stanzas.push({ args, body: Buffer.concat(body) });
  }
}

/** Check the header MAC; a mismatch means the header was altered. */
export function verifyHeaderMac(h: ParsedHeader, fileKey: Uint8Array): void {
  const want = headerMac(fileKey, h.noMac);
  if (!timingSafeEqual(want, h.mac)) {
    throw integrityError('ERR_AGE_HEADER_MAC', 'age header MAC does not verify', 'the file was tampered with or is corrupt');
  }
}

/**
 * Finds where the header ends in a byte stream: after the first line that
 * starts with `---` (stanza lines start with `->` or are base64). Linear in
 * the input however it is split: only new bytes (and the 3 before them, as
 * the marker may straddle two pushes) are searched.
 */
export class HeaderScanner {
  private parts: Buffer[] = [];
  private size = 0;
  private tail = Buffer.alloc(0);
  /** Absolute offset of the "\n---" marker once seen. */
  private marker = -1;

  /** Feed bytes; returns the header and the bytes after it once the MAC line is complete. */
  push(data: Buffer): { header: Buffer; rest: Buffer } | undefined {
    const base = this.size;
    this.parts.push(data);
    this.size += data.length;
    if (this.marker === -1) {
      const window = Buffer.concat([this.tail, data]);
      const i = window.indexOf('\n---', 0, 'latin1');
      if (i !== -1) this.marker = base - this.tail.length + i;
      this.tail = Buffer.from(window.subarray(Math.max(0, window.length - 3)));
    }
    if (this.marker !== -1) {
      const from = Math.max(this.marker + 1, base) - base;
      const nl = data.indexOf(10, from);
      if (nl !== -1) {
        const all = Buffer.concat(this.parts, this.size);
        this.parts = [];
        const end = base + nl + 1;
        return { header: all.subarray(0, end), rest: all.subarray(end) };
      }
    }
    if (this.size > MAX_HEADER_SIZE) throw badHeader(`header larger than ${MAX_HEADER_SIZE} bytes`);
    return undefined;
  }

  /** Bytes seen so far (for error messages when the input ends early). */
  get seen(): number {
    return this.size;
  }
}

// ── payload (STREAM) ─────────────────────────────────────────────────────

/** The payload key: HKDF-SHA256(salt = payload nonce, ikm = file key, info "payload"). */
export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return hkdf(fileKey, nonce, 'payload');
}

/** 12-byte STREAM nonce: 11-byte big-endian chunk counter, then the last-chunk flag. */
function chunkNonce(nonce: Buffer, counter: number, last: boolean): Buffer {
  nonce.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), 3);
  nonce.writeUInt32BE(counter >>> 0, 7);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/**
 * Cuts a byte stream into fixed-size chunks for STREAM, holding back the
 * latest full chunk until more input arrives: only at the end of the input is
 * it known whether a chunk is the last one (whose nonce carries the flag).
 * Full chunks that are not the last are handed to `middle` without copying
 * when they lie whole in the caller's buffer.
 */
class ChunkBuffer {
  readonly buf: Buffer;
  fill = 0;

  constructor(readonly size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  push(data: Buffer, middle: (chunk: Buffer) => void): void {
    let off = 0;
    while (off < data.length) {
      if (this.fill === this.size) {
        middle(this.buf);
        this.fill = 0;
      }
      if (this.fill === 0 && data.length - off > this.size) {
        middle(data.subarray(off, off + this.size));
        off += this.size;
        continue;
      }
      const n = Math.min(this.size - this.fill, data.length - off);
      data.copy(this.buf, this.fill, off, off + n);
      this.fill += n;
      off += n;
    }
  }

  /** What is held back: the last chunk, possibly empty. */
  rest(): Buffer {
    return this.buf.subarray(0, this.fill);
  }
}

/**
 * Encrypts a byte stream in age's STREAM construction. A full chunk is held
 * back until more input arrives, because only then do we know it is not the
 * last one; the last chunk is full-sized when the input is a multiple of
 * 64 KiB and empty only when the whole input is empty.
 */
export class StreamSealer {
  private readonly key: Buffer;
  private readonly nonce = Buffer.alloc(12);
  private readonly chunks = new ChunkBuffer(CHUNK_SIZE);
  private counter = 0;
  private done = false;

  constructor(key: Uint8Array) {
    this.key = Buffer.from(key);
  }

  private seal(chunk: Buffer, last: boolean, out: Buffer[]): void {
    const c = createCipheriv('chacha20-poly1305', this.key, chunkNonce(this.nonce, this.counter++, last), { authTagLength: TAG_SIZE });
    out.push(c.update(chunk));
    c.final();
    out.push(c.getAuthTag());
  }

  /** Add plaintext; returns ciphertext pieces ready to write, in order. */
  push(data: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.chunks.push(data, (chunk) => this.seal(chunk, false, out));
    return out;
  }

  /** Seal what is left as the last chunk. */
  finish(): Buffer[] {
    if (this.done) throw new Error('StreamSealer finished twice');
    const out: Buffer[] = [];
    this.seal(this.chunks.rest(), true, out);
    this.dispose();
    return out;
  }

  /** Forget the key and any buffered plaintext (also on failure). */
  dispose(): void {
    this.done = true;
    this.chunks.buf.fill(0);
    this.key.fill(0);
  }
}

/**
 * Decrypts age's STREAM. Rejects, as age does: a missing final chunk
 * (truncation), data after the final chunk, an empty final chunk after a
 * full one, and any chunk whose tag does not verify. Plaintext is returned
 * only for chunks that authenticated.
 */
export class StreamOpener {
  private readonly key: Buffer;
  private readonly nonce = Buffer.alloc(12);
  private readonly chunks = new ChunkBuffer(SEALED_CHUNK_SIZE);
  private counter = 0;
  private done = false;

  constructor(key: Uint8Array) {
    this.key = Buffer.from(key);
  }

  private open(sealed: Buffer, last: boolean): Buffer | null {
    return aeadOpen(this.key, chunkNonce(this.nonce, this.counter, last), sealed);
  }

  /** A full chunk with more data after it: it must not be the last chunk. */
  private openMiddle(sealed: Buffer, out: Buffer[]): void {
    const pt = this.open(sealed, false);
    if (!pt) {
      // age's check: a chunk that verifies as the last one means data was appended after the end.
      if (this.open(sealed, true)) {
        throw integrityError('ERR_AGE_TRAILING_DATA', 'trailing data after the end of the age file');
      }
      throw integrityError('ERR_AGE_PAYLOAD', `age payload chunk ${this.counter} does not authenticate`, 'the file is corrupt or was tampered with');
    }
    this.counter++;
    out.push(pt);
  }

  /** Add ciphertext; returns authenticated plaintext pieces. */
  push(data: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.chunks.push(data, (sealed) => this.openMiddle(sealed, out));
    return out;
  }

  /** The input ended: what is buffered must be the last chunk. */
  finish(): Buffer[] {
    if (this.done) throw new Error('StreamOpener finished twice');
    const last = this.chunks.rest();
    if (last.length < TAG_SIZE) {
      this.dispose();
      throw integrityError('ERR_AGE_TRUNCATED', 'age file is truncated (the final chunk is missing)');
    }
    const pt = this.open(last, true);
    this.dispose();
    if (!pt) {
      throw integrityError('ERR_AGE_TRUNCATED', 'age file is truncated or was tampered with (the final chunk does not authenticate)');
    }
    if (pt.length === 0 && this.counter > 0) {
      throw integrityError('ERR_AGE_PAYLOAD', 'age file ends with an empty chunk after a full one, which age forbids');
    }
    return [pt];
  }

  /** Forget the key (also on failure). */
  dispose(): void {
    this.done = true;
    this.key.fill(0);
  }
}

// ── whole files in memory (record blobs) ─────────────────────────────────

/** A fresh file key, its header for the given X25519 recipients, and the payload key. */
export function newFileKey(): Buffer {
  return randomBytes(FILE_KEY_SIZE);
}

/** Encrypt a small plaintext to X25519 recipients (raw 32-byte public keys): a binary age file. */
export function sealBytes(plaintext: Uint8Array, recipients: Uint8Array[]): Buffer {
  if (recipients.length === 0) throw new Error('sealBytes needs at least one recipient');
  const fileKey = newFileKey();
  const header = encodeHeader(
    recipients.map((r) => wrapX25519(fileKey, r)),
    fileKey,
  );
  const nonce = randomBytes(PAYLOAD_NONCE_SIZE);
  const key = payloadKey(fileKey, nonce);
  fileKey.fill(0);
  const s = new StreamSealer(key);
  key.fill(0);
  return Buffer.concat([header, nonce, ...s.push(Buffer.from(plaintext)), ...s.finish()]);
}

/** Decrypt a small binary age file with X25519 secrets; ERR_WRONG_KEY (exit 4) when none matches. */
export function openBytes(file: Uint8Array, secrets: Uint8Array[], what = 'data'): Buffer {
  return openBytesAs(file, () => secrets.map(x25519Identity), what);
}

/**
 * openBytes with identities already built: whoever opens many files with one
 * key (a property test opens ten thousand) builds its identity once, since
 * deriving the public half costs an X25519 multiplication. `identities` is
 * called only once the header parsed.
 */
export function openBytesAs(file: Uint8Array, identities: () => X25519Identity[], what = 'data'): Buffer {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (!buf.subarray(0, INTRO.length).equals(Buffer.from(INTRO, 'latin1'))) {
    throw integrityError('ERR_NOT_AGE', `${what} is not an age file`);
  }
  const found = new HeaderScanner().push(buf);
  if (!found) throw badHeader('unexpected end of header');
  const h = parseHeader(found.header);
  const fileKey = unwrapX25519(h.stanzas, identities());
  if (!fileKey) throw integrityError('ERR_WRONG_KEY', `${what} is not encrypted to this key`);
  verifyHeaderMac(h, fileKey);
  if (found.rest.length < PAYLOAD_NONCE_SIZE) throw integrityError('ERR_AGE_TRUNCATED', `${what} is truncated`);
  const key = payloadKey(fileKey, found.rest.subarray(0, PAYLOAD_NONCE_SIZE));
  fileKey.fill(0);
  const o = new StreamOpener(key);
  key.fill(0);
  return Buffer.concat([...o.push(found.rest.subarray(PAYLOAD_NONCE_SIZE)), ...o.finish()]);
}
