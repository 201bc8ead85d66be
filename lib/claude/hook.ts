/**
 * The optional SessionStart hook: a more reliable answer to "which session
 * is current" than file times. Claude Code runs the hook command when a
 * session starts, resumes, is cleared or compacted, with JSON on stdin:
 *   {"session_id","transcript_path","cwd","hook_event_name":"SessionStart","source":"startup"|"resume"|…}
 * (checked against claude 2.1.x; it fires in -p mode too). `cc-session hook
 * record` stores that per project in the state dir; cc-session prefers it.
 *
 * Installing edits `${CLAUDE_CONFIG_DIR}/settings.json`:
 *   {"hooks":{"SessionStart":[{"hooks":[{"type":"command","command":"…","timeout":10}]}]}}
 * keeping every other key and hook as it was, written atomically.
 */
import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { claudeConfigDir, stateDir } from '../config.ts';
import { writeFileAtomic } from '../secure-file.ts';
import { CliError, EXIT } from '../cli/errors.ts';
import { canonicalDir, projectSlug } from './slug.ts';
import { isUuid } from './sessions.ts';

/** Seconds Claude Code waits for the hook; recording takes milliseconds. */
export const HOOK_TIMEOUT = 10;
/** How our entry is recognised among the user's hooks, whatever path the command has. */
const OURS = /(^|[\s/'"])cc-session['"]?\s+hook\s+record\b/;

/** `${CLAUDE_CONFIG_DIR}/settings.json`, the file our SessionStart hook is installed in. */
export function settingsPath(): string {
  return join(claudeConfigDir(), 'settings.json');
}

/** Shell-quote a path for the hook command line (Claude Code runs it with a shell). */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command line the hook runs: this cc-session by absolute path, so PATH in Claude's environment does not matter. */
export function defaultHookCommand(self: string | undefined = process.argv[1]): string {
  const bin = self && isAbsolute(self) && /cc-session(\.c?js)?$/.test(self) ? self : 'cc-session';
  // The bundle (dist/cc-session.cjs) is not executable by itself: point at the shim beside it.
  const shim = bin.replace(/\/dist\/cc-session\.c?js$/, '/bin/cc-session');
  return `${shellQuote(shim)} hook record`;
}

type Json = Record<string, unknown>;

interface Settings {
  path: string;
  /** The file that is really written (settings.json may be a dotfiles symlink). */
  target: string;
  data: Json;
  mode: number;
  exists: boolean;
}

function readSettings(): Settings {
  const path = settingsPath();
  let text: string;
  let target = path;
  let mode = 0o600;
  try {
    if (lstatSync(path).isSymbolicLink()) target = realpathSync(path);
    mode = statSync(target).mode & 0o777;
    text = readFileSync(target, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { path, target, data: {}, mode, exists: false };
    throw new CliError('ERR_SETTINGS', `cannot read ${path}: ${code ?? (err as Error).message}`, EXIT.FAILURE);
  }
  let data: unknown;
  try {
    data = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new CliError(
      'ERR_SETTINGS',
      `${path} is not valid JSON; not touching it`,
      EXIT.FAILURE,
      'fix the file (Claude Code will not read it either) and run the command again',
    );
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new CliError('ERR_SETTINGS', `${path} does not hold a JSON object; not touching it`, EXIT.FAILURE);
  }
  return { path, target, data: data as Json, mode, exists: true };
}

function writeSettings(s: Settings): void {
  writeFileAtomic(s.target, Buffer.from(JSON.stringify(s.data, null, 2) + '\n'), { mode: s.mode, overwrite: true });
}

/** The SessionStart matcher groups, validated; undefined when there are none. */
function sessionStartGroups(s: Settings): Json[] | undefined {
  const hooks = s.data.hooks;
  if (hooks === undefined) return undefined;
  if (!hooks || typeof hooks !== 'object' || Array.isArray(hooks)) {
    throw new CliError('ERR_SETTINGS', `"hooks" in ${s.path} is not an object; not touching it`, EXIT.FAILURE);
  }
  const groups = (hooks as Json).SessionStart;
  if (groups === undefined) return undefined;
  if (!Array.isArray(groups)) {
    throw new CliError('ERR_SETTINGS', `"hooks.SessionStart" in ${s.path} is not a list; not touching it`, EXIT.FAILURE);
  }
  return groups as Json[];
}

function isOurs(hook: unknown): boolean {
  return !!hook && typeof hook === 'object' && typeof (hook as Json).command === 'string' && OURS.test((hook as Json).command as string);
}

/** Our hook entries: [group index, hook index, command]. */
function findOurs(groups: Json[] | undefined): Array<[number, number, string]> {
  const out: Array<[number, number, string]> = [];
  (groups ?? []).forEach((g, gi) => {
    const list = g && typeof g === 'object' ? (g as Json).hooks : undefined;
    if (Array.isArray(list)) list.forEach((h, hi) => isOurs(h) && out.push([gi, hi, (h as Json).command as string]));
  });
  return out;
}

/** Whether our hook is installed, the settings file looked at, our hook's command (or null) and the records folder. */
export interface HookStatus {
  installed: boolean;
  settings: string;
  command: string | null;
  records: string;
}

/** Read settings.json (changing nothing) and report our hook; throws ERR_SETTINGS (exit 1) when the file is unreadable or not a JSON object. */
export function hookStatus(): HookStatus {
  const s = readSettings();
  const ours = findOurs(sessionStartGroups(s));
  return { installed: ours.length > 0, settings: s.path, command: ours[0]?.[2] ?? null, records: recordsDir() };
}

/** Add (or update) our SessionStart entry. Returns the status and whether the file changed. */
export function installHook(command: string = defaultHookCommand()): HookStatus & { changed: boolean } {
  const s = readSettings();
  const groups = sessionStartGroups(s);
  const ours = findOurs(groups);
  let changed = false;
  if (ours.length > 0) {
    // Already there: make sure it runs the command asked for (cckit may have moved).
    for (const [gi, hi] of ours) {
      const hook = ((groups![gi] as Json).hooks as Json[])[hi];
      if (hook.command !== command) {
        hook.command = command;
        changed = true;
      }
    }
  } else {
    const entry = { hooks: [{ type: 'command', command, timeout: HOOK_TIMEOUT }] };
    if (groups) groups.push(entry);
    else {
      if (s.data.hooks === undefined) s.data.hooks = {};
      (s.data.hooks as Json).SessionStart = [entry];
    }
    changed = true;
  }
  if (changed) writeSettings(s);
  return { installed: true, settings: s.path, command, records: recordsDir(), changed };
}

/** Remove our entries only; empty groups we leave behind are removed too. */
export function uninstallHook(): HookStatus & { changed: boolean } {
  const s = readSettings();
  const groups = sessionStartGroups(s);
  const ours = findOurs(groups);
  if (!groups || ours.length === 0) return { installed: false, settings: s.path, command: null, records: recordsDir(), changed: false };
  const touched = new Set(ours.map(([gi]) => gi));
  for (const gi of touched) {
    const g = groups[gi] as Json;
    g.hooks = (g.hooks as unknown[]).filter((h) => !isOurs(h));
  }
  const kept = groups.filter((g, gi) => !(touched.has(gi) && ((g as Json).hooks as unknown[]).length === 0));
  const hooks = s.data.hooks as Json;
  if (kept.length > 0) hooks.SessionStart = kept;
  else delete hooks.SessionStart;
  if (Object.keys(hooks).length === 0) delete s.data.hooks;
  writeSettings(s);
  return { installed: false, settings: s.path, command: null, records: recordsDir(), changed: true };
}

// ---- records -----------------------------------------------------------------

/** What the hook stored for a project: session id `s`, canonical project directory `p`, when it ran, and (when sound) the transcript path and source Claude Code sent. */
export interface HookRecord {
  s: string;
  p: string;
  transcript_path?: string;
  source?: string;
  /** Unix seconds when Claude Code ran the hook. */
  at: number;
}

/** The folder of hook records, one JSON file per project slug: `<state dir>/sessions`. */
export function recordsDir(): string {
  return join(stateDir(), 'sessions');
}

function recordPath(dir: string): string {
  return join(recordsDir(), `${projectSlug(dir)}.json`);
}

/** Store the hook's input. Validated: this runs inside Claude Code on whatever it sends. */
export function recordHookInput(input: unknown): HookRecord {
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    throw new CliError('ERR_HOOK_INPUT', 'hook input is not a JSON object', EXIT.FAILURE, 'this command is run by Claude Code\'s SessionStart hook');
  }
  const h = input as Json;
  if (!isUuid(h.session_id)) throw new CliError('ERR_HOOK_INPUT', 'hook input has no valid session_id', EXIT.FAILURE);
  if (typeof h.cwd !== 'string' || !isAbsolute(h.cwd)) throw new CliError('ERR_HOOK_INPUT', 'hook input has no absolute cwd', EXIT.FAILURE);
  const p = canonicalDir(h.cwd);
  const rec: HookRecord = { s: h.session_id.toLowerCase(), p, at: Math.floor(Date.now() / 1000) };
  if (typeof h.transcript_path === 'string' && isAbsolute(h.transcript_path)) rec.transcript_path = h.transcript_path;
  if (typeof h.source === 'string') rec.source = h.source.slice(0, 32);
  writeFileAtomic(recordPath(p), Buffer.from(JSON.stringify(rec) + '\n'), { overwrite: true });
  return rec;
}

/** The record for a (canonical) project directory, if there is a sound one. */
export function readHookRecord(dir: string): HookRecord | undefined {
  try {
    const rec = JSON.parse(readFileSync(recordPath(dir), 'utf8')) as HookRecord;
    // Slugs of different paths can collide ("a-b" and "a.b"): the record must be for this directory.
    return rec && isUuid(rec.s) && rec.p === dir ? rec : undefined;
  } catch {
    return undefined;
  }
}
