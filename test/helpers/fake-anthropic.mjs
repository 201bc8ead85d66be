#!/usr/bin/env node
// A fake Anthropic Messages API, just enough for the real `claude` CLI to run
// offline in tests (DESIGN.md §10). It binds 127.0.0.1 on a free port, prints
// the port on stdout (one line), logs every request it gets as NDJSON, and
// exits on its own after --timeout seconds so a forgotten server never
// outlives the test run.
//
//   node test/helpers/fake-anthropic.mjs [--log FILE] [--timeout S] [--reply TEXT] [--bash CMD] [--tool NAME=JSON]... [--script FILE]
//
// Every POST /v1/messages answers with a streamed (SSE) text reply: "REPLY #n"
// where n counts the messages requests, so a test can tell turns apart.
// Plain JSON is returned when the request does not ask for a stream (the CLI
// makes small side requests, e.g. for titles, without stream:true).
// With --bash CMD the first request that offers the Bash tool is answered
// with a tool_use running CMD (stop_reason tool_use); the CLI runs it (allow
// it with --allowedTools Bash) and sends the result, which gets a text reply.
// That is how a test runs a command inside a real Claude Code session.
// With --tool NAME=JSON (repeatable) the requests are answered, in order,
// with a tool_use of NAME (e.g. an MCP tool, mcp__SERVER__TOOL) and that
// input, each on the first request that offers a tool of that name; the
// tool's result then arrives in the next request (see claude-log.mjs).
// With --script FILE (a JSON array) each streamed request that offers tools
// takes the next step: {"text":T} a text reply, {"tool":NAME,"input":{…}} a
// tool_use (the CLI runs the tool, asking permission as configured, and sends
// the result as the next request), {"hang":true} a reply that starts and then
// never finishes (until the client gives up: a turn to interrupt). Past the
// end of the script, requests get the usual "REPLY #n".
import { createServer } from 'node:http';
import { appendFileSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    log: { type: 'string' },
    timeout: { type: 'string', default: '60' },
    reply: { type: 'string', default: 'REPLY' },
    bash: { type: 'string' },
    tool: { type: 'string', multiple: true },
    script: { type: 'string' },
  },
});
const timeoutMs = Math.max(1, Number(opts.timeout) || 60) * 1000;
let messageCount = 0;
let bashSent = false;
const toolScript = (opts.tool ?? []).map((spec) => {
  const eq = spec.indexOf('=');
  const optional = spec.startsWith('?');
  return { name: spec.slice(optional ? 1 : 0, eq), input: JSON.parse(spec.slice(eq + 1)), optional };
});
let toolNext = 0;

/** The next scripted tool call, when this request offers that tool. */
function scriptedTool(json) {
  if (!json || !json.stream || !Array.isArray(json.tools)) return undefined;
  const offered = (name) => json.tools.some((x) => x && x.name === name);
  // A name written ?NAME is optional: skipped when this request does not offer
  // it (e.g. ?WaitForMcpServers, offered only while MCP servers still connect).
  while (toolNext < toolScript.length && toolScript[toolNext].optional && !offered(toolScript[toolNext].name)) toolNext += 1;
  if (toolNext >= toolScript.length) return undefined;
  const t = toolScript[toolNext];
  if (!offered(t.name)) return undefined;
  toolNext += 1;
  return t;
}
const script = opts.script ? JSON.parse(readFileSync(opts.script, 'utf8')) : [];

function log(entry) {
  if (opts.log) appendFileSync(opts.log, JSON.stringify({ t: Date.now(), ...entry }) + '\n');
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= 8 << 20) chunks.push(c); // requests carry the whole conversation; 8 MiB is plenty
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}

function sse(res, events) {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'request-id': `req_fake_${messageCount}`,
  });
  for (const [event, data] of events) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  res.end();
}

function messageEvents(id, model, block) {
  const usage = { input_tokens: 10, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const start = ['message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage } }];
  const end = (stop_reason) => [
    ['message_delta', { type: 'message_delta', delta: { stop_reason, stop_sequence: null }, usage: { output_tokens: 5 } }],
    ['message_stop', { type: 'message_stop' }],
  ];
  if (block.tool) {
    return [
      start,
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: `toolu_fake_${messageCount}`, name: block.tool, input: {} } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } }],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ...end('tool_use'),
    ];
  }
  return [
    start,
    ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
    ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: block.text } }],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    ...end('end_turn'),
  ];
}

/** The next --script step for a main-conversation request (streamed, with tools). */
function nextStep(json) {
  if (script.length === 0 || !json || !json.stream || !Array.isArray(json.tools) || json.tools.length === 0) return undefined;
  return script.shift();
}

/** Start a reply and never finish it: the client aborts (an interrupt) or the timeout ends it. */
function hang(res, id, model) {
  const [start, blockStart] = messageEvents(id, model, { text: '' });
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  for (const [event, data] of [start, blockStart]) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  res.write(`event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'thinking…' } })}\n\n`);
}

/** Answer with the --bash tool call once, on the first request that offers Bash. */
function wantsBash(json) {
  if (!opts.bash || bashSent || !json || !json.stream || !Array.isArray(json.tools)) return false;
  return json.tools.some((t) => t && t.name === 'Bash');
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const body = req.method === 'POST' ? await readBody(req) : '';
  let json;
  try {
    json = body ? JSON.parse(body) : undefined;
  } catch {
    json = undefined;
  }
  log({ method: req.method, path: url.pathname, query: url.search, body: json ?? body });

  if (req.method === 'HEAD' || (req.method === 'GET' && url.pathname === '/')) {
    res.writeHead(200).end();
    return;
  }
  if (req.method === 'POST' && url.pathname === '/v1/messages/count_tokens') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ input_tokens: 42 }));
    return;
  }
  if (req.method === 'POST' && url.pathname === '/v1/messages') {
    messageCount += 1;
    const id = `msg_fake_${messageCount}`;
    const model = (json && json.model) || 'claude-fake';
    const text = `${opts.reply} #${messageCount}`;
    const scripted = scriptedTool(json);
    const step = scripted ? undefined : nextStep(json);
    if (scripted) {
      sse(res, messageEvents(id, model, { tool: scripted.name, input: scripted.input }));
    } else if (step && step.hang) {
      hang(res, id, model);
    } else if (step && step.tool) {
      sse(res, messageEvents(id, model, { tool: step.tool, input: step.input ?? {} }));
    } else if (step) {
      sse(res, messageEvents(id, model, { text: String(step.text ?? text) }));
    } else if (wantsBash(json)) {
      bashSent = true;
      sse(res, messageEvents(id, model, { tool: 'Bash', input: { command: opts.bash, description: 'run the test command' } }));
    } else if (json && json.stream) {
      sse(res, messageEvents(id, model, { text }));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [{ type: 'text', text }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: 10, output_tokens: 5 },
        }),
      );
    }
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' }).end(
    JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: `no fake for ${req.method} ${url.pathname}` } }),
  );
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});

// Bounded life: stop after the timeout, or when asked to.
const stop = () => {
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
};
setTimeout(stop, timeoutMs).unref(); // the listening socket keeps the process alive until then
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
