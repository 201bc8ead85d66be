/**
 * The phone page: one static HTML document with its script and styles
 * inline (no build step, nothing from a CDN), served at `/` by the HTTP
 * surface. It speaks the wire protocol on /api/ws after sending the device
 * token from the URL fragment; all untrusted text is set with textContent,
 * control characters made visible. The script is hashed into the page's
 * Content-Security-Policy, so no other script can run.
 */

/** The page's script (kept apart so its CSP hash is computed from the same text). */
export const PAGE_SCRIPT = String.raw`
'use strict';
const $ = (s) => document.querySelector(s);
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = visible(text); return e; };
const visible = (s) => String(s).replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => c === '\x7f' ? '^?' : '^' + String.fromCharCode(c.charCodeAt(0) + 64));
const frag = new URLSearchParams(location.hash.slice(1));
if (frag.get('token')) { localStorage.setItem('cckit-token', frag.get('token')); history.replaceState(null, '', location.pathname); }
const token = localStorage.getItem('cckit-token');
let ws = null, nextId = 1, backoff = 500, who = '', caps = [];
const waiting = new Map();
let sessions = [];
let current = localStorage.getItem('cckit-session') || null;
let events = [];          // the open session's events, in seq order
let lastSeq = 0;          // highest seq seen for the open session
let tailId = null;
const queue = JSON.parse(localStorage.getItem('cckit-queue') || '[]'); // {localId, session, text, state, error}

function setConn(state, text) { const c = $('#conn'); c.dataset.state = state; c.textContent = text; }
function saveQueue() { localStorage.setItem('cckit-queue', JSON.stringify(queue.filter((q) => q.state !== 'sent').slice(-50))); }
function request(op, fields) {
  return new Promise((resolve, reject) => {
    if (!ws || ws.readyState !== 1) return reject(new Error('offline'));
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    ws.send(JSON.stringify(Object.assign({}, fields, { id, op })));
  });
}

function connect() {
  if (!token) { setConn('off', 'no token: open the link from cc-relay token add'); return; }
  setConn('connecting', 'connecting…');
  ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/ws');
  let hello = false;
  ws.onopen = () => ws.send(JSON.stringify({ op: 'auth', token }));
  ws.onmessage = (m) => {
    let msg; try { msg = JSON.parse(m.data); } catch { return; }
    if (!hello) { hello = true; who = msg.who; caps = msg.caps || []; backoff = 500; setConn('on', 'connected as ' + visible(who)); refresh(); if (current) openSession(current, true); flushQueue(); return; }
    if (msg.ev && msg.session === current) return onEvent(msg.ev);
    if (msg.end) return;
    const w = waiting.get(msg.id);
    if (w) { waiting.delete(msg.id); msg.ok ? w.resolve(msg) : w.reject(new Error(msg.error && msg.error.message || 'error')); }
  };
  ws.onclose = (e) => {
    for (const w of waiting.values()) w.reject(new Error('offline'));
    waiting.clear();
    if (e.code === 4401 || e.code === 4403) { setConn('off', e.code === 4403 ? 'token revoked' : 'token refused'); return; }
    setConn('off', 'offline, retrying…');
    setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 10000);
  };
}

function rank(s) { return s.pending.length ? 0 : s.state === 'running' ? 1 : s.state === 'idle' || s.state === 'starting' ? 2 : 3; }
async function refresh() {
  try { sessions = (await request('list', {})).sessions; } catch { return; }
  sessions.sort((a, b) => rank(a) - rank(b) || b.created - a.created);
  const list = $('#sessions'); list.replaceChildren();
  for (const s of sessions) {
    const b = el('button', 'session' + (s.session === current ? ' open' : ''));
    b.append(el('span', 'badge ' + (s.pending.length ? 'needs' : s.state), s.pending.length ? 'needs you' : s.state));
    b.append(el('span', 'cwd', s.cwd.split('/').slice(-2).join('/')));
    if (s.cost_usd !== null) b.append(el('span', 'cost', '$' + s.cost_usd.toFixed(4)));
    b.onclick = () => openSession(s.session, false);
    list.append(b);
  }
  const s = sessions.find((x) => x.session === current);
  if (s) $('#title').textContent = visible(s.cwd) + ' — ' + s.state;
}

function openSession(id, resume) {
  if (!resume || id !== current) { events = []; lastSeq = 0; }
  current = id; localStorage.setItem('cckit-session', id);
  $('#main').hidden = false;
  render();
  request('tail', { session: id, since: lastSeq, follow: true }).catch(() => {});
  refresh();
}

function onEvent(ev) {
  if (ev.seq <= lastSeq) return;   // exactly once, whatever the network did
  lastSeq = ev.seq; events.push(ev);
  if (events.length > 2000) events.splice(0, events.length - 2000);
  scheduleRender();
  if (ev.kind === 'permission' || ev.kind === 'decision' || ev.kind === 'state') refresh();
}
let renderTimer = null;
function scheduleRender() { if (!renderTimer) renderTimer = setTimeout(() => { renderTimer = null; render(); }, 30); }

function summary(input) {
  if (!input || typeof input !== 'object') return String(input);
  if (typeof input.command === 'string') return input.command;
  if (typeof input.file_path === 'string') return input.file_path;
  return JSON.stringify(input);
}
function detail(tool, input) {
  if (!input || typeof input !== 'object') return String(input);
  if (tool === 'Bash') return '$ ' + input.command;
  if (tool === 'Write') return input.file_path + '\n\n' + input.content;
  if (tool === 'Edit') return input.file_path + '\n\n- ' + String(input.old_string).split('\n').join('\n- ') + '\n+ ' + String(input.new_string).split('\n').join('\n+ ');
  return JSON.stringify(input, null, 2);
}

function render() {
  const out = $('#transcript'); out.replaceChildren();
  const decided = new Map();
  for (const ev of events) if (ev.kind === 'decision') decided.set(ev.request_id, ev);
  const items = [];
  for (const ev of events) {
    if (ev.kind === 'input') items.push(el('div', 'msg user', typeof ev.content === 'string' ? ev.content : JSON.stringify(ev.content)));
    else if (ev.kind === 'claude' && ev.msg && ev.msg.type === 'assistant') {
      for (const b of (ev.msg.message && ev.msg.message.content) || []) {
        if (b.type === 'text') items.push(el('div', 'msg assistant', b.text));
        else if (b.type === 'tool_use') { const d = el('details', 'tool'); d.append(el('summary', '', b.name + ': ' + summary(b.input).slice(0, 120))); d.append(el('pre', '', detail(b.name, b.input))); items.push(d); }
      }
    } else if (ev.kind === 'claude' && ev.msg && ev.msg.type === 'result') {
      const u = ev.msg.usage || {};
      items.push(el('div', 'result', (ev.msg.is_error ? 'turn ended: ' + ev.msg.subtype : 'done') + ' · $' + Number(ev.msg.total_cost_usd || 0).toFixed(4) + ' · ' + (u.input_tokens || 0) + ' in / ' + (u.output_tokens || 0) + ' out'));
    } else if (ev.kind === 'permission') {
      const d = decided.get(ev.request_id);
      const box = el('div', 'permission' + (d ? ' resolved' : ''));
      box.append(el('div', 'ptitle', (d ? '' : 'Needs you: ') + ev.tool));
      box.append(el('pre', 'pbody', detail(ev.tool, ev.input)));
      if (ev.deadline && !d) box.append(el('div', 'deadline', 'default ' + ev.default + ' at ' + new Date(ev.deadline).toLocaleTimeString()));
      if (d) box.append(el('div', 'decided', (d.behavior === 'allow' ? 'Allowed' : 'Denied') + ' by ' + d.who));
      else if (caps.includes('approve')) {
        const row = el('div', 'actions');
        const allow = el('button', 'allow', 'Approve'); allow.onclick = () => decide(ev.request_id, 'allow');
        const deny = el('button', 'deny', 'Deny'); deny.onclick = () => decide(ev.request_id, 'deny');
        row.append(allow, deny); box.append(row);
      }
      items.push(box);
    } else if (ev.kind === 'interrupt') items.push(el('div', 'note', 'interrupted by ' + ev.who));
  }
  for (const q of queue) {
    if (q.session !== current || q.state === 'sent') continue;
    const item = el('div', 'msg user queued ' + q.state, q.text + ' — ' + q.state + (q.error ? ': ' + q.error : ''));
    if (q.state === 'failed' && /^busy/.test(q.error || '') && caps.includes('send')) {
      const take = el('button', 'takeover', 'Take over and send');
      take.onclick = () => request('lease', { session: current, action: 'take', force: true })
        .then(() => { q.state = 'queued'; q.final = false; q.error = ''; saveQueue(); flushQueue(); }, (e) => alert(e.message));
      item.append(el('br'), take);
    }
    items.push(item);
  }
  items.reverse();  // the tail first
  out.append(...items);
}

async function decide(requestId, behavior) {
  try { await request('decide', { session: current, request_id: requestId, behavior }); }
  catch (e) { alert(e.message); }
}

async function flushQueue() {
  for (const q of queue) {
    if (q.state === 'sent' || (q.state === 'failed' && q.final)) continue;
    q.state = 'sending'; saveQueue(); render();
    try { await request('send', { session: q.session, text: q.text, localId: q.localId }); q.state = 'sent'; }
    catch (e) { q.state = e.message === 'offline' ? 'queued' : 'failed'; q.error = e.message; q.final = e.message !== 'offline'; }
    saveQueue(); render();
  }
}

$('#composer').onsubmit = (e) => {
  e.preventDefault();
  const text = $('#text').value.trim();
  if (!text || !current) return;
  queue.push({ localId: crypto.randomUUID(), session: current, text, state: 'queued' });
  $('#text').value = ''; saveQueue(); render(); flushQueue();
};
$('#stop').onclick = () => request('interrupt', { session: current }).catch((e) => alert(e.message));
setInterval(refresh, 5000);
connect();
`;

/** The whole document. */
export const PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cc-relay</title>
<style>
:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0; }
header { display: flex; gap: .5rem; align-items: center; padding: .5rem; border-bottom: 1px solid #8884; position: sticky; top: 0; background: Canvas; }
#conn { font-size: .8rem; padding: .2rem .5rem; border-radius: 1rem; }
#conn[data-state=on] { background: #2a2; color: #fff; } #conn[data-state=off] { background: #c33; color: #fff; } #conn[data-state=connecting] { background: #c90; color: #fff; }
#sessions { display: flex; gap: .3rem; overflow-x: auto; padding: .5rem; }
.session { display: flex; flex-direction: column; align-items: flex-start; min-width: 9rem; padding: .4rem; border: 1px solid #8886; border-radius: .5rem; background: none; color: inherit; }
.session.open { border-color: #36c; }
.badge { font-size: .7rem; text-transform: uppercase; } .badge.needs { color: #c33; font-weight: bold; } .badge.running { color: #c90; }
#title { font-size: .9rem; padding: 0 .5rem; }
#transcript { padding: .5rem; display: flex; flex-direction: column; gap: .4rem; }
.msg { white-space: pre-wrap; padding: .4rem .6rem; border-radius: .5rem; max-width: 95%; overflow-wrap: anywhere; }
.user { align-self: flex-end; background: #36c3; } .assistant { background: #8882; }
.queued { opacity: .7; font-style: italic; }
.tool summary { cursor: pointer; font-family: monospace; } pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: .3rem 0; }
.permission { border: 2px solid #c33; border-radius: .5rem; padding: .5rem; } .permission.resolved { border-color: #8886; }
.ptitle { font-weight: bold; } .actions { display: flex; gap: .5rem; }
.actions button { flex: 1; font-size: 1.3rem; padding: .8rem; border-radius: .5rem; border: 0; color: #fff; }
.allow { background: #2a2; } .deny { background: #c33; }
.result, .note, .deadline, .decided { font-size: .8rem; opacity: .8; }
form { display: flex; gap: .3rem; padding: .5rem; position: sticky; bottom: 0; background: Canvas; border-top: 1px solid #8884; }
#text { flex: 1; font-size: 1rem; padding: .5rem; } form button, #stop { font-size: 1rem; padding: .5rem .8rem; }
</style></head>
<body>
<header><strong>cc-relay</strong><span id="conn" data-state="connecting">connecting…</span></header>
<nav id="sessions"></nav>
<main id="main" hidden>
<div id="title"></div>
<form id="composer"><input id="text" autocomplete="off" placeholder="Message"><button type="submit">Send</button><button type="button" id="stop">Stop</button></form>
<section id="transcript"></section>
</main>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
