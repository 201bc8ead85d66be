// cc-session — Claude Code's sessions on this machine, read-only.
import { hostname } from 'node:os';
import { run, warn } from '../../lib/cli/run.ts';
import { parse } from '../../lib/cli/args.ts';
import { notFound, usageError } from '../../lib/cli/errors.ts';
import { parseJson, readInput, writeJson, writeLine } from '../../lib/cli/io.ts';
import { canonicalDir, projectSlug } from '../../lib/claude/slug.ts';
import {
  byNewest,
  findSessionFile,
  isUuid,
  listAll,
  listFolder,
  projectsDir,
  readSessionMeta,
  type SessionFile,
} from '../../lib/claude/sessions.ts';
import { currentSession } from '../../lib/claude/current.ts';
import { defaultHookCommand, hookStatus, installHook, readHookRecord, recordHookInput, uninstallHook } from '../../lib/claude/hook.ts';

const NAME = 'cc-session';
const USAGE = `Usage:
  cc-session [--project DIR]          the current session of a project (default: here)
  cc-session UUID                     one session, by id
  cc-session --list [--project DIR]   all sessions (or one project's), newest first
  cc-session hook install [--command CMD]
  cc-session hook uninstall | status
  cc-session hook record              run by Claude Code's SessionStart hook

Print Claude Code sessions of this machine as {"s":UUID,"h":HOST,"p":DIR,"mtime":S}:
one JSON document, or NDJSON with --list. Sessions are read, never changed,
from CLAUDE_CONFIG_DIR/projects (default ~/.claude/projects).

The current session is, in this order: the one Claude Code runs this command
in (CLAUDE_CODE_SESSION_ID), the one the SessionStart hook last recorded for
the project, the most recently written one of the project. Without --project
the project is this directory or the nearest parent below HOME that has sessions.

Options:
  -l, --list           all sessions, one JSON object per line, newest first
  -C, --project DIR    the project in DIR instead of the current directory
  --command CMD        hook install: the command line the hook runs
  -h, --help           show this help
  --version            show the version

Environment: CLAUDE_CONFIG_DIR, CLAUDE_CODE_SESSION_ID, CCKIT_STATE_DIR.
Exit status: 0 ok, 1 failure, 2 usage, 3 no session found.
`;

interface View {
  s: string;
  h: string;
  p: string | null;
  mtime: number;
}

function view(session: SessionFile, host: string, fallbackDir?: string): View {
  const cwd = readSessionMeta(session.file, session.folder).cwd ?? fallbackDir ?? null;
  return { s: session.id, h: host, p: cwd, mtime: Math.floor(session.mtimeMs / 1000) };
}

const noneHint = () => `start one with 'claude' in the project, or see 'cc-session --list' (sessions are read from ${projectsDir()})`;

function list(project: string | undefined): number {
  const root = projectsDir();
  const problems: string[] = [];
  const sessions = project
    ? listFolder(root, projectSlug(canonicalDir(project)), problems, true).sort(byNewest)
    : listAll(root, problems);
  for (const p of problems) warn(NAME, p);
  if (sessions.length === 0) {
    throw notFound('ERR_NO_SESSION', project ? `no Claude Code session for ${canonicalDir(project)}` : `no Claude Code sessions in ${root}`, noneHint());
  }
  const host = hostname();
  for (const s of sessions) writeLine(JSON.stringify(view(s, host)));
  return 0;
}

function one(id: string): number {
  const root = projectsDir();
  const session = findSessionFile(root, id);
  if (!session) throw notFound('ERR_NO_SESSION', `no session ${id.toLowerCase()} in ${root}`, "see 'cc-session --list'");
  const v = view(session, hostname());
  if (v.p === null) warn(NAME, `${session.file} records no project directory`);
  writeJson(v);
  return 0;
}

function current(project: string | undefined): number {
  const dir = canonicalDir(project ?? process.cwd());
  const found = currentSession(project);
  if (!found) throw notFound('ERR_NO_SESSION', `no Claude Code session for ${dir}`, noneHint());
  writeJson(view(found.session, hostname(), found.dir));
  return 0;
}

async function hook(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'install': {
      const { flags } = parse(NAME, rest, { command: { type: 'string' } });
      if (flags.command !== undefined && flags.command.trim() === '') throw usageError('--command needs a command line');
      writeJson(installHook(flags.command ?? defaultHookCommand()));
      return 0;
    }
    case 'uninstall':
      parse(NAME, rest, {});
      writeJson(uninstallHook());
      return 0;
    case 'status': {
      parse(NAME, rest, {});
      const status = hookStatus();
      writeJson({ ...status, current: readHookRecord(canonicalDir(process.cwd())) ?? null });
      return 0;
    }
    case 'record': {
      parse(NAME, rest, {});
      // Claude Code adds a SessionStart hook's stdout to the conversation: print nothing.
      recordHookInput(parseJson(await readInput(NAME, 'the SessionStart hook JSON from Claude Code'), 'hook JSON'));
      return 0;
    }
    case undefined:
      throw usageError('hook needs a command', 'cc-session hook install|uninstall|status|record');
    default:
      throw usageError(`unknown hook command '${sub}'`, 'cc-session hook install|uninstall|status|record');
  }
}

run(NAME, USAGE, async (argv) => {
  if (argv[0] === 'hook') return hook(argv.slice(1));
  const { flags, positionals } = parse(
    NAME,
    argv,
    { list: { type: 'boolean', short: 'l' }, project: { type: 'string', short: 'C' } },
    { maxPositionals: 1, noPositionalsWith: ['list', 'project'] },
  );
  const id = positionals[0];
  if (id !== undefined) {
    if (!isUuid(id)) throw usageError(`not a session id: '${id}'`, 'a session id is a UUID; see cc-session --list');
    return one(id);
  }
  if (flags.project !== undefined && flags.project === '') throw usageError('--project needs a directory');
  return flags.list ? list(flags.project) : current(flags.project);
});
