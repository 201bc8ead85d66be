// The SessionStart hook (lib/claude/hook.ts): settings.json edits that keep
// the user's settings, and the per-project records the hook writes.
import { after, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HOOK_TIMEOUT,
  defaultHookCommand,
  hookStatus,
  installHook,
  readHookRecord,
  recordHookInput,
  settingsPath,
  shellQuote,
  uninstallHook,
} from '../../lib/claude/hook.ts';
import { CliError } from '../../lib/cli/errors.ts';

const S = '0a1b2c3d-0000-4000-8000-00000000abcd';
const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
let base: string;

beforeEach(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'cckit-hook-')));
  made.push(base);
  process.env.CLAUDE_CONFIG_DIR = join(base, 'claude');
  process.env.CCKIT_STATE_DIR = join(base, 'state');
});

const CMD = '/opt/cckit/bin/cc-session hook record';
const read = () => JSON.parse(readFileSync(settingsPath(), 'utf8'));
const write = (v: unknown) => {
  mkdirSync(process.env.CLAUDE_CONFIG_DIR!, { recursive: true });
  writeFileSync(settingsPath(), typeof v === 'string' ? v : JSON.stringify(v, null, 2));
};

test('install into a missing settings.json creates the documented shape', () => {
  const r = installHook(CMD);
  assert.equal(r.changed, true);
  assert.deepEqual(read(), { hooks: { SessionStart: [{ hooks: [{ type: 'command', command: CMD, timeout: HOOK_TIMEOUT }] }] } });
  assert.equal(statSync(settingsPath()).mode & 0o777, 0o600);
  assert.deepEqual(hookStatus(), { installed: true, settings: settingsPath(), command: CMD, records: join(base, 'state', 'sessions') });
});

test("install keeps the user's settings, hooks and other SessionStart entries, in order", () => {
  const user = {
    model: 'opus',
    permissions: { allow: ['Bash(git *)'] },
    hooks: {
      PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'audit.sh' }] }],
      SessionStart: [{ matcher: 'startup', hooks: [{ type: 'command', command: 'load-env.sh' }] }],
    },
    env: { FOO: 'bar' },
  };
  write(user);
  chmodSync(settingsPath(), 0o644);
  installHook(CMD);
  const after1 = read();
  assert.deepEqual(Object.keys(after1), ['model', 'permissions', 'hooks', 'env']);
  assert.deepEqual(after1.hooks.PreToolUse, user.hooks.PreToolUse);
  assert.deepEqual(after1.hooks.SessionStart[0], user.hooks.SessionStart[0]);
  assert.equal(after1.hooks.SessionStart[1].hooks[0].command, CMD);
  assert.equal(statSync(settingsPath()).mode & 0o777, 0o644, 'the file keeps its mode');
  // Idempotent, and uninstall gives back exactly what the user had.
  assert.equal(installHook(CMD).changed, false);
  assert.equal(read().hooks.SessionStart.length, 2);
  assert.equal(uninstallHook().changed, true);
  assert.deepEqual(read(), user);
  assert.equal(uninstallHook().changed, false);
  assert.equal(hookStatus().installed, false);
});

test('install updates the command of an entry from an older location', () => {
  write({ hooks: { SessionStart: [{ hooks: [{ type: 'command', command: "'/old place/bin/cc-session' hook record", timeout: 10 }] }] } });
  assert.equal(hookStatus().installed, true);
  const r = installHook(CMD);
  assert.equal(r.changed, true);
  assert.equal(read().hooks.SessionStart.length, 1);
  assert.equal(read().hooks.SessionStart[0].hooks[0].command, CMD);
});

test('uninstall removes only our hook and drops what becomes empty', () => {
  write({ hooks: { SessionStart: [{ hooks: [{ type: 'command', command: CMD }, { type: 'command', command: 'mine.sh' }] }] } });
  uninstallHook();
  assert.deepEqual(read(), { hooks: { SessionStart: [{ hooks: [{ type: 'command', command: 'mine.sh' }] }] } });
  write({ theme: 'dark', hooks: { SessionStart: [{ hooks: [{ type: 'command', command: 'cc-session hook record' }] }] } });
  uninstallHook();
  assert.deepEqual(read(), { theme: 'dark' });
});

test('a settings.json that is not valid JSON, or has odd shapes, is never overwritten', () => {
  for (const bad of ['{"model": "opus",', '[1,2]', '{"hooks": []}', '{"hooks": {"SessionStart": {}}}']) {
    write(bad);
    assert.throws(() => installHook(CMD), (e) => e instanceof CliError && e.code === 'ERR_SETTINGS', bad);
    assert.equal(readFileSync(settingsPath(), 'utf8'), bad);
  }
  assert.deepEqual(readdirSync(process.env.CLAUDE_CONFIG_DIR!), ['settings.json'], 'no temp files left behind');
});

test('a symlinked settings.json (dotfiles) is edited through the link, which stays a link', () => {
  const dotfiles = join(base, 'dotfiles');
  mkdirSync(dotfiles);
  writeFileSync(join(dotfiles, 'settings.json'), '{"theme":"light"}');
  mkdirSync(process.env.CLAUDE_CONFIG_DIR!, { recursive: true });
  symlinkSync(join(dotfiles, 'settings.json'), settingsPath());
  installHook(CMD);
  assert.equal(JSON.parse(readFileSync(join(dotfiles, 'settings.json'), 'utf8')).theme, 'light');
  assert.equal(JSON.parse(readFileSync(join(dotfiles, 'settings.json'), 'utf8')).hooks.SessionStart.length, 1);
  assert.ok(readdirSync(process.env.CLAUDE_CONFIG_DIR!, { withFileTypes: true })[0].isSymbolicLink());
});

test('the default hook command points at this cc-session by absolute path, shell-quoted', () => {
  assert.equal(defaultHookCommand('/usr/local/bin/cc-session'), '/usr/local/bin/cc-session hook record');
  assert.equal(defaultHookCommand('/My Tools/cckit/dist/cc-session.js'), "'/My Tools/cckit/bin/cc-session' hook record");
  assert.equal(defaultHookCommand('relative/cc-session'), 'cc-session hook record');
  assert.equal(defaultHookCommand('/usr/bin/node-script'), 'cc-session hook record');
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
});

test('record stores the hook input per project; readHookRecord checks it', () => {
  const proj = join(base, 'proj');
  mkdirSync(proj);
  const input = {
    session_id: S.toUpperCase(),
    transcript_path: `/x/.claude/projects/p/${S}.jsonl`,
    cwd: proj,
    hook_event_name: 'SessionStart',
    source: 'resume',
  };
  const rec = recordHookInput(input);
  assert.equal(rec.s, S);
  assert.equal(rec.p, proj);
  assert.equal(rec.source, 'resume');
  assert.deepEqual(readHookRecord(proj), rec);
  assert.equal(readHookRecord(join(base, 'other')), undefined);
  const files = readdirSync(join(base, 'state', 'sessions'));
  assert.equal(files.length, 1);
  assert.equal(statSync(join(base, 'state', 'sessions', files[0])).mode & 0o777, 0o600);
});

test('record refuses input that is not a SessionStart payload', () => {
  for (const bad of [null, [], 'x', { cwd: '/p' }, { session_id: '-x', cwd: '/p' }, { session_id: S }, { session_id: S, cwd: 'rel' }]) {
    assert.throws(() => recordHookInput(bad), (e) => e instanceof CliError && e.code === 'ERR_HOOK_INPUT', JSON.stringify(bad));
  }
});
