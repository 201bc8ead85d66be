/**
 * lib/claude/ — Claude Code's own files and process: sessions, slugs, the
 * SessionStart hook, resume. May import cli/.
 *
 * Discovery of Claude Code sessions, read-only:
 * `${CLAUDE_CONFIG_DIR}/projects/<slug>/<uuid>.jsonl`, one JSON object per
 * line; the lines carry `cwd` and `sessionId`.
 *
 * Session files grow to many megabytes and a line can be huge (pasted
 * files, tool output), so only bounded slices are read: a small head, a
 * larger head if needed, then the tail. Nothing here reads a whole file. A
 * folder that cannot be read, a file whose name is not a UUID or a line that
 * is not JSON is skipped and, where it matters, reported, never fatal.
 */
import { closeSync, fstatSync, lstatSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, sep } from 'node:path';
import { claudeConfigDir } from '../config.ts';
import { CliError, EXIT } from '../cli/errors.ts';
import { projectSlug } from './slug.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SESSION_FILE_RE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i;

/** A session id is a UUID: nothing else, so it can never turn into a flag or a path. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}

/** `${CLAUDE_CONFIG_DIR:-~/.claude}/projects` */
export function projectsDir(): string {
  return join(claudeConfigDir(), 'projects');
}

/** One session file found on disk: its id, path, project folder, mtime, size and whether it is a symlink. */
export interface SessionFile {
  id: string;
  /** Absolute path of the .jsonl file. */
  file: string;
  /** Name of the project folder (a slug) the file is in. */
  folder: string;
  mtimeMs: number;
  size: number;
  /** The directory entry is a symlink (a view of a session kept elsewhere). */
  symlink: boolean;
}

/** Collects what discovery had to skip, so a command can warn about it. */
export type Problems = string[];

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/**
 * The sessions in one project folder. A missing folder is simply empty;
 * an unreadable one is reported in `problems`, or thrown when `strict`.
 */
export function listFolder(root: string, folder: string, problems: Problems, strict = false): SessionFile[] {
  const dir = join(root, folder);
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    if (strict) {
      throw new CliError('ERR_UNREADABLE', `cannot read ${dir}: ${code}`, EXIT.FAILURE, 'check the folder\'s permissions');
    }
    problems.push(`cannot read ${dir}: ${code}`);
    return [];
  }
  const out: SessionFile[] = [];
  for (const entry of entries) {
    const m = SESSION_FILE_RE.exec(entry.name);
    if (!m || entry.isDirectory()) continue; // agent-*.jsonl, memory/, <uuid>/ subfolders, stray files
    const file = join(dir, entry.name);
    try {
      const st = statSync(file);
      if (!st.isFile()) continue;
      out.push({ id: m[1].toLowerCase(), file, folder, mtimeMs: st.mtimeMs, size: st.size, symlink: entry.isSymbolicLink() });
    } catch {
      // A dangling symlink or a file removed while we looked: not a session.
    }
  }
  return out;
}

/** Names of the project folders (anything in projects/ that is not a plain file). */
export function listFolders(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((e) => !e.isFile())
      .map((e) => e.name)
      .sort();
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT') return [];
    throw new CliError('ERR_UNREADABLE', `cannot read ${root}: ${code}`, EXIT.FAILURE);
  }
}

/** Newest first; equal times in id order so output is stable. */
export function byNewest(a: SessionFile, b: SessionFile): number {
  return b.mtimeMs - a.mtimeMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Every session under `root`, newest first, each id once: a symlink that
 * cc-resume made to show a session in a second project folder is the same
 * session, so the real file stands for it.
 */
export function listAll(root: string, problems: Problems): SessionFile[] {
  const all: SessionFile[] = [];
  for (const folder of listFolders(root)) all.push(...listFolder(root, folder, problems));
  all.sort((a, b) => Number(a.symlink) - Number(b.symlink) || byNewest(a, b));
  const seen = new Set<string>();
  return all.filter((s) => !seen.has(s.id) && seen.add(s.id)).sort(byNewest);
}

/**
 * Find `<id>.jsonl` in any project folder. One stat per folder, no reading.
 * Preference when there are several: the folder `preferFolder`, then a real
 * file over a symlink, then the newest.
 */
export function findSessionFile(root: string, id: string, preferFolder?: string): SessionFile | undefined {
  const name = `${id.toLowerCase()}.jsonl`;
  const found: SessionFile[] = [];
  const folders = listFolders(root);
  if (preferFolder && folders.includes(preferFolder)) {
    const hit = statSession(root, preferFolder, name);
    if (hit) return hit;
  }
  for (const folder of folders) {
    const hit = statSession(root, folder, name);
    if (hit) found.push(hit);
  }
  found.sort((a, b) => Number(a.symlink) - Number(b.symlink) || byNewest(a, b));
  return found[0];
}

function statSession(root: string, folder: string, name: string): SessionFile | undefined {
  const file = join(root, folder, name);
  try {
    const st = statSync(file);
    if (!st.isFile()) return undefined;
    const symlink = lstatSync(file).isSymbolicLink();
    return { id: name.slice(0, -'.jsonl'.length), file, folder, mtimeMs: st.mtimeMs, size: st.size, symlink };
  } catch {
    return undefined;
  }
}

// ---- reading metadata from bounded slices ---------------------------------

/** First look: the cwd is normally on the first few lines. */
export const HEAD_SMALL = 16 * 1024;
/** Second look when the first lines are large (attachments, summaries). */
export const HEAD_LARGE = 256 * 1024;
/** Last look: the end of the file, for files that start with a huge line. */
export const TAIL_BYTES = 64 * 1024;

/** What readSessionMeta found in a session file: its project directory and its session id, each when present. */
export interface SessionMeta {
  /** The project directory the session ran in (absolute), when found. */
  cwd?: string;
  sessionId?: string;
}

function readSlice(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length); // only the bytes read are returned
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

const NL = 0x0a;
const CWD_KEY = Buffer.from('"cwd"');
const SESSION_KEY = Buffer.from('"sessionId"');

/**
 * The complete lines of a slice, as zero-copy views: drop a partial first
 * line (a tail slice) and a partial last line (a head slice that does not
 * reach the end). Lines stay bytes: a huge line is never decoded.
 */
function completeLines(buf: Buffer, startsAtZero: boolean, reachesEnd: boolean): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  if (!startsAtZero) {
    const first = buf.indexOf(NL);
    if (first === -1) return lines;
    start = first + 1;
  }
  while (start < buf.length) {
    const end = buf.indexOf(NL, start);
    if (end === -1) {
      if (reachesEnd) lines.push(buf.subarray(start));
      break;
    }
    lines.push(buf.subarray(start, end));
    start = end + 1;
  }
  return lines;
}

interface Scan {
  cwds: string[];
  sessionId?: string;
}

function scan(lines: Buffer[], into: Scan): void {
  for (const line of lines) {
    // Only lines that can carry what we look for are decoded and parsed.
    if (line.indexOf(CWD_KEY) === -1 && (into.sessionId || line.indexOf(SESSION_KEY) === -1)) continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line.toString('utf8'));
    } catch {
      continue; // a line cut by a concurrent write, or not JSON at all
    }
    if (!obj || typeof obj !== 'object') continue;
    const rec = obj as Record<string, unknown>;
    if (typeof rec.cwd === 'string' && isAbsolute(rec.cwd) && !into.cwds.includes(rec.cwd)) into.cwds.push(rec.cwd);
    if (!into.sessionId && isUuid(rec.sessionId)) into.sessionId = rec.sessionId;
  }
}

/**
 * The session's project directory and id, from at most HEAD_LARGE +
 * TAIL_BYTES bytes of the file. When a session recorded several cwds, the
 * one whose slug names the folder wins: that is the directory Claude Code
 * files the session under, and so the one `claude --resume` must run in.
 */
export function readSessionMeta(file: string, folder?: string): SessionMeta {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return {};
  }
  try {
    const size = fstatSync(fd).size;
    const found: Scan = { cwds: [] };
    // Enough when a cwd is found that names the folder (or any cwd, without a folder to match).
    const settled = () => (folder ? found.cwds.some((c) => projectSlug(c) === folder) : found.cwds.length > 0);
    const head = (len: number) => {
      const buf = readSlice(fd, 0, Math.min(len, size));
      scan(completeLines(buf, true, buf.length >= size), found);
    };
    head(HEAD_SMALL);
    if (!settled() && size > HEAD_SMALL) head(HEAD_LARGE);
    if (!settled() && size > HEAD_LARGE) {
      const start = Math.max(HEAD_LARGE, size - TAIL_BYTES);
      scan(completeLines(readSlice(fd, start, size - start), false, true), found);
    }
    if (found.cwds.length === 0) return found.sessionId ? { sessionId: found.sessionId } : {};
    const match = folder ? found.cwds.find((c) => projectSlug(c) === folder) : undefined;
    return { cwd: match ?? found.cwds[0], sessionId: found.sessionId };
  } catch {
    return {};
  } finally {
    closeSync(fd);
  }
}

// ---- the current session ---------------------------------------------------

/** The part of a SessionStart hook record findCurrent uses: the session id and, when known, its transcript path. */
export interface HookRecordRef {
  s: string;
  transcript_path?: string;
}

/** Where findCurrent starts and which hints it may use: directory, walking up, the stop directory, the env session id and hook records. */
export interface CurrentOptions {
  /** Canonical (realpath) directory to start from. */
  dir: string;
  /** Also try parent directories, for a shell in a subfolder of the project. */
  walkUp?: boolean;
  /** Never walk up to this directory or above it (HOME: a session in ~ is not every project's). */
  stopAt?: string;
  /** CLAUDE_CODE_SESSION_ID: set by Claude Code for its Bash tool and hooks, so exact. */
  envSessionId?: string;
  /** The SessionStart hook's record for a directory, if any. */
  recordFor?: (dir: string) => HookRecordRef | undefined;
}

/** The session findCurrent chose, how it was chosen and for which directory. */
export interface Current {
  session: SessionFile;
  /** How it was chosen: Claude Code's env, the hook's record, or the newest file. */
  via: 'env' | 'hook' | 'mtime';
  /** The directory the choice was made for. */
  dir: string;
}

/** `dir`, then (with walkUp) its parents, stopping below `stopAt` and `/`. */
export function candidateDirs(dir: string, walkUp: boolean, stopAt?: string): string[] {
  const out = [dir];
  if (!walkUp) return out;
  const limit = stopAt && (dir === stopAt || dir.startsWith(stopAt.endsWith(sep) ? stopAt : stopAt + sep)) ? stopAt : undefined;
  for (let d = dirname(dir); d !== dirname(d); d = dirname(d)) {
    if (limit !== undefined && d.length <= limit.length) break;
    out.push(d);
  }
  return out;
}

/**
 * The session the user most likely means, in order of reliability: the one
 * Claude Code says we are running inside (env), the one the SessionStart hook
 * last recorded for the project (when its file is there), the newest file of
 * the project folder. With walkUp the same is tried for each parent.
 */
export function findCurrent(root: string, opts: CurrentOptions): Current | undefined {
  if (isUuid(opts.envSessionId)) {
    const session = findSessionFile(root, opts.envSessionId, projectSlug(opts.dir));
    if (session) return { session, via: 'env', dir: opts.dir };
  }
  const problems: Problems = [];
  for (const dir of candidateDirs(opts.dir, !!opts.walkUp, opts.stopAt)) {
    const folder = projectSlug(dir);
    const rec = opts.recordFor?.(dir);
    if (rec && isUuid(rec.s)) {
      const session = sessionAt(root, rec) ?? findSessionFile(root, rec.s, folder);
      if (session) return { session, via: 'hook', dir };
    }
    // Only the starting directory's folder must be readable; a parent's problem is not ours.
    const sessions = listFolder(root, folder, problems, dir === opts.dir).sort(byNewest);
    if (sessions.length > 0) return { session: sessions[0], via: 'mtime', dir };
  }
  return undefined;
}

/** The hook's transcript_path, trusted only inside projects/ and only if it is that session's file. */
function sessionAt(root: string, rec: HookRecordRef): SessionFile | undefined {
  const path = rec.transcript_path;
  if (!path || !path.startsWith(root + sep)) return undefined;
  const rest = path.slice(root.length + 1).split(sep);
  if (rest.length !== 2 || rest[1].toLowerCase() !== `${rec.s.toLowerCase()}.jsonl`) return undefined;
  return statSession(root, rest[0], rest[1]);
}
