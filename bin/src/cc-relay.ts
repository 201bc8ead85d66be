// cc-relay — host Claude Code sessions and steer them from elsewhere (DESIGN.md §8).
import { randomUUID } from 'node:crypto';
import { resolve as resolvePath } from 'node:path';
import { run, warn } from '../../lib/cli/run.ts';
import { fdFlag, intFlag, parse } from '../../lib/cli/args.ts';
import { formatPubkey } from '../../lib/identity/identity.ts';
import { loadMyIdentity } from '../../lib/identity/unlock.ts';
import { resolvePeer } from '../../lib/pair/peers.ts';
import { connectHyper } from '../../lib/relay/hyper-client.ts';
import { attach } from '../../lib/relay/attach.ts';
import { DEFAULT_HTTP_PORT } from '../../lib/relay/http-server.ts';
import { addToken, parseCaps, readTokens, removeToken } from '../../lib/relay/tokens.ts';
import { relayDir } from '../../lib/relay/unix-server.ts';
import { renderQr } from '../../lib/cli/qr.ts';
import { ttyWrite } from '../../lib/cli/tty.ts';
import { writeFileAtomic } from '../../lib/secure-file.ts';
import { usageError } from '../../lib/cli/errors.ts';
import { readInput, writeJson, writeLine } from '../../lib/cli/io.ts';
import { setting } from '../../lib/config.ts';
import { connectLocal, type RelayClient } from '../../lib/relay/client.ts';
import { serve } from '../../lib/relay/serve.ts';
import { parseSendInput } from '../../lib/relay/send-input.ts';

const NAME = 'cc-relay';
const USAGE = `Usage:
  cc-relay serve [--root-dir DIR] [--approval-timeout S] [--approval-default allow|deny]
                 [--lease-idle S] [--allow-bypass] [--no-hyper] [--passphrase-fd N]
                 [--http ADDR [--tls-cert FILE --tls-key FILE]]
  cc-relay token add NAME --allow view,send,approve,spawn [--url BASE] [--qr-png FILE]
  cc-relay token rm NAME
  cc-relay token list
  cc-relay list PEER
  cc-relay info PEER SESSION
  cc-relay spawn PEER (--cwd DIR | --resume ID [--cwd DIR]) [--permission-mode MODE]
  cc-relay tail PEER SESSION [--since SEQ] [--follow]
  cc-relay send PEER SESSION [--local-id ID] < message
  cc-relay decide PEER SESSION REQUEST allow|deny [--message M]
  cc-relay interrupt PEER SESSION
  cc-relay lease PEER SESSION [take|release] [--force]
  cc-relay stop PEER SESSION
  cc-relay attach PEER [SESSION]

'serve' hosts Claude Code sessions: each runs as claude with stream-json in
and out and its permission prompts on stdio, and every event is appended to a
durable log ($XDG_STATE_HOME/cckit/relay/SESSION.ndjson) before any client
sees it. Clients reach it on a unix socket in that folder (mode 0600) and,
when this host has an identity key, paired peers reach it over HyperDHT on
that key: only keys in peers.toml get in, each limited to its allow list
(view: list/info/tail, send: send/lease/interrupt, approve: decide,
spawn: spawn/stop). Edits to peers.toml (cc-pair forget, a changed allow)
apply to live connections.

With --http ADDR (PORT or HOST:PORT; the host defaults to 127.0.0.1) it also
serves the phone page at /, its WebSocket API, and the direct-connect API
of Claude Code's own client (claude cc://HOST:PORT/TOKEN; the Agent SDK's
DirectConnectTransport). Every HTTP request needs a device token: 'token add'
prints {"url","cc_url"} with the token in the URL's fragment (shown once,
stored only as a hash; a QR of the URL goes to the terminal, or to a PNG with
--qr-png); 'token rm' revokes it, open sockets included.

'attach' is the terminal client: a live transcript (tool calls folded,
untrusted text with control characters made visible), Enter sends a line,
y/n answers a pending permission, Ctrl-C interrupts the turn (twice within
two seconds detaches); it reconnects by itself and replays only what it
missed. Without SESSION it opens the one that most needs you.

The other commands are clients. PEER is '-' for the server on this host, or
a paired peer's NAME or pk:… (dialled over HyperDHT as your identity).
Output is JSON (NDJSON for tail). 'send' reads the message from stdin: plain
text, or JSON {"text":…} / {"content":[…]}; it returns once the host wrote the
message to claude's stdin, and the same --local-id is never applied twice.
'decide' answers a permission request (first decision wins). 'interrupt'
cancels the running turn with Claude Code's control request; the session
stays usable. A send takes the session's single writer lease; while another
client holds it, sends fail with "busy: held by NAME" until it lapses
(--lease-idle) or is taken over with 'lease take --force'.

Options:
  --root-dir DIR           serve: sessions only in DIR or below (by realpath; not a sandbox)
  --approval-timeout S     serve: a permission request waits S seconds (default 0: no deadline)
  --approval-default D     serve: the decision at the deadline, allow or deny (default deny)
  --lease-idle S           serve: an unused writer lease lapses after S seconds (default 300)
  --allow-bypass           serve: let spawn ask for --permission-mode bypassPermissions
  --no-hyper               serve: the unix socket only, no HyperDHT
  --http ADDR              serve: HTTP and WebSocket on ADDR (default port 7878)
  --tls-cert FILE          serve: HTTPS with this certificate (PEM)
  --tls-key FILE           serve: the certificate's private key (PEM)
  --allow LIST             token add: abilities, comma-separated
  --url BASE               token add: the server's address in the URL (default http://127.0.0.1:7878)
  --qr-png FILE            token add: also write the URL's QR code as a PNG
  --passphrase-fd N        read the key's passphrase from file descriptor N
  --cwd DIR                spawn: the project directory
  --resume ID              spawn: adopt an existing Claude Code session
  --permission-mode MODE   spawn: default, acceptEdits, plan, dontAsk or bypassPermissions
  --since SEQ              tail: events after SEQ (default 0: all)
  -f, --follow             tail: keep streaming new events
  --local-id ID            send: idempotence key (default: a new random one)
  -m, --message M          decide: the reason shown to claude
  --force                  lease take: take the lease from its holder
  -h, --help               show this help
  --version                show the version

Environment: CCKIT_CLAUDE (the claude binary; config.toml: claude.bin),
CCKIT_STATE_DIR, XDG_STATE_HOME, CCKIT_RELAY_SOCKET, CCKIT_KEY_FILE,
CCKIT_PASSPHRASE, CCKIT_CONFIG_DIR (peers.toml), CCKIT_HYPER_BOOTSTRAP.
Exit status: 0 ok, 1 failure (busy, already decided), 2 usage, 3 not found,
4 forbidden, 5 revoked.
`;

const SPECS = {
  'root-dir': { type: 'string' },
  'approval-timeout': { type: 'string' },
  'approval-default': { type: 'string' },
  'lease-idle': { type: 'string' },
  'allow-bypass': { type: 'boolean' },
  cwd: { type: 'string' },
  resume: { type: 'string' },
  'permission-mode': { type: 'string' },
  since: { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  'local-id': { type: 'string' },
  message: { type: 'string', short: 'm' },
  force: { type: 'boolean' },
  'no-hyper': { type: 'boolean' },
  http: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  allow: { type: 'string' },
  url: { type: 'string' },
  'qr-png': { type: 'string' },
  'passphrase-fd': { type: 'string' },
} as const;

/** Which flags each command takes; any other is a usage error. */
const FLAGS_OF: Record<string, string[]> = {
  serve: ['root-dir', 'approval-timeout', 'approval-default', 'lease-idle', 'allow-bypass', 'no-hyper', 'passphrase-fd', 'http', 'tls-cert', 'tls-key'],
  token: ['allow', 'url', 'qr-png'],
  list: ['passphrase-fd'],
  info: ['passphrase-fd'],
  spawn: ['cwd', 'resume', 'permission-mode', 'passphrase-fd'],
  tail: ['since', 'follow', 'passphrase-fd'],
  send: ['local-id', 'passphrase-fd'],
  decide: ['message', 'passphrase-fd'],
  interrupt: ['passphrase-fd'],
  lease: ['force', 'passphrase-fd'],
  stop: ['passphrase-fd'],
  attach: ['passphrase-fd'],
};
/** Positionals after the command: [min, max]. */
const ARITY: Record<string, [number, number]> = {
  serve: [0, 0],
  token: [1, 2],
  list: [1, 1],
  info: [2, 2],
  spawn: [1, 1],
  tail: [2, 2],
  send: [2, 2],
  decide: [4, 4],
  interrupt: [2, 2],
  lease: [2, 3],
  stop: [2, 2],
  attach: [1, 2],
};

async function connect(peer: string, passphraseFd: number | undefined): Promise<RelayClient> {
  if (peer === '-') return connectLocal();
  const remote = await resolvePeer(peer);
  const identity = await loadMyIdentity(passphraseFd);
  try {
    return await connectHyper(remote, identity, formatPubkey(remote));
  } finally {
    identity.seed.fill(0);
  }
}

run(NAME, USAGE, async (argv) => {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) throw usageError('a command is needed', `run '${NAME} --help' for usage`);
  if (!(cmd in FLAGS_OF)) throw usageError(`unknown command '${cmd.slice(0, 40)}'`, `run '${NAME} --help' for usage`);
  const { flags, positionals } = parse(NAME, rest, SPECS, { maxPositionals: ARITY[cmd][1] });
  for (const [k, v] of Object.entries(flags)) {
    if (v !== undefined && k !== 'help' && k !== 'version' && !FLAGS_OF[cmd].includes(k)) {
      throw usageError(`${cmd} does not take --${k}`, `run '${NAME} --help' for usage`);
    }
  }
  if (positionals.length < ARITY[cmd][0]) {
    throw usageError(`${cmd} needs ${cmd === 'list' || cmd === 'spawn' ? 'PEER' : cmd === 'decide' ? 'PEER SESSION REQUEST allow|deny' : 'PEER SESSION'}`, `run '${NAME} --help' for usage`);
  }

  if (cmd === 'token') return token(positionals, flags);

  if (cmd === 'serve') {
    if ((flags['tls-cert'] === undefined) !== (flags['tls-key'] === undefined)) throw usageError('--tls-cert and --tls-key go together');
    if (flags['tls-cert'] !== undefined && flags.http === undefined) throw usageError('--tls-cert needs --http');
    const approvalDefault = flags['approval-default'] ?? 'deny';
    if (approvalDefault !== 'allow' && approvalDefault !== 'deny') throw usageError('--approval-default is allow or deny');
    return serve({
      name: NAME,
      bin: (await setting(undefined, 'CCKIT_CLAUDE', 'claude.bin', 'claude'))!,
      rootDir: flags['root-dir'] !== undefined ? resolvePath(flags['root-dir']) : undefined,
      approvalTimeoutMs: intFlag('approval-timeout', flags['approval-timeout'], 0) * 1000,
      approvalDefault,
      leaseIdleMs: intFlag('lease-idle', flags['lease-idle'], 300, 1) * 1000,
      allowBypass: flags['allow-bypass'] === true,
      hyper: flags['no-hyper'] !== true,
      passphraseFd: fdFlag('passphrase-fd', flags['passphrase-fd']),
      http: flags.http === undefined ? undefined : /^\d+$/.test(flags.http) || flags.http.includes(':') ? flags.http : `${flags.http}:${DEFAULT_HTTP_PORT}`,
      tlsCert: flags['tls-cert'],
      tlsKey: flags['tls-key'],
    });
  }

  const [peer, session] = positionals;
  if (cmd === 'attach') {
    if (!process.stdin.isTTY) throw usageError('attach needs a terminal on stdin', "for scripts, use 'cc-relay tail' and 'cc-relay send'");
    const fd = fdFlag('passphrase-fd', flags['passphrase-fd']);
    return attach({ connect: () => connect(peer, fd), session, input: process.stdin, output: process.stdout });
  }
  // Validate everything the user typed before touching the network or stdin.
  let body: Record<string, unknown> = {};
  switch (cmd) {
    case 'spawn':
      if (flags.cwd === undefined && flags.resume === undefined) throw usageError('spawn needs --cwd DIR or --resume ID', `run '${NAME} --help' for usage`);
      body = {
        ...(flags.cwd !== undefined ? { cwd: resolvePath(flags.cwd) } : {}),
        ...(flags.resume !== undefined ? { resume: flags.resume } : {}),
        ...(flags['permission-mode'] !== undefined ? { permission_mode: flags['permission-mode'] } : {}),
      };
      break;
    case 'tail':
      body = { session, since: intFlag('since', flags.since, 0), follow: flags.follow === true };
      break;
    case 'decide': {
      const behavior = positionals[3];
      if (behavior !== 'allow' && behavior !== 'deny') throw usageError(`decide takes allow or deny, got '${behavior.slice(0, 40)}'`);
      body = { session, request_id: positionals[2], behavior, ...(flags.message !== undefined ? { message: flags.message } : {}) };
      break;
    }
    case 'lease': {
      const action = positionals[2] ?? 'take';
      if (action !== 'take' && action !== 'release') throw usageError(`lease takes take or release, got '${action.slice(0, 40)}'`);
      if (flags.force && action !== 'take') throw usageError('--force goes with take');
      body = { session, action, force: flags.force === true };
      break;
    }
    case 'send': {
      const localId = flags['local-id'] ?? randomUUID();
      const input = parseSendInput(await readInput(NAME, 'a message (text, or JSON {"text"} / {"content"})'));
      body = { session, localId, ...input };
      break;
    }
    default:
      if (session !== undefined) body = { session };
  }

  const client = await connect(peer, fdFlag('passphrase-fd', flags['passphrase-fd']));
  try {
    if (cmd !== 'tail') {
      const { id: _id, ok: _ok, ...answer } = await client.request(cmd, body);
      writeJson(answer);
      return 0;
    }
    return await tail(client, body);
  } finally {
    client.close();
  }
});

/** token add|rm|list: device tokens for the HTTP surface. */
async function token(positionals: string[], flags: { allow?: string; url?: string; 'qr-png'?: string }): Promise<number> {
  const [sub, name] = positionals;
  const dir = relayDir();
  if (sub === 'list') {
    if (name !== undefined) throw usageError(`unexpected argument '${name.slice(0, 40)}'`);
    for (const t of readTokens(dir)) writeLine(JSON.stringify({ name: t.name, allow: t.allow, created: t.created }));
    return 0;
  }
  if (sub !== 'add' && sub !== 'rm') throw usageError(`token takes add, rm or list, got '${String(sub).slice(0, 40)}'`);
  if (name === undefined) throw usageError(`token ${sub} needs a NAME`);
  if (sub === 'rm') {
    if (flags.allow !== undefined || flags.url !== undefined || flags['qr-png'] !== undefined) throw usageError('token rm takes only a NAME');
    const t = removeToken(dir, name);
    writeJson({ name: t.name, removed: true });
    return 0;
  }
  if (flags.allow === undefined) throw usageError('token add needs --allow', `for example --allow view,approve (abilities: view, send, approve, spawn)`);
  const allow = parseCaps(flags.allow);
  const base = new URL(flags.url ?? `http://127.0.0.1:${DEFAULT_HTTP_PORT}`);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw usageError('--url must be an http:// or https:// address');
  const { token: secret } = addToken(dir, name, allow);
  const url = `${base.origin}/#token=${secret}`;
  const out = { name, allow, url, cc_url: `cc://${base.host}/${secret}` };
  if (flags['qr-png'] !== undefined) {
    const QRCode = (await import('qrcode')).default;
    writeFileAtomic(resolvePath(flags['qr-png']), await QRCode.toBuffer(url, { type: 'png', errorCorrectionLevel: 'M' }), { overwrite: true });
  }
  ttyWrite(await renderQr(url));
  writeJson(out);
  return 0;
}

/** Print events as NDJSON until the tail ends (never, with --follow). */
function tail(client: RelayClient, body: Record<string, unknown>): Promise<number> {
  return new Promise((resolve, reject) => {
    const tailId = client.nextId;
    client.onEvent = (_s, ev) => writeLine(JSON.stringify(ev));
    client.onTailEnd = (id) => {
      if (id === tailId) resolve(0);
    };
    client.onClose = () => {
      if (body.follow) {
        warn(NAME, 'the server closed the connection');
        resolve(1);
      }
    };
    client.request('tail', body).catch(reject);
  });
}
