#!/usr/bin/env node
// Claude Code's own direct-connect client — the Agent SDK's
// DirectConnectTransport — against a cc:// URL, for the relay's tests.
// Run with `node --experimental-websocket` on Node 20 (the SDK needs a global
// WebSocket). Reads the cc:// URL from the CC_URL environment variable (it
// holds a token: never in argv).
//
//   CC_URL=cc://127.0.0.1:PORT/TOKEN node --experimental-websocket direct-connect-client.mjs CWD TEXT [allow|deny]
//
// Creates a session (POST /sessions), sends TEXT as a user message, answers
// the first can_use_tool request with allow or deny, prints every message it
// receives as NDJSON and exits 0 after the first `result`. Exit 1 with the
// error message on stderr when the transport fails (a wrong token, say).
// Bounded: gives up after 60 s.
import { DirectConnectTransport, parseDirectConnectUrl } from '@anthropic-ai/claude-agent-sdk';

const [cwd, text, answer] = process.argv.slice(2);
const { serverUrl, authToken } = parseDirectConnectUrl(process.env.CC_URL ?? '');
setTimeout(() => {
  console.error('direct-connect-client: timed out');
  process.exit(2);
}, 60_000).unref();

const transport = new DirectConnectTransport({ serverUrl, authToken, cwd, deleteSessionOnClose: true });
try {
  await transport.ready;
} catch (err) {
  console.error(`direct-connect-client: ${err.message}`);
  process.exit(1);
}
console.log(JSON.stringify({ type: 'cc_client', session_id: transport.getSessionId(), work_dir: transport.getWorkDir() }));
await transport.write(JSON.stringify({ type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null, session_id: '' }) + '\n');
for await (const msg of transport.readMessages()) {
  console.log(JSON.stringify(msg));
  if (msg.type === 'control_request' && msg.request?.subtype === 'can_use_tool' && answer) {
    const response = answer === 'allow' ? { behavior: 'allow', updatedInput: msg.request.input } : { behavior: 'deny', message: 'denied from the direct-connect client' };
    await transport.write(JSON.stringify({ type: 'control_response', response: { subtype: 'success', request_id: msg.request_id, response } }) + '\n');
  }
  if (msg.type === 'result') break;
}
transport.close();
setTimeout(() => process.exit(0), 200);
