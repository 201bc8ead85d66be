/**
 * From "what to resume" (cc-open output, a payload, or a bare id) to "what to
 * run where": the directory to enter and the argv of `claude --resume <id>`.
 *
 * Claude Code looks for `<id>.jsonl` only in the project folder of the
 * directory it runs in (checked against claude 2.1.x: from any other
 * directory `claude --resume <id>` says "No conversation found"), so the
 * directory must be the one the session is filed under. When it cannot be
 * (the project lives at another path on this machine, --cwd), a symlink in
 * that directory's project folder makes the same file visible there; claude
 * appends through it, so the session stays one file that syncs back.
 */
import { lstatSync, mkdirSync, realpathSync, statSync, symlinkSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { CliError, EXIT } from '../cli/errors.ts';
import { canonicalDir, projectSlug } from './slug.ts';
import { findSessionFile, isUuid, readSessionMeta } from './sessions.ts';

/** The session to resume, as parsed from the input: its lower-case id and, when given, the sending host and project path. */
export interface ResumeTarget {
  id: string;
  /** Where the session was handed off from (payload `h`), for messages. */
  host?: string;
  /** The project directory on the sending machine (payload `p`). */
  project?: string;
}

/** Where the resume input came from: stdin (someone's record, so bad ids are exit 4) or an argument (a typo, exit 2). */
export type InputSource = 'stdin' | 'argument';

/**
 * Parse cc-open output `{"payload":{"s","h","p"},…}`, a payload `{"s","h","p"}`,
 * or a bare session id. Input from stdin comes from a record someone else
 * made, so a bad id there is an integrity failure (exit 4), not a typo (2).
 */
export function parseResumeInput(text: string, source: InputSource): ResumeTarget {
  const bad = (code: string, message: string, hint?: string) =>
    new CliError(code, message, source === 'stdin' ? EXIT.AUTH : EXIT.USAGE, hint);
  const trimmed = text.trim();
  if (trimmed === '') throw new CliError('ERR_EMPTY_INPUT', 'empty input: expected cc-open output, a payload or a session id', EXIT.FAILURE);

  let value: unknown = trimmed;
  if (trimmed.startsWith('{') || trimmed.startsWith('"')) {
    try {
      value = JSON.parse(trimmed);
    } catch {
      throw new CliError('ERR_BAD_JSON', 'input is not valid JSON: expected cc-open output, a payload or a session id', EXIT.FAILURE);
    }
  }
  if (typeof value === 'string') {
    if (!isUuid(value)) throw bad('ERR_BAD_SESSION_ID', `not a session id: ${printable(value)}`, 'a session id is a UUID such as 0a1b2c3d-…; see cc-session --list');
    return { id: value.toLowerCase() };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw bad('ERR_BAD_PAYLOAD', 'input is neither cc-open output, a payload nor a session id');
  }
  const outer = value as Record<string, unknown>;
  const payload = (outer.payload !== undefined ? outer.payload : outer) as Record<string, unknown>;
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw bad('ERR_BAD_PAYLOAD', 'the payload is not a JSON object');
  if (payload.s === undefined) throw bad('ERR_BAD_PAYLOAD', 'the payload has no session id ("s")');
  if (!isUuid(payload.s)) throw bad('ERR_BAD_SESSION_ID', `the session id in the input is not a UUID: ${printable(String(payload.s))}`, 'the record may have been made by something other than cc-session; nothing was run');
  const target: ResumeTarget = { id: payload.s.toLowerCase() };
  if (payload.p !== undefined && payload.p !== null && payload.p !== '') {
    if (typeof payload.p !== 'string' || !isAbsolute(payload.p) || payload.p.includes('\0')) {
      throw bad('ERR_BAD_PAYLOAD', 'the project path in the input is not an absolute path');
    }
    target.project = payload.p;
  }
  if (typeof payload.h === 'string' && payload.h !== '') target.host = payload.h;
  return target;
}

/** For messages: short, one line, no control characters. */
function printable(s: string): string {
  const clean = s.replace(/[\x00-\x1f\x7f]/g, '?');
  return JSON.stringify(clean.length > 60 ? clean.slice(0, 60) + '…' : clean);
}

/** What cc-resume does: the directory and argv to run, the session file, and a symlink to create first when needed. */
export interface ResumePlan {
  /** Directory to run claude in. */
  cwd: string;
  /** argv of the claude process, binary first. */
  argv: string[];
  /** The session file claude will append to. */
  file: string;
  /** A symlink to create first so claude finds the session from `cwd`: path -> target (relative). */
  link?: { path: string; target: string };
}

/** Inputs to planResume besides the target: the projects root, the claude binary, extra arguments and a --cwd override. */
export interface PlanOptions {
  /** `${CLAUDE_CONFIG_DIR}/projects` */
  root: string;
  claudeBin: string;
  /** Appended after `--resume <id>` (what came after `--`). */
  extraArgs?: string[];
  /** --cwd: run here instead of the payload's or the recorded directory. */
  cwdOverride?: string;
}

function isDir(path: string | undefined): path is string {
  if (!path) return false;
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** How to get a session from another machine: the hint for a missing file. */
export function syncHint(host: string | undefined, configDir: string): string {
  const from = host && /^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(host) ? host : 'OTHER-HOST';
  return (
    `Claude Code keeps sessions on the machine that ran them: sync ${configDir}/projects here first ` +
    `(Syncthing or a shared mount, or: rsync -a ${from}:.claude/projects/ ${configDir}/projects/)`
  );
}

/** Find the session file and where to run `claude --resume <id>` (--cwd, payload project, recorded cwd); exit 3 if file or directory is missing. */
export function planResume(target: ResumeTarget, opts: PlanOptions): ResumePlan {
  const { id } = target;
  const wanted = target.project ? projectSlug(canonicalDir(target.project)) : undefined;
  const found = findSessionFile(opts.root, id, wanted);
  if (!found) {
    throw new CliError(
      'ERR_NO_SESSION',
      `session ${id} is not on this machine (no ${id}.jsonl under ${opts.root})`,
      EXIT.NOT_FOUND,
      syncHint(target.host, opts.root.replace(/\/projects$/, '')),
    );
  }
  const recorded = readSessionMeta(found.file, found.folder).cwd;

  let dir: string;
  if (opts.cwdOverride !== undefined) {
    if (!isDir(opts.cwdOverride)) {
      throw new CliError('ERR_NO_DIR', `not a directory: ${opts.cwdOverride}`, EXIT.NOT_FOUND);
    }
    dir = resolve(opts.cwdOverride);
  } else if (isDir(target.project)) {
    dir = target.project;
  } else if (isDir(recorded)) {
    dir = recorded;
  } else {
    const where = [target.project, recorded].filter((d, i, a) => d && a.indexOf(d) === i).join(' or ');
    throw new CliError(
      'ERR_NO_PROJECT_DIR',
      where ? `the project directory does not exist here: ${where}` : `session ${id} records no project directory`,
      EXIT.NOT_FOUND,
      'check out or sync the project to that path, or pass --cwd DIR to resume in your copy of it',
    );
  }

  const cwd = canonicalDir(dir);
  const folder = projectSlug(cwd);
  let file = found.file;
  let link: ResumePlan['link'];
  if (folder !== found.folder) {
    const path = join(opts.root, folder, `${id}.jsonl`);
    const here = entryAt(path);
    if (here === 'file') {
      file = path; // a copy (or link) is already filed under this directory: claude will use that
    } else if (here === 'none') {
      // Relative, so the link survives the folder being synced to a machine with another HOME.
      const target = found.symlink ? realpathSync(found.file) : `../${found.folder}/${id}.jsonl`;
      link = { path, target };
    } else {
      throw new CliError('ERR_LINK_EXISTS', `${path} exists and is not a session file; not replacing it`, EXIT.FAILURE, 'move it aside and run cc-resume again');
    }
  }
  return { cwd, argv: [opts.claudeBin, '--resume', id, ...(opts.extraArgs ?? [])], file, link };
}

/** What is at `path`: a session file (or a link to one), nothing, or something else (a dangling link, a folder). */
function entryAt(path: string): 'file' | 'none' | 'other' {
  try {
    lstatSync(path);
  } catch {
    return 'none';
  }
  try {
    return statSync(path).isFile() ? 'file' : 'other';
  } catch {
    return 'other';
  }
}

/** Create the plan's symlink (and its project folder) if it has one. */
export function applyLink(plan: ResumePlan): void {
  if (!plan.link) return;
  const { path, target } = plan.link;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    symlinkSync(target, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CliError('ERR_LINK', `cannot link the session into ${dirname(path)}: ${code}`, EXIT.FAILURE);
  }
}
