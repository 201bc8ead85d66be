#!/usr/bin/env node
// A stand-in for `claude` in stream-json mode, for the relay benchmarks only
// (the tests use the real CLI). Each user message "emit N [GAP_MS]" prints N
// assistant lines, each stamped with performance.timeOrigin + now() at the
// moment it is written, then a result line. The relay's cost is what is
// measured, not a model's.
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';

const now = () => performance.timeOrigin + performance.now();
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let chain = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  let msg;
  try { msg = JSON.parse(line); } catch { return; }
  if (msg.type !== 'user') return;
  const [, n, gap] = String(msg.message.content).split(' ');
  chain = chain.then(async () => {
    for (let i = 0; i < Number(n); i++) {
      out({ type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text: `line ${i}` }] }, ts: now() });
      if (Number(gap) > 0) await sleep(Number(gap));
      else if (i % 500 === 499) await new Promise((r) => setImmediate(r)); // let the pipe drain like a real writer
    }
    out({ type: 'result', subtype: 'success', is_error: false, num_turns: 1, total_cost_usd: 0, usage: { input_tokens: 0, output_tokens: 0 } });
  });
});
