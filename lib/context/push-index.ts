/**
 * The push index on disk (`DIR/.cckit/index`): what this device pushed
 * last, per path, and where its writer chain stands. An incremental push
 * changes a handful of entries among thousands, so the file is a log, not a
 * document: groups of entry lines, each closed by a commit line that carries
 * the chain state. A push appends one group and fsyncs it; when the appended
 * lines outgrow the live entries the file is rewritten compacted (atomic
 * rename). A group without its commit line (a torn append) is ignored and
 * cut off before the next append. Reading keeps each entry's text unparsed
 * until it is asked for: the scan only compares size and mtime.
 *
 *   cckit-index/2
 *   /d42/f42.md\t10952\t1796181018358\t<sha256>\t<version>     (size "-": deleted)
 *   C {"device":…,"seq":7,"hash":…,"policy_seq":3}
 *
 * A path with a tab, newline, backslash or leading quote is written as a
 * JSON string. The JSON index of earlier versions (`index.json`) is read
 * when there is no log yet, and removed once the log is written.
 */
import { closeSync, fsyncSync, fstatSync, ftruncateSync, openSync, readFileSync, statSync, unlinkSync, writeSync, constants } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CliError, EXIT } from '../cli/errors.ts';
import { writeFileAtomic } from '../secure-file.ts';

/** One pushed file as this device last saw it. */
export interface IndexEntry {
  size: number;
  mtime: number;
  sha256: string;
  version: string;
  deleted?: boolean;
}

/** The chain state a commit line carries. */
interface IndexHead {
  device: string;
  seq: number;
  hash: string | null;
  policy_seq: number;
}

/** What this device pushed: its writer chain and per-path versions. */
export interface PushIndex extends IndexHead {
  v: 1;
  files: IndexFiles;
}

const MAGIC = 'cckit-index/2';
/** Rewrite the log once appended entry lines exceed this, or a quarter of the live entries. */
const COMPACT_MIN_LINES = 1000;

const corrupt = (path: string) => new CliError('ERR_CTX_LOCAL', `cannot parse push index ${path}`, EXIT.FAILURE, 'the file is corrupt; restore it or run cc-context init again');

function encodePath(p: string): string {
  return /[\t\n\r\\]/.test(p) || p.startsWith('"') ? JSON.stringify(p) : p;
}

function entryText(e: IndexEntry): string {
  return `${e.deleted ? '-' : e.size}\t${e.mtime}\t${e.sha256}\t${e.version}`;
}

/** The decimal number in `buf` from `at` up to a tab, or -1 (no allocation: the scan calls this per file). */
function numberAt(buf: Buffer, at: number): number {
  let n = 0;
  let i = at;
  for (; i < buf.length; i++) {
    const c = buf[i];
    if (c === 9) break;
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return i === at || i - at > 15 ? -1 : n;
}

/** Per-path entries, parsed on demand; remembers which paths were set since reading. */
export class IndexFiles {
  /** path → parsed entry, or the offset of its unparsed "size\tmtime\tsha256\tversion" in `buf`. */
  private readonly map = new Map<string, number | IndexEntry>();
  private live_ = 0;
  /** Paths set since the index was read (what the next append writes). */
  readonly changed = new Set<string>();

  /** `buf` holds the entries read from `source` (see loadAt); each is checked when it is first used. */
  constructor(
    private readonly buf: Buffer = Buffer.alloc(0),
    private readonly source = '',
  ) {}

  /** The unparsed fields at `at`, checked (a corrupt entry is an error, never a guess). */
  private fieldsAt(at: number): string {
    const end = this.buf.indexOf(10, at);
    if (!wellFormed(this.buf, at, end)) throw corrupt(this.source);
    return this.buf.toString('latin1', at, end);
  }

  /**
   * Load one unparsed entry whose fields start at `offset` in the buffer (reading; later loads of a
   * path win). `snapshot`: from the first group, where every path is new (one map operation, not two;
   * should a damaged file repeat one, liveCount only overcounts, which costs the scan its shortcut).
   */
  loadAt(path: string, offset: number, snapshot = false): void {
    if (!snapshot) {
      const before = this.map.get(path);
      if (before !== undefined && this.isLive(before)) this.live_--;
    }
    this.map.set(path, offset);
    if (this.buf[offset] !== 45 /* - */) this.live_++;
  }

  private isLive(v: number | IndexEntry): boolean {
    return typeof v === 'number' ? this.buf[v] !== 45 /* - */ : !v.deleted;
  }

  get(path: string): IndexEntry | undefined {
    const v = this.map.get(path);
    if (typeof v !== 'number') return v;
    const f = this.fieldsAt(v).split('\t');
    const e: IndexEntry = { size: f[0] === '-' ? 0 : Number(f[0]), mtime: Number(f[1]), sha256: f[2], version: f[3] };
    if (f[0] === '-') e.deleted = true;
    this.map.set(path, e);
    return e;
  }

  set(path: string, e: IndexEntry): void {
    const before = this.map.get(path);
    if (before !== undefined && this.isLive(before)) this.live_--;
    this.map.set(path, e);
    if (!e.deleted) this.live_++;
    this.changed.add(path);
  }

  /** A live entry with exactly this size and mtime (the scan's "unchanged", without parsing the entry). */
  sameStat(path: string, size: number, mtime: number): boolean {
    const v = this.map.get(path);
    if (v === undefined) return false;
    if (typeof v !== 'number') return !v.deleted && v.size === size && v.mtime === mtime;
    // A malformed entry reads as -1 here, so it is "changed" and get() reports it.
    if (numberAt(this.buf, v) !== size) return false;
    return numberAt(this.buf, this.buf.indexOf(9, v) + 1) === mtime;
  }

  /** How many entries are not deletions. */
  get liveCount(): number {
    return this.live_;
  }

  /** Paths whose entry is not a deletion. */
  *live(): IterableIterator<string> {
    for (const [p, v] of this.map) if (this.isLive(v)) yield p;
  }

  get size(): number {
    return this.map.size;
  }

  /** Every entry as a log line. */
  *lines(paths: Iterable<string> = this.map.keys()): IterableIterator<string> {
    for (const p of paths) {
      const v = this.map.get(p)!;
      yield `${encodePath(p)}\t${typeof v === 'number' ? this.fieldsAt(v) : entryText(v)}\n`;
    }
  }
}

/** Where the log stands after reading: how much is valid, and how much was appended since the last rewrite. */
interface LogState {
  validBytes: number;
  appendedLines: number;
  /** The file read or last written (inode): a rewrite by another process is a new one. */
  ino?: number;
}
const logStates = new WeakMap<PushIndex, LogState>();

function indexPath(dir: string): string {
  return join(dir, '.cckit', 'index');
}

function headLine(ix: PushIndex): string {
  return `C ${JSON.stringify({ device: ix.device, seq: ix.seq, hash: ix.hash, policy_seq: ix.policy_seq })}\n`;
}

function checkHead(h: unknown, path: string): IndexHead {
  const o = h as IndexHead;
  if (!o || typeof o.device !== 'string' || !Number.isSafeInteger(o.seq) || !(o.hash === null || typeof o.hash === 'string') || !Number.isSafeInteger(o.policy_seq)) throw corrupt(path);
  return o;
}

/** `size|-` TAB `mtime` TAB `hex` TAB `hex`, checked by hand (a regular expression per line was a tenth of reading). */
function wellFormed(buf: Buffer, from: number, to: number): boolean {
  if (to < 0) return false;
  let field = 0;
  let len = 0;
  for (let i = from; i < to; i++) {
    const c = buf[i];
    if (c === 9) {
      if (field < 2 && len === 0) return false;
      field++;
      len = 0;
      continue;
    }
    len++;
    const digit = c >= 48 && c <= 57;
    if (field === 0 ? !(digit || (c === 45 && i === from && buf[i + 1] === 9)) : field === 1 ? !digit : !(digit || (c >= 97 && c <= 102))) return false;
  }
  return field === 3;
}

/** Parse the log; undefined when it has no committed group. */
export function parseIndexLog(buf: Buffer, path: string): { index: PushIndex; state: LogState } | undefined {
  if (buf.toString('latin1', 0, MAGIC.length + 1) !== MAGIC + '\n') throw corrupt(path);
  // Entries stay in the buffer (offsets); only paths become strings.
  const files = new IndexFiles(buf, path);
  let head: IndexHead | undefined;
  let validBytes = 0;
  let appendedLines = 0;
  let groups = 0;
  const pendingPaths: string[] = [];
  const pendingAt: number[] = [];
  let i = MAGIC.length + 1;
  while (i < buf.length) {
    const nl = buf.indexOf(10, i);
    if (nl < 0) break; // a torn last line
    if (buf[i] === 67 /* C */ && buf[i + 1] === 32) {
      try {
        head = checkHead(JSON.parse(buf.toString('utf8', i + 2, nl)), path);
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw corrupt(path);
      }
      for (let k = 0; k < pendingPaths.length; k++) files.loadAt(pendingPaths[k], pendingAt[k], groups === 0);
      if (groups++ > 0) appendedLines += pendingPaths.length;
      pendingPaths.length = 0;
      pendingAt.length = 0;
      validBytes = nl + 1;
    } else {
      const tab = buf.indexOf(9, i);
      if (tab < 0 || tab > nl) throw corrupt(path);
      let p: unknown = buf.toString('utf8', i, tab);
      if (buf[i] === 34 /* " */) {
        try {
          p = JSON.parse(p as string);
        } catch {
          throw corrupt(path);
        }
      }
      if (typeof p !== 'string' || p.charCodeAt(0) !== 47 /* / */) throw corrupt(path);
      pendingPaths.push(p);
      pendingAt.push(tab + 1);
    }
    i = nl + 1;
  }
  if (!head) return undefined;
  return { index: { v: 1, ...head, files }, state: { validBytes, appendedLines } };
}

function readLegacyJson(dir: string): PushIndex | undefined {
  const path = join(dir, '.cckit', 'index.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  let doc: IndexHead & { files?: Record<string, IndexEntry> };
  try {
    doc = JSON.parse(text);
  } catch {
    throw corrupt(path);
  }
  const head = checkHead(doc, path);
  const files = new IndexFiles();
  for (const [p, e] of Object.entries(doc.files ?? {})) files.set(p, e);
  files.changed.clear();
  return { v: 1, device: head.device, seq: head.seq, hash: head.hash, policy_seq: head.policy_seq, files };
}

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/**
 * Whether the file on disk is still the one `index` was read from or last
 * written as: false once another process pushed from this folder (it
 * appended or rewrote the log), and a long-running push must read it again.
 */
export function indexIsCurrent(dir: string, index: PushIndex): boolean {
  const state = logStates.get(index);
  if (!state) return false;
  try {
    const st = statSync(indexPath(dir));
    return st.ino === state.ino && st.size === state.validBytes;
  } catch {
    return false;
  }
}

/** This device's push index (a fresh one with a new device id when there is none). */
export function readIndex(dir: string): PushIndex {
  const path = indexPath(dir);
  let buf: Buffer | undefined;
  try {
    buf = readFileSync(path);
  } catch {
    buf = undefined;
  }
  if (buf !== undefined) {
    const parsed = parseIndexLog(buf, path);
    if (parsed) {
      parsed.state.ino = inodeOf(path);
      logStates.set(parsed.index, parsed.state);
      return parsed.index;
    }
  }
  const legacy = readLegacyJson(dir);
  if (legacy) return legacy;
  return { v: 1, device: randomBytes(8).toString('hex'), seq: 0, hash: null, policy_seq: 0, files: new IndexFiles() };
}

/**
 * Save the index: append what changed since reading (one write, one fsync),
 * or rewrite it compacted when there is no log yet or the appends outgrew it.
 */
export function writeIndex(dir: string, index: PushIndex): void {
  const path = indexPath(dir);
  const state = logStates.get(index);
  const appended = (state?.appendedLines ?? Infinity) + index.files.changed.size;
  if (state && appended <= Math.max(COMPACT_MIN_LINES, index.files.size / 4)) {
    const text = [...index.files.lines(index.files.changed)].join('') + headLine(index);
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_APPEND);
    } catch {
      logStates.delete(index); // gone since it was read: write it whole
      return writeIndex(dir, index);
    }
    try {
      // A torn group left by a crash is cut off first, or it would join this one.
      if (fstatSync(fd).size !== state.validBytes) ftruncateSync(fd, state.validBytes);
      const data = Buffer.from(text, 'utf8');
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    state.validBytes += Buffer.byteLength(text, 'utf8');
    state.appendedLines = appended;
    state.ino = inodeOf(path);
  } else {
    const text = MAGIC + '\n' + [...index.files.lines()].join('') + headLine(index);
    writeFileAtomic(path, Buffer.from(text, 'utf8'), { mode: 0o600, overwrite: true });
    logStates.set(index, { validBytes: Buffer.byteLength(text, 'utf8'), appendedLines: 0, ino: inodeOf(path) });
    try {
      unlinkSync(join(dir, '.cckit', 'index.json')); // the JSON index of earlier versions, now folded in
    } catch {
      /* there was none */
    }
  }
  index.files.changed.clear();
}
