// cc-resume's logic (lib/claude/resume.ts, lib/claude/exec.ts): input, the
// directory to enter, the argv, and exec with the child's exit status.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyLink, parseResumeInput, planResume, syncHint } from '../../lib/claude/resume.ts';
import { execHandover } from '../../lib/claude/exec.ts';
import { projectSlug } from '../../lib/claude/slug.ts';
import { CliError, EXIT } from '../../lib/cli/errors.ts';

const S = '0a1b2c3d-0000-4000-8000-00000000abcd';
const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
const isCli = (exit: number, code: string) => (e: unknown) => e instanceof CliError && e.exitCode === exit && e.code === code;

function world() {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'cckit-resume-')));
  made.push(base);
  const root = join(base, 'claude', 'projects');
  const proj = join(base, 'proj');
  mkdirSync(proj);
  const folder = join(root, projectSlug(proj));
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${S}.jsonl`);
  writeFileSync(file, JSON.stringify({ type: 'user', cwd: proj, sessionId: S }) + '\n');
  return { base, root, proj, file };
}

test('input: cc-open output, a payload, a bare id, a JSON string', () => {
  const payload = { s: S, h: 'laptop', p: '/home/me/app' };
  assert.deepEqual(parseResumeInput(JSON.stringify({ v: 1, from: 'pk:x', burn: false, payload }), 'stdin'), { id: S, host: 'laptop', project: '/home/me/app' });
  assert.deepEqual(parseResumeInput(JSON.stringify(payload) + '\n', 'stdin'), { id: S, host: 'laptop', project: '/home/me/app' });
  assert.deepEqual(parseResumeInput(`  ${S.toUpperCase()}\n`, 'stdin'), { id: S });
  assert.deepEqual(parseResumeInput(JSON.stringify(S), 'argument'), { id: S });
  assert.deepEqual(parseResumeInput(JSON.stringify({ s: S, h: '', p: '' }), 'stdin'), { id: S });
});

test('an id that is not a UUID is refused: exit 4 from stdin (a record), 2 as an argument', () => {
  for (const id of ['--dangerously-skip-permissions', '-x', '--resume=x', `${S} --print`, `../${S}`]) {
    assert.throws(() => parseResumeInput(JSON.stringify({ payload: { s: id } }), 'stdin'), isCli(EXIT.AUTH, 'ERR_BAD_SESSION_ID'), id);
    assert.throws(() => parseResumeInput(id, 'stdin'), isCli(EXIT.AUTH, 'ERR_BAD_SESSION_ID'), id);
    assert.throws(() => parseResumeInput(id, 'argument'), isCli(EXIT.USAGE, 'ERR_BAD_SESSION_ID'), id);
  }
  assert.throws(() => parseResumeInput(JSON.stringify({ payload: { s: 42 } }), 'stdin'), isCli(EXIT.AUTH, 'ERR_BAD_SESSION_ID'));
  assert.throws(() => parseResumeInput('{"payload":{"h":"x"}}', 'stdin'), isCli(EXIT.AUTH, 'ERR_BAD_PAYLOAD'));
  assert.throws(() => parseResumeInput('{"payload":[1]}', 'stdin'), isCli(EXIT.AUTH, 'ERR_BAD_PAYLOAD'));
  assert.throws(() => parseResumeInput(`{"s":"${S}","p":"relative/dir"}`, 'stdin'), isCli(EXIT.AUTH, 'ERR_BAD_PAYLOAD'));
  assert.throws(() => parseResumeInput('{"s":', 'stdin'), isCli(EXIT.FAILURE, 'ERR_BAD_JSON'));
  assert.throws(() => parseResumeInput(' \n', 'stdin'), isCli(EXIT.FAILURE, 'ERR_EMPTY_INPUT'));
});

test('plan: the payload directory when it exists, claude --resume ID, extra args appended', () => {
  const w = world();
  const plan = planResume({ id: S, project: w.proj }, { root: w.root, claudeBin: 'claude', extraArgs: ['-p', 'continue'] });
  assert.deepEqual(plan, { cwd: w.proj, argv: ['claude', '--resume', S, '-p', 'continue'], file: w.file, link: undefined });
});

test('plan: a payload directory missing here falls back to the cwd recorded in the session', () => {
  const w = world();
  const plan = planResume({ id: S, project: '/nowhere/on/this/machine' }, { root: w.root, claudeBin: '/opt/claude' });
  assert.equal(plan.cwd, w.proj);
  assert.equal(plan.link, undefined);
});

test("plan: a record's p naming another existing directory (p:'/') neither moves claude nor links the session", () => {
  const w = world();
  for (const p of ['/', tmpdir()]) {
    const plan = planResume({ id: S, project: p }, { root: w.root, claudeBin: 'claude' });
    assert.equal(plan.cwd, w.proj);
    assert.equal(plan.link, undefined);
    assert.equal(plan.file, w.file);
  }
});

test('plan: with no cwd recorded, p is used only when it matches the folder the session is filed under', () => {
  const w = world();
  writeFileSync(w.file, JSON.stringify({ type: 'user', sessionId: S, message: { role: 'user', content: 'hi' } }) + '\n');
  assert.equal(planResume({ id: S, project: w.proj }, { root: w.root, claudeBin: 'claude' }).cwd, w.proj);
  assert.throws(() => planResume({ id: S, project: '/' }, { root: w.root, claudeBin: 'claude' }), isCli(EXIT.NOT_FOUND, 'ERR_NO_PROJECT_DIR'));
});

test('plan: a recorded cwd filed under another folder is not linked without --cwd', () => {
  const w = world();
  const other = realpathSync(mkdtempSync(join(tmpdir(), 'cckit-other-')));
  made.push(other);
  writeFileSync(w.file, JSON.stringify({ type: 'user', sessionId: S, cwd: other, message: { role: 'user', content: 'hi' } }) + '\n');
  assert.throws(
    () => planResume({ id: S }, { root: w.root, claudeBin: 'claude' }),
    (e) => isCli(EXIT.FAILURE, 'ERR_CWD_MISMATCH')(e) && /--cwd/.test((e as CliError).hint!),
  );
  const plan = planResume({ id: S }, { root: w.root, claudeBin: 'claude', cwdOverride: other });
  assert.ok(plan.link);
});

test('plan: neither directory exists: exit 3, naming both and --cwd', () => {
  const w = world();
  rmSync(w.proj, { recursive: true });
  assert.throws(
    () => planResume({ id: S, project: '/nowhere' }, { root: w.root, claudeBin: 'claude' }),
    (e) => isCli(EXIT.NOT_FOUND, 'ERR_NO_PROJECT_DIR')(e) && /\/nowhere or .*proj/.test((e as Error).message) && /--cwd/.test((e as CliError).hint!),
  );
});

test('plan: no session file: exit 3 with a hint on syncing from the sending host', () => {
  const w = world();
  assert.throws(
    () => planResume({ id: 'ffffffff-0000-4000-8000-000000000000', host: 'laptop' }, { root: w.root, claudeBin: 'claude' }),
    (e) => isCli(EXIT.NOT_FOUND, 'ERR_NO_SESSION')(e) && /rsync -a laptop:\.claude\/projects\//.test((e as CliError).hint!),
  );
  assert.match(syncHint('evil; rm -rf /', '/c'), /OTHER-HOST:/);
  assert.match(syncHint(undefined, '/c'), /Syncthing/);
});

test('plan --cwd elsewhere: a relative symlink makes the session visible there; applyLink creates it once', () => {
  const w = world();
  const checkout = join(w.base, 'checkout');
  mkdirSync(checkout);
  const plan = planResume({ id: S }, { root: w.root, claudeBin: 'claude', cwdOverride: checkout });
  assert.equal(plan.cwd, checkout);
  assert.deepEqual(plan.link, { path: join(w.root, projectSlug(checkout), `${S}.jsonl`), target: `../${projectSlug(w.proj)}/${S}.jsonl` });
  applyLink(plan);
  assert.equal(readlinkSync(plan.link!.path), plan.link!.target);
  // The next time the link is there already: nothing to do.
  const again = planResume({ id: S }, { root: w.root, claudeBin: 'claude', cwdOverride: checkout });
  assert.equal(again.link, undefined);
  assert.throws(() => planResume({ id: S }, { root: w.root, claudeBin: 'claude', cwdOverride: join(w.base, 'missing') }), isCli(EXIT.NOT_FOUND, 'ERR_NO_DIR'));
});

test('plan --cwd: something else in the way of the link is never replaced', () => {
  const w = world();
  const checkout = join(w.base, 'checkout');
  mkdirSync(checkout);
  mkdirSync(join(w.root, projectSlug(checkout), `${S}.jsonl`), { recursive: true });
  assert.throws(() => planResume({ id: S }, { root: w.root, claudeBin: 'claude', cwdOverride: checkout }), isCli(EXIT.FAILURE, 'ERR_LINK_EXISTS'));
});

test('exec: the child runs in the directory and its exit status becomes ours', async () => {
  const w = world();
  const out = join(w.base, 'pwd.txt');
  const code = await execHandover(['sh', '-c', `pwd > '${out}'; exit 7`], { cwd: w.proj, stdin: 'ignore' });
  assert.equal(code, 7);
  assert.equal(realpathSync(readFileSync(out, 'utf8').trim()), w.proj);
  assert.equal(await execHandover(['true'], { cwd: w.proj, stdin: 'inherit' }), 0);
});

test('exec: a missing binary is a clear error, not a crash', async () => {
  await assert.rejects(execHandover(['/nonexistent/claude'], { cwd: '/', stdin: 'ignore' }), isCli(EXIT.FAILURE, 'ERR_NO_CLAUDE'));
});
