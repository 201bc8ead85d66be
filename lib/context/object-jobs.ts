/**
 * One small object's whole job, read to written: seal a file (or a
 * deletion) to a zone recipient, or check and open a stored object into a
 * staged file. Plain synchronous calls: the files are small and page-cached,
 * and one call per step costs less than the promise machinery around it.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import { CliError, EXIT } from '../cli/errors.ts';
import { openObjectBytes, sealObjectBytes, SMALL_OBJECT, type ObjectHeader } from './objects.ts';
import { sha256hexAnyThread } from './age-small.ts';

/** Seal one file (or a deletion) to a zone recipient. */
export interface SealJob {
  kind: 'seal';
  local: string | null;
  /** The header; sha256 '' means "take it from the content read". */
  header: ObjectHeader;
  recipient: Uint8Array;
  /** Write the object to `OUTROOT/o/aa/HASH` (see Store.objectRoot) rather than hand its bytes back. */
  outRoot?: string;
}

/** Check and open one stored object; write its content to `dest` (0444) unless a deletion or null. */
export interface OpenJob {
  kind: 'open';
  path: string;
  hash: string;
  secret: Uint8Array;
  dest: string | null;
  what: string;
}

export type ObjectJob = SealJob | OpenJob;
export interface SealDone {
  /** The object's bytes, unless the job wrote them under `outRoot`. */
  data?: Buffer;
  size: number;
  hash: string;
  sha256: string;
}
export interface OpenDone {
  header: ObjectHeader;
  /** Where the content was written (the job's dest, or another name when the job was done again). */
  dest: string | null;
}

/** Largest stored object read whole (objects of SMALL_OBJECT plaintext, plus age and padding overhead). */
const SMALL_STORED = SMALL_OBJECT + 64 * 1024;

/**
 * One read buffer per thread, reused by every job: a buffer per file is
 * garbage the collector frees late (external memory), and a pull of 10,000
 * files grew by tens of MB of it (RSS counts against the 150 MB target).
 */
let readScratch = Buffer.allocUnsafe(64 * 1024);
/** The same for opened plaintext, which is written out before the next job. */
let plainScratch = Buffer.allocUnsafe(64 * 1024);

/** A file's bytes (a view of this thread's read buffer, valid until the next call), or null when larger than `max`. */
function readAtMost(path: string, max: number): Buffer | null {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > max) return null;
    if (readScratch.length < size) readScratch = Buffer.allocUnsafe(Math.max(size, readScratch.length * 2));
    let at = 0;
    while (at < size) {
      const n = readSync(fd, readScratch, at, size - at, at);
      if (n === 0) break;
      at += n;
    }
    return readScratch.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}

/** Do one job on this thread. */
export function runObjectJob(job: SealJob): SealDone;
export function runObjectJob(job: OpenJob): OpenDone;
export function runObjectJob(job: ObjectJob): SealDone | OpenDone;
export function runObjectJob(job: ObjectJob): SealDone | OpenDone {
  if (job.kind === 'seal') {
    const h = { ...job.header };
    const changed = () => new CliError('ERR_CTX_FILE_CHANGED', `${h.path} changed while it was being pushed`, EXIT.FAILURE, 'run cc-context push again');
    let content: Buffer | null = null;
    if (job.local !== null) {
      content = readAtMost(job.local, SMALL_OBJECT);
      if (!content || content.length !== h.size) throw changed();
      const sha = sha256hexAnyThread(content); // (this thread's primitives: see age-small.ts)
      if (h.sha256 === '') h.sha256 = sha;
      else if (sha !== h.sha256) throw changed();
    }
    const o = sealObjectBytes(content, h, job.recipient);
    if (job.outRoot === undefined) return { data: o.data, size: o.data.length, hash: o.hash, sha256: h.sha256 };
    const dir = `${job.outRoot}/o/${o.hash.slice(0, 2)}`;
    const put = () => writeFileSync(`${dir}/${o.hash}`, o.data, { flag: 'wx' });
    try {
      try {
        put();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        mkdirSync(dir, { recursive: true }); // the first object of its 256th
        put();
      }
    } catch (err) {
      // The same name is the same bytes (a SHA-256 of them): already there is done.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    return { size: o.data.length, hash: o.hash, sha256: h.sha256 };
  }
  const mismatch = () => new CliError('ERR_CTX_OBJECT', `${job.what} does not match its name (modified or swapped)`, EXIT.AUTH, 'the store tampered with it');
  const data = readAtMost(job.path, SMALL_STORED);
  if (!data || sha256hexAnyThread(data) !== job.hash) throw mismatch();
  if (plainScratch.length < data.length) plainScratch = Buffer.allocUnsafe(Math.max(data.length, plainScratch.length * 2));
  const o = openObjectBytes(data, [job.secret], job.what, plainScratch);
  // Created read-only (0444: never writable, never executable), so applying it is a rename.
  if (job.dest && !o.header.deleted) writeFileSync(job.dest, o.content, { flag: 'wx', mode: 0o444 });
  return { header: o.header, dest: o.header.deleted ? null : job.dest };
}

