/**
 * lib/relay/: the remote-control server (DESIGN.md §8) — session event logs,
 * the session manager, the NDJSON wire protocol and its transports. It may
 * import cli/, claude/ and pair/ (and what those import), plus config.ts and
 * secure-file.ts.
 *
 * This module: one session's durable event log, `<dir>/<session>.ndjson`.
 * An event is written (one write(2) of one line) before any client sees it;
 * seq starts at 1 and has no gaps. Memory stays bounded however long the log
 * grows: a sparse seq → byte-offset index and a small ring of recent lines;
 * older events are read back from the file.
 */
import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '../secure-file.ts';
import { CliError, EXIT } from '../cli/errors.ts';

/** Every INDEX_STEP-th event's byte offset is remembered. */
const INDEX_STEP = 256;
/** Recent events kept in memory for live watchers (serialised lines). */
const RING = 2048;
const CHUNK = 256 * 1024;

export interface LogEvent {
  seq: number;
  t: number;
  kind: string;
  [key: string]: unknown;
}

/** The log file of a session. */
export function logPath(dir: string, session: string): string {
  return join(dir, `${session}.ndjson`);
}

/** An append-only NDJSON event log with gapless seq. */
export class EventLog {
  readonly path: string;
  private fd: number;
  private size = 0;
  private last = 0;
  /** offsets[k] = byte offset of the line with seq k*INDEX_STEP+1. */
  private offsets: number[] = [];
  private ring: string[] = [];
  private listeners = new Set<(line: string, seq: number) => void>();

  /** Open (creating, 0600) and recover: a torn last line from a crash is cut off. */
  constructor(dir: string, session: string, onRecovered?: (ev: LogEvent) => void) {
    ensurePrivateDir(dir);
    this.path = logPath(dir, session);
    this.fd = openSync(this.path, constants.O_RDWR | constants.O_CREAT | constants.O_APPEND, 0o600);
    this.recover(onRecovered);
  }

  /** Seq of the newest event (0 when empty). */
  get lastSeq(): number {
    return this.last;
  }

  private recover(onRecovered?: (ev: LogEvent) => void): void {
    const total = fstatSync(this.fd).size;
    const buf = Buffer.alloc(CHUNK);
    let pos = 0;
    let lineStart = 0;
    let carry: Buffer[] = [];
    while (pos < total) {
      const n = readSync(this.fd, buf, 0, Math.min(CHUNK, total - pos), pos);
      if (n <= 0) break;
      let from = 0;
      for (let i = 0; i < n; i++) {
        if (buf[i] !== 0x0a) continue;
        const piece = buf.subarray(from, i);
        const line = carry.length ? Buffer.concat([...carry, piece]).toString('utf8') : piece.toString('utf8');
        carry = [];
        this.recoverLine(line, lineStart, onRecovered);
        lineStart = pos + i + 1;
        from = i + 1;
      }
      if (from < n) carry.push(Buffer.from(buf.subarray(from, n)));
      pos += n;
    }
    if (lineStart < total) ftruncateSync(this.fd, lineStart); // torn write: the event never reached a client
    this.size = lineStart;
  }

  private recoverLine(line: string, offset: number, onRecovered?: (ev: LogEvent) => void): void {
    let ev: LogEvent;
    try {
      ev = JSON.parse(line);
    } catch {
      throw new CliError('ERR_LOG_CORRUPT', `${this.path}: line ${this.last + 1} is not JSON`, EXIT.AUTH, 'the event log was changed by something other than cc-relay');
    }
    if (!ev || ev.seq !== this.last + 1) {
      throw new CliError('ERR_LOG_CORRUPT', `${this.path}: expected seq ${this.last + 1}, found ${ev?.seq}`, EXIT.AUTH, 'the event log was changed by something other than cc-relay');
    }
    this.note(line, offset);
    onRecovered?.(ev);
  }

  private note(line: string, offset: number): void {
    this.last += 1;
    if ((this.last - 1) % INDEX_STEP === 0) this.offsets.push(offset);
    this.ring.push(line);
    if (this.ring.length > RING) this.ring.splice(0, this.ring.length - RING);
  }

  /** Append an event (seq and t are assigned); returns it once written. */
  append(kind: string, fields: Record<string, unknown> = {}): LogEvent {
    const ev: LogEvent = { seq: this.last + 1, t: Date.now(), kind, ...fields };
    const line = JSON.stringify(ev);
    const data = Buffer.from(line + '\n', 'utf8');
    let off = 0;
    while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
    const at = this.size;
    this.size += data.length;
    this.note(line, at);
    for (const fn of this.listeners) fn(line, ev.seq);
    return ev;
  }

  /**
   * Serialised events with seq > since, at most `max` of them (fewer when
   * `maxBytes` is reached), in order. From memory when recent, else the file.
   */
  readAfter(since: number, max = 1000, maxBytes = 1 << 20): string[] {
    const from = Math.max(1, since + 1);
    if (from > this.last) return [];
    const ringFirst = this.last - this.ring.length + 1;
    if (from >= ringFirst) {
      const out: string[] = [];
      let bytes = 0;
      for (let i = from - ringFirst; i < this.ring.length && out.length < max && bytes < maxBytes; i++) {
        out.push(this.ring[i]);
        bytes += this.ring[i].length;
      }
      return out;
    }
    const k = Math.floor((from - 1) / INDEX_STEP);
    let seq = k * INDEX_STEP + 1;
    let pos = this.offsets[k];
    const out: string[] = [];
    let bytes = 0;
    const buf = Buffer.alloc(CHUNK);
    let carry: Buffer[] = [];
    while (pos < this.size && out.length < max && bytes < maxBytes) {
      const n = readSync(this.fd, buf, 0, Math.min(CHUNK, this.size - pos), pos);
      if (n <= 0) break;
      let start = 0;
      for (let i = 0; i < n && out.length < max && bytes < maxBytes; i++) {
        if (buf[i] !== 0x0a) continue;
        if (seq >= from) {
          const piece = buf.subarray(start, i);
          const line = carry.length ? Buffer.concat([...carry, piece]).toString('utf8') : piece.toString('utf8');
          out.push(line);
          bytes += line.length;
        }
        carry = [];
        seq += 1;
        start = i + 1;
      }
      if (start < n && seq >= from) carry.push(Buffer.from(buf.subarray(start, n)));
      pos += n;
    }
    return out;
  }

  /** Called with each new event's line after it is written. Returns the unsubscribe. */
  subscribe(fn: (line: string, seq: number) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Flush to disk (shutdown). */
  flush(): void {
    try {
      fsyncSync(this.fd);
    } catch {
      /* a filesystem without fsync */
    }
  }

  close(): void {
    this.flush();
    this.listeners.clear();
    closeSync(this.fd);
  }
}
