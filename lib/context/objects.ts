/**
 * Objects (DESIGN.md §9): one file version as a standard age file to its
 * zone's recipient, holding `u32 header length | header JSON | file bytes |
 * zero padding` (Padmé buckets), named by the SHA-256 of the ciphertext.
 * Sealing and opening stream in 1 MiB blocks, so memory stays flat whatever
 * the file size.
 */
import { closeSync, openSync, readSync, writeSync, unlinkSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import {
  encodeHeader,
  HeaderScanner,
  INTRO,
  integrityError,
  newFileKey,
  PAYLOAD_NONCE_SIZE,
  parseHeader,
  payloadKey,
  StreamOpener,
  StreamSealer,
  unwrapX25519,
  verifyHeaderMac,
  wrapX25519,
} from '../age/stream.ts';
import { CliError, EXIT } from '../cli/errors.ts';
import { padmeLength } from './pad.ts';
import { cachedIdentity, openSmall, sealSmall, sha256hexAnyThread } from './age-small.ts';

const ZEROS = Buffer.alloc(64 * 1024);

/** True when every byte is zero (compared 64 KiB at a time in native code). */
function isZeros(b: Buffer): boolean {
  for (let i = 0; i < b.length; i += ZEROS.length) {
    const part = b.subarray(i, i + ZEROS.length);
    if (!part.equals(ZEROS.subarray(0, part.length))) return false;
  }
  return true;
}

const BLOCK = 1 << 20;
/** Object headers are small; anything bigger is hostile. */
const MAX_OBJECT_HEADER = 64 * 1024;

/** What an object says about the file version it carries. */
export interface ObjectHeader {
  path: string;
  size: number;
  mtime: number;
  sha256: string;
  /** The version (object hash) this one replaces, as its writer knew it. */
  prev: string | null;
  deleted?: boolean;
}

function writeAll(fd: number, parts: Buffer[], hash: ReturnType<typeof createHash>): number {
  let n = 0;
  for (const p of parts) {
    if (p.length === 0) continue;
    hash.update(p);
    let off = 0;
    while (off < p.length) off += writeSync(fd, p, off, p.length - off);
    n += p.length;
  }
  return n;
}

/**
 * Seal `src` (or nothing, for a deletion) with `header` to `recipient` into
 * the file `dest`. Returns the object's name (SHA-256 of the ciphertext) and
 * size. The plaintext is hashed again on the way: a file that changed since
 * it was scanned fails rather than publishing a header that lies.
 */
export function sealObject(src: string | null, header: ObjectHeader, recipient: Uint8Array, dest: string): { hash: string; size: number } {
  const fileKey = newFileKey();
  const ageHeader = encodeHeader([wrapX25519(fileKey, recipient)], fileKey);
  const nonce = randomBytes(PAYLOAD_NONCE_SIZE);
  const key = payloadKey(fileKey, nonce);
  fileKey.fill(0);
  const sealer = new StreamSealer(key);
  key.fill(0);
  const hj = Buffer.from(JSON.stringify(header), 'utf8');
  const lead = Buffer.alloc(4);
  lead.writeUInt32BE(hj.length);
  const total = 4 + hj.length + header.size;
  const padded = padmeLength(total);
  const out = openSync(dest, 'wx', 0o644);
  const hash = createHash('sha256');
  let size = 0;
  let inFd: number | undefined;
  try {
    size += writeAll(out, [ageHeader, nonce], hash);
    size += writeAll(out, sealer.push(Buffer.concat([lead, hj])), hash);
    if (src !== null) {
      inFd = openSync(src, 'r');
      const plain = createHash('sha256');
      let read = 0;
      const buf = Buffer.allocUnsafe(BLOCK);
      for (;;) {
        const n = readSync(inFd, buf, 0, BLOCK, null);
        if (n === 0) break;
        read += n;
        if (read > header.size) break;
        const chunk = buf.subarray(0, n);
        plain.update(chunk);
        size += writeAll(out, sealer.push(chunk), hash);
      }
      if (read !== header.size || plain.digest('hex') !== header.sha256) {
        throw new CliError('ERR_CTX_FILE_CHANGED', `${header.path} changed while it was being pushed`, EXIT.FAILURE, 'run cc-context push again');
      }
    }
    let pad = padded - total;
    const zeros = Buffer.alloc(Math.min(pad, BLOCK));
    while (pad > 0) {
      const n = Math.min(pad, zeros.length);
      size += writeAll(out, sealer.push(zeros.subarray(0, n)), hash);
      pad -= n;
    }
    // No fsync per object: 10,000 of them cost minutes. Objects are written before the batch
    // that names them, and a torn object reads as withheld or tampered, never as wrong data.
    size += writeAll(out, sealer.finish(), hash);
  } catch (err) {
    sealer.dispose();
    closeSync(out);
    unlinkSync(dest);
    throw err;
  } finally {
    if (inFd !== undefined) closeSync(inFd);
  }
  closeSync(out);
  return { hash: hash.digest('hex'), size };
}

/** One read buffer for hashFile (synchronous, so never shared by two calls): no 1 MiB garbage per file. */
const HASH_BUF = Buffer.allocUnsafe(BLOCK);

/** SHA-256 of a file, streamed (to check an object's name before opening it). */
export function hashFile(path: string): string {
  const fd = openSync(path, 'r');
  const h = createHash('sha256');
  const buf = HASH_BUF;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, BLOCK, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/**
 * Open an object with the zone secrets that may fit; write the file bytes
 * to `dest` (when given and the object is not a deletion). Checks the age
 * MAC and every chunk, the header's shape, the size and the SHA-256 of the
 * content, and that the padding is zeros. Exit 4 on any mismatch.
 */
export function openObject(path: string, secrets: Uint8Array[], dest: string | null, what: string): ObjectHeader {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(BLOCK);
  const scanner = new HeaderScanner();
  let opener: StreamOpener | undefined;
  let pending = Buffer.alloc(0); // plaintext before the object header is complete
  let header: ObjectHeader | undefined;
  let written = 0;
  let out: number | undefined;
  const sha = createHash('sha256');
  const bad = (why: string) => integrityError('ERR_CTX_OBJECT', `${what}: ${why}`, 'the store may have tampered with it');
  let first = true;
  let nonceBuf = Buffer.alloc(0);
  let fileKey: Buffer | null = null;
  const take = (plain: Buffer[]) => {
    for (let p of plain) {
      if (!header) {
        pending = Buffer.concat([pending, p]);
        if (pending.length < 4) continue;
        const hlen = pending.readUInt32BE(0);
        if (hlen > MAX_OBJECT_HEADER) throw bad('object header too large');
        if (pending.length < 4 + hlen) continue;
        let h: ObjectHeader;
        try {
          h = JSON.parse(pending.subarray(4, 4 + hlen).toString('utf8'));
        } catch {
          throw bad('object header is not JSON');
        }
        if (!h || typeof h.path !== 'string' || !Number.isSafeInteger(h.size) || h.size < 0 || typeof h.sha256 !== 'string') throw bad('object header is malformed');
        header = h;
        if (dest && !h.deleted) out = openSync(dest, 'wx', 0o600);
        p = pending.subarray(4 + hlen);
        pending = Buffer.alloc(0);
      }
      const want = header.deleted ? 0 : header.size;
      const body = p.subarray(0, Math.max(0, Math.min(p.length, want - written)));
      if (body.length) {
        sha.update(body);
        if (out !== undefined) {
          let off = 0;
          while (off < body.length) off += writeSync(out, body, off, body.length - off);
        }
        written += body.length;
      }
      const padding = p.subarray(body.length);
      if (!isZeros(padding)) throw bad('padding is not zeros');
    }
  };
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, BLOCK, null);
      if (n === 0) break;
      let data: Buffer = Buffer.from(buf.subarray(0, n));
      if (first) {
        if (!data.subarray(0, INTRO.length).equals(Buffer.from(INTRO, 'latin1'))) throw bad('not an age file');
        first = false;
      }
      if (!opener) {
        if (!fileKey) {
          const found = scanner.push(data);
          if (!found) continue;
          const h = parseHeader(found.header);
          fileKey = unwrapX25519(h.stanzas, secrets.map(cachedIdentity));
          if (!fileKey) throw integrityError('ERR_WRONG_KEY', `${what} is not encrypted to a key this grant holds`);
          verifyHeaderMac(h, fileKey);
          data = found.rest;
        }
        nonceBuf = Buffer.concat([nonceBuf, data]);
        if (nonceBuf.length < PAYLOAD_NONCE_SIZE) continue;
        const key = payloadKey(fileKey, nonceBuf.subarray(0, PAYLOAD_NONCE_SIZE));
        fileKey.fill(0);
        opener = new StreamOpener(key);
        key.fill(0);
        data = nonceBuf.subarray(PAYLOAD_NONCE_SIZE);
      }
      take(opener.push(data));
    }
    if (!opener) throw bad('truncated');
    take(opener.finish());
    if (!header) throw bad('no object header');
    const hdr = header as ObjectHeader;
    if (!hdr.deleted && (written !== hdr.size || sha.digest('hex') !== hdr.sha256)) throw bad('content does not match its header');
    return hdr;
  } catch (err) {
    if (out !== undefined) {
      closeSync(out);
      out = undefined;
      if (dest) unlinkSync(dest);
    }
    throw err;
  } finally {
    if (out !== undefined) closeSync(out);
    closeSync(fd);
  }
}

// ── whole objects in memory: the fast path for small files ───────────────

/** Files up to this size are sealed and opened in memory (bounded by the I/O pool). */
export const SMALL_OBJECT = 1 << 20;

/** Seal `content` (null for a deletion) with `header` to `recipient` in memory; returns the object and its name. */
export function sealObjectBytes(content: Buffer | null, header: ObjectHeader, recipient: Uint8Array): { data: Buffer; hash: string } {
  const hj = Buffer.from(JSON.stringify(header), 'utf8');
  const total = 4 + hj.length + header.size;
  const plain = Buffer.alloc(padmeLength(total)); // zeros: the padding
  plain.writeUInt32BE(hj.length, 0);
  hj.copy(plain, 4);
  if (content) content.copy(plain, 4 + hj.length);
  const data = sealSmall(plain, recipient);
  plain.fill(0);
  return { data, hash: sha256hexAnyThread(data) };
}

/** Open an object held in memory: the same checks as `openObject`. With `scratch` (at least data's length), the content is a view of it. */
export function openObjectBytes(data: Buffer, secrets: Uint8Array[], what: string, scratch?: Buffer): { header: ObjectHeader; content: Buffer } {
  const bad = (why: string) => integrityError('ERR_CTX_OBJECT', `${what}: ${why}`, 'the store may have tampered with it');
  const plain = openSmall(data, secrets, what, scratch);
  if (plain.length < 4) throw bad('truncated');
  const hlen = plain.readUInt32BE(0);
  if (hlen > MAX_OBJECT_HEADER || 4 + hlen > plain.length) throw bad('object header too large');
  let h: ObjectHeader;
  try {
    h = JSON.parse(plain.subarray(4, 4 + hlen).toString('utf8'));
  } catch {
    throw bad('object header is not JSON');
  }
  if (!h || typeof h.path !== 'string' || !Number.isSafeInteger(h.size) || h.size < 0 || typeof h.sha256 !== 'string') throw bad('object header is malformed');
  const size = h.deleted ? 0 : h.size;
  if (4 + hlen + size > plain.length) throw bad('content does not match its header');
  const content = plain.subarray(4 + hlen, 4 + hlen + size);
  if (!isZeros(plain.subarray(4 + hlen + size))) throw bad('padding is not zeros');
  if (!h.deleted && sha256hexAnyThread(content) !== h.sha256) throw bad('content does not match its header');
  return { header: h, content };
}
