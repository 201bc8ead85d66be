// `cc-context watch`: from one file changed among a folder's thousands to its
// push done (the watch's NDJSON line for it), timed in this process, which
// makes the change. The watch's --delay (quiet time before a push, default
// 100 ms) is part of the figure. Prints the median in seconds, then each run.
//
//   node bench/context-watch.mjs DIR FILE [RUNS]      (the environment names the key)
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [dir, file, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 5);
const watch = spawn('cc-context', ['watch', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
const lines = createInterface({ input: watch.stdout });
const waiting = [];
lines.on('line', (l) => waiting.shift()?.(JSON.parse(l)));
const next = () => new Promise((resolve) => waiting.push(resolve));
const limit = setTimeout(() => {
  console.error('context-watch: no push within 120 s');
  process.exit(1);
}, 120_000);
watch.on('exit', (code) => {
  if (waiting.length > 0) {
    console.error(`context-watch: cc-context watch exited (${code})`);
    process.exit(1);
  }
});

await next(); // the first push: the whole folder, compared with the index
const times = [];
for (let i = 0; i < runs; i++) {
  await new Promise((r) => setTimeout(r, 300)); // settled, as an edit some time after the last
  const pushed = next();
  const t0 = process.hrtime.bigint();
  appendFileSync(file, `changed by the watch bench ${i}\n`);
  const r = await pushed;
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  if (r.pushed !== 1) throw new Error(`expected one file pushed, got ${JSON.stringify(r.paths)}`);
}
clearTimeout(limit);
watch.kill('SIGTERM');
const sorted = [...times].sort((a, b) => a - b);
console.log(`${sorted[Math.floor(sorted.length / 2)].toFixed(3)} ${times.map((t) => t.toFixed(3)).join(' ')}`);
