/**
 * The authz file (`DIR/.cckit/authz`, svn style): `[/path]` sections of
 * `NAME = r|w|rw` lines (NAME a peer name or pk:…, `*` every peer the file
 * names, an empty right denies). Most specific section wins; within one
 * section a peer's own line and `*` add up; unlisted is denied. Edits keep
 * the user's comments and order.
 */
import { CliError, EXIT, usageError } from '../cli/errors.ts';

/** A right: read, write, both, or none (an explicit deny). */
export type Right = '' | 'r' | 'w' | 'rw';

/** One `NAME = right` line. */
export interface AuthzRule {
  who: string;
  right: Right;
  line: number;
}

/** One `[/path]` section. */
export interface AuthzSection {
  path: string;
  rules: AuthzRule[];
  line: number;
}

/** Normalise a space path: leading `/`, no trailing `/`, no `.`/`..`/empty parts. */
export function normalizeSpacePath(input: string): string {
  const parts = input.split('/').filter((p) => p !== '');
  for (const p of parts) {
    if (p === '.' || p === '..' || /[\x00-\x1f\x7f\\]/.test(p)) throw usageError(`bad path '${input}'`, 'paths are like /notes or /docs/a.md');
  }
  return '/' + parts.join('/');
}

/** Pull stages what it fetches in a top-level folder named so: no path of a space may be there. */
export const INCOMING_PREFIX = '.cckit-incoming-';

/** Whether a file's space path is one every reader's pull accepts, exactly as written (push leaves others out). */
export function isFilePath(path: string): boolean {
  let normal: string;
  try {
    normal = normalizeSpacePath(path);
  } catch {
    return false;
  }
  return normal === path && path !== '/' && !path.split('/')[1].startsWith(INCOMING_PREFIX);
}

/** Check a right string. */
export function parseRight(s: string, where = 'right'): Right {
  const t = s.trim();
  if (t === '' || t === 'r' || t === 'w' || t === 'rw') return t as Right;
  if (t === 'wr') return 'rw';
  throw usageError(`bad ${where} '${s}'`, 'a right is r, w or rw');
}

/** Parse the authz text; errors name the line. */
export function parseAuthz(text: string, file = 'authz'): AuthzSection[] {
  const sections: AuthzSection[] = [];
  let cur: AuthzSection | undefined;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const bad = (why: string) => new CliError('ERR_AUTHZ', `${file}:${i + 1}: ${why}`, EXIT.FAILURE);
    const sec = /^\[(.*)\]$/.exec(line);
    if (sec) {
      let path: string;
      try {
        path = normalizeSpacePath(sec[1].trim().replace(/^[^:/]*:/, '')); // svn's [repo:/path] form: the repo part is ignored
      } catch {
        throw bad(`bad section '[${sec[1]}]'`);
      }
      if (!sec[1].trim().includes('/')) throw bad(`bad section '[${sec[1]}]' (sections are paths like [/notes])`);
      if (sections.some((s) => s.path === path)) throw bad(`section [${path}] appears twice`);
      cur = { path, rules: [], line: i + 1 };
      sections.push(cur);
      return;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw bad(`expected [/path] or NAME = r|w|rw, got '${line.slice(0, 60)}'`);
    if (!cur) throw bad('a rule before any [/path] section');
    const who = line.slice(0, eq).trim();
    if (who === '' || /\s/.test(who)) throw bad(`bad name '${who}'`);
    let right: Right;
    try {
      right = parseRight(line.slice(eq + 1), 'right');
    } catch {
      throw bad(`bad right '${line.slice(eq + 1).trim()}' (r, w or rw)`);
    }
    cur.rules.push({ who, right, line: i + 1 });
  });
  return sections;
}

/** The effective right of `who` (a resolved name) at a section path, walking up to the root. */
export function rightAt(sections: AuthzSection[], path: string, matches: (who: string) => boolean): Right {
  for (let p: string | undefined = path; p !== undefined; p = parentPath(p)) {
    const s = sections.find((x) => x.path === p);
    if (!s) continue;
    const rules = s.rules.filter((r) => r.who === '*' || matches(r.who));
    if (rules.length === 0) continue;
    const r = rules.some((x) => x.right.includes('r'));
    const w = rules.some((x) => x.right.includes('w'));
    return ((r ? 'r' : '') + (w ? 'w' : '')) as Right;
  }
  return '';
}

/** The parent of a space path, or undefined for the root. */
export function parentPath(p: string): string | undefined {
  if (p === '/') return undefined;
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

/** Set `who = right` in section `path` (adding the section or line as needed); returns the new text. */
export function setRule(text: string, path: string, who: string, right: Right): string {
  const sections = parseAuthz(text);
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const s = sections.find((x) => x.path === path);
  if (!s) {
    if (lines.length && lines[lines.length - 1].trim() !== '') lines.push('');
    lines.push(`[${path}]`, `${who} = ${right}`);
    return lines.join('\n') + '\n';
  }
  const rule = s.rules.find((r) => r.who === who);
  if (rule) {
    lines[rule.line - 1] = `${who} = ${right}`;
  } else {
    const after = s.rules.length ? s.rules[s.rules.length - 1].line : s.line;
    lines.splice(after, 0, `${who} = ${right}`);
  }
  return lines.join('\n') + '\n';
}

/** Remove `who`'s lines (in one section, or everywhere); returns the new text and how many went. */
export function removeRules(text: string, who: string, path?: string): { text: string; removed: number } {
  const sections = parseAuthz(text);
  const drop = new Set<number>();
  for (const s of sections) {
    if (path !== undefined && s.path !== path) continue;
    for (const r of s.rules) if (r.who === who) drop.add(r.line);
  }
  const lines = text.replace(/\n$/, '').split('\n').filter((_, i) => !drop.has(i + 1));
  return { text: lines.join('\n') + '\n', removed: drop.size };
}
