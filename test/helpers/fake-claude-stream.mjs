#!/usr/bin/env node
// A tiny stand-in for `claude` in stream-json mode, for fast unit tests of the
// relay's session logic only (the flows are tested with the real CLI in
// test/cli/cc-relay-*.bats). A user message "ask TOOL" makes it send a
// can_use_tool control request and report the answer it gets back as a
// result; anything else gets an assistant echo and a result. An interrupt
// control request is acknowledged.
import { createInterface } from 'node:readline';

const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
let n = 0;
createInterface({ input: process.stdin }).on('line', (line) => {
  const msg = JSON.parse(line);
  if (msg.type === 'user') {
    const text = String(msg.message.content);
    if (text.startsWith('ask ')) {
      out({ type: 'control_request', request_id: `req-${++n}`, request: { subtype: 'can_use_tool', tool_name: text.slice(4), input: { command: 'true' }, tool_use_id: `tu-${n}` } });
      return;
    }
    out({ type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text: `echo: ${text}` }] } });
    out({ type: 'result', subtype: 'success', is_error: false, num_turns: 1, total_cost_usd: 0.001, usage: { input_tokens: 3, output_tokens: 4 } });
  } else if (msg.type === 'control_response') {
    out({ type: 'result', subtype: 'success', is_error: false, result: JSON.stringify(msg.response.response), num_turns: 1, total_cost_usd: 0.002, usage: {} });
  } else if (msg.type === 'control_request' && msg.request.subtype === 'interrupt') {
    out({ type: 'control_response', response: { subtype: 'success', request_id: msg.request_id } });
  }
});
