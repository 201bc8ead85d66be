#!/usr/bin/env node
// One unlock per user action (issue 7 item 12): `cc-pickup --print` with an
// encrypted key against the same pickup with a plaintext key, interleaved in
// the same run on a local testnet. Argon2id (64 MiB, t=3) runs once for the
// whole pipeline, so the ratio is that one unlock over a pickup. Target ≤ 1.2×.
//
//   node bench/unlock-once.mjs [runs]
//
// Everything runs on 127.0.0.1: the testnet is a cc-testnet child process,
// and CCKIT_TEST_NO_PUBLIC=1 makes any public address an error.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.argv[2] ?? 7);
const PASS = 'bench-passphrase-tangerine-octopus';
const bin = (c) => join(root, 'bin', c);
const work = mkdtempSync(join(tmpdir(), 'cckit-bench-unlock-'));

const testnet = spawn(bin('cc-testnet'), ['--nodes', '12', '--ttl', '300'], { stdio: ['ignore', 'pipe', 'inherit'] });
const [first] = await once(testnet.stdout, 'data');
const { bootstrap } = JSON.parse(first.toString().split('\n')[0]);

/** A machine: its own HOME with a key (encrypted or not), a session, a published handoff. */
function machine(name, encrypted) {
  const home = join(work, name);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const env = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.state'),
    CLAUDE_CONFIG_DIR: join(home, '.claude'),
    CCKIT_BOOTSTRAP: bootstrap,
    CCKIT_TEST_NO_PUBLIC: '1',
    CCKIT_NO_TTY: '1',
  };
  for (const k of ['CCKIT_KEY_FILE', 'CCKIT_PASSPHRASE', 'CCKIT_CONFIG_DIR', 'CCKIT_STATE_DIR', 'CCKIT_KEY_FD']) delete env[k];
  if (encrypted) env.CCKIT_PASSPHRASE = PASS;
  execFileSync(bin('cc-key'), encrypted ? ['init'] : ['init', '--no-passphrase'], { env, stdio: 'ignore' });
  const proj = join(home, 'app');
  mkdirSync(proj);
  const cwd = realpathSync(proj);
  const sid = randomUUID();
  const dir = join(home, '.claude', 'projects', cwd.replace(/[^A-Za-z0-9]/g, '-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${sid}.jsonl`), JSON.stringify({ type: 'user', sessionId: sid, cwd, message: { role: 'user', content: 'hi' } }) + '\n');
  execFileSync(bin('cc-handoff'), ['--ttl', '600'], { env, cwd, stdio: 'ignore' });
  return { env, sid };
}

function time({ env, sid }) {
  const t = process.hrtime.bigint();
  const r = spawnSync(bin('cc-pickup'), ['--print', '--json', '--wait', '10'], { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`cc-pickup failed: ${r.stderr}`);
  return ms;
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

try {
  const plain = machine('plain', false);
  const enc = machine('encrypted', true);
  time(plain);
  time(enc); // warm the page cache and the routing cache
  const p = [];
  const e = [];
  for (let i = 0; i < runs; i++) {
    p.push(time(plain));
    e.push(time(enc));
  }
  const ratio = median(e) / median(p);
  console.log(`cc-pickup --print, median of ${runs} interleaved runs on a 12-node local testnet`);
  console.log(
    `encrypted key ${median(e).toFixed(0).padStart(5)} ms   plaintext key ${median(p).toFixed(0).padStart(5)} ms   ratio ${ratio.toFixed(2)}x ${ratio <= 1.2 ? '(target <= 1.2x met)' : '(target <= 1.2x MISSED)'}`,
  );
} finally {
  testnet.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
