#!/usr/bin/env node
// Reads the request log of fake-anthropic.mjs, for tests to assert on.
//   node test/helpers/claude-log.mjs LOG count      number of POST /v1/messages requests
//   node test/helpers/claude-log.mjs LOG turns N    the conversation sent in request N (1-based,
//                                                   -1 for the last): one "role: text" line per
//                                                   text block, Claude Code's <system-reminder>
//                                                   context blocks left out
//   node test/helpers/claude-log.mjs LOG results N  the text of every tool_result in request N,
//                                                   one line each: "[tool_result] text"
import { readFileSync } from 'node:fs';

const [log, what, nth] = process.argv.slice(2);
const requests = readFileSync(log, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l))
  .filter((e) => e.method === 'POST' && e.path === '/v1/messages');

if (what === 'count') {
  console.log(requests.length);
} else if (what === 'turns') {
  const n = Number(nth);
  const req = n < 0 ? requests[requests.length + n] : requests[n - 1];
  if (!req) {
    console.error(`claude-log: no request ${nth} (have ${requests.length})`);
    process.exit(1);
  }
  for (const m of req.body.messages ?? []) {
    const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    for (const b of blocks) {
      if (b.type === 'text' && !b.text.startsWith('<system-reminder>')) console.log(`${m.role}: ${b.text.replace(/\n/g, ' ')}`);
      else if (b.type === 'tool_use') console.log(`${m.role}: [tool_use ${b.name}]`);
      else if (b.type === 'tool_result') console.log(`${m.role}: [tool_result]`);
    }
  }
} else if (what === 'results') {
  const n = Number(nth);
  const req = n < 0 ? requests[requests.length + n] : requests[n - 1];
  if (!req) {
    console.error(`claude-log: no request ${nth} (have ${requests.length})`);
    process.exit(1);
  }
  for (const m of req.body.messages ?? []) {
    if (typeof m.content === 'string') continue;
    for (const b of m.content) {
      if (b.type !== 'tool_result') continue;
      const parts = typeof b.content === 'string' ? [b.content] : (b.content ?? []).filter((c) => c.type === 'text').map((c) => c.text);
      console.log(`[tool_result${b.is_error ? ' error' : ''}] ${parts.join(' ').replace(/\n/g, ' ')}`);
    }
  }
} else {
  console.error('usage: claude-log.mjs LOG count | turns N | results N');
  process.exit(2);
}
