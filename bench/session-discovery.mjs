#!/usr/bin/env node
// cc-session on a large Claude Code history: the current session, --list, and
// `cc-resume --print`, against `node -e 0`, interleaved so noise hits both.
// The history: PROJECTS folders × SESSIONS files, each file starting with a
// 1 MiB line (discovery must read bounded slices, not whole files).
// Usage: node bench/session-discovery.mjs [runs] [projects] [sessions-per-project]
// Needs a build (node build.mjs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 15);
const projects = Number(process.argv[3] ?? 40);
const perProject = Number(process.argv[4] ?? 25);
const home = realpathSync(mkdtempSync(join(tmpdir(), 'cckit-bench-session-')));
const claude = join(home, '.claude');
const env = { ...process.env, HOME: home, CLAUDE_CONFIG_DIR: claude, CCKIT_NO_TTY: '1', XDG_STATE_HOME: join(home, '.state') };
delete env.CLAUDE_CODE_SESSION_ID;

const bigLine = JSON.stringify({ type: 'summary', text: 'x'.repeat(1 << 20) }) + '\n';
let lastDir;
let lastId;
for (let p = 0; p < projects; p++) {
  const dir = join(home, 'src', `project-${p}`);
  mkdirSync(dir, { recursive: true });
  const folder = join(claude, 'projects', dir.replace(/[^A-Za-z0-9]/g, '-'));
  mkdirSync(folder, { recursive: true });
  for (let s = 0; s < perProject; s++) {
    const id = randomUUID();
    const line = JSON.stringify({ type: 'user', cwd: dir, sessionId: id, message: { role: 'user', content: 'hi' } }) + '\n';
    writeFileSync(join(folder, `${id}.jsonl`), (s % 5 === 0 ? bigLine : '') + line);
    lastDir = dir;
    lastId = id;
  }
}

function time(args, cwd) {
  const t = process.hrtime.bigint();
  const r = spawnSync(args[0], args.slice(1), { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const bin = (c) => join(root, 'bin', c);
const cases = [
  ['cc-session', [bin('cc-session')], lastDir],
  ['cc-session --list', [bin('cc-session'), '--list'], home],
  ['cc-resume --print', [bin('cc-resume'), '--print', lastId], home],
];

console.log(`${projects * perProject} sessions in ${projects} projects; median of ${runs} runs (ms); reference: node -e 0`);
const result = {};
for (const [name, args, cwd] of cases) {
  for (let i = 0; i < 2; i++) time(args, cwd);
  const ref = [];
  const mine = [];
  for (let i = 0; i < runs; i++) {
    ref.push(time([process.execPath, '-e', '0'], cwd));
    mine.push(time(args, cwd));
  }
  result[name] = { ms: +median(mine).toFixed(1), ratio: +(median(mine) / median(ref)).toFixed(2) };
  console.log(`${name.padEnd(20)} ${median(mine).toFixed(1).padStart(7)} ms   node -e 0 ${median(ref).toFixed(1).padStart(6)} ms   ratio ${(median(mine) / median(ref)).toFixed(2)}x`);
}
rmSync(home, { recursive: true, force: true });
process.stdout.write(JSON.stringify({ bench: 'session-discovery', sessions: projects * perProject, ...result }) + '\n');
