#!/usr/bin/env node
// Cold start of the plumbing commands as a ratio to `node -e 0`, measured in
// the same run, interleaved so machine noise hits both alike.
// Target (issue 7 item 13): ≤ 1.3× for every plumbing command's --version and
// for cc-key whoami, cc-seal and cc-open on a small record.
// Usage: node bench/startup.mjs [runs]
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 30);
const home = mkdtempSync(join(tmpdir(), 'cckit-bench-'));
const env = { ...process.env, HOME: home, CCKIT_NO_TTY: '1', XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, '.state') };
delete env.CCKIT_KEY_FILE;
const bin = (c) => join(root, 'bin', c);

execFileSync(bin('cc-key'), ['init', '--no-passphrase'], { env, stdio: 'ignore' });
const payload = JSON.stringify({ s: '0b6f9d2e-5a4c-4e0b-9a53-2f7f2c1b8e11', h: 'laptop', p: '/home/me/project', mtime: 1 });
const PLUMBING = ['cc-key', 'cc-seal', 'cc-open', 'cc-dht-put', 'cc-dht-get', 'cc-testnet', 'cc-session', 'cc-resume', 'cc-pair', 'cc-relay', 'cc-context'];
const TARGET = 1.3;
const cases = PLUMBING.map((c) => [`${c} --version`, bin(c), ['--version'], undefined]);
cases.push(['cc-key whoami', bin('cc-key'), ['whoami'], undefined]);
let record;
try {
  record = execFileSync(bin('cc-seal'), [], { env, input: payload });
  cases.push(['cc-seal', bin('cc-seal'), [], payload]);
  cases.push(['cc-open', bin('cc-open'), [], record]);
} catch {
  console.error('bench: cc-seal/cc-open not available, measuring cc-key only');
}

function time(cmd, args, input) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, input, stdio: ['pipe', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return ms;
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

console.log(`startup, median of ${runs} interleaved runs (ms); reference: node -e 0`);
let worst = 0;
for (const [name, cmd, args, input] of cases) {
  const ref = [];
  const mine = [];
  for (let i = 0; i < 3; i++) time(cmd, args, input); // warm the page cache
  for (let i = 0; i < runs; i++) {
    ref.push(time(process.execPath, ['-e', '0']));
    mine.push(time(cmd, args, input));
  }
  const ratio = median(mine) / median(ref);
  worst = Math.max(worst, ratio);
  console.log(`${name.padEnd(22)} ${median(mine).toFixed(1).padStart(6)} ms   node -e 0 ${median(ref).toFixed(1).padStart(6)} ms   ratio ${ratio.toFixed(2)}x ${ratio <= TARGET ? `(target <= ${TARGET}x met)` : `(target <= ${TARGET}x MISSED)`}`);
}
console.log(`worst ratio ${worst.toFixed(2)}x (target <= ${TARGET}x)`);
rmSync(home, { recursive: true, force: true });
