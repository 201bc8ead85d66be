// cc-pair — turn a code or link seen once into a remembered, key-authenticated
// peer (DESIGN.md §7). Plumbing: the new peer record on stdout as JSON,
// people's text (the code, progress) on the terminal, else stderr.
import { run, warn } from '../../lib/cli/run.ts';
import { parse, intFlag, fdFlag } from '../../lib/cli/args.ts';
import { writeJson } from '../../lib/cli/io.ts';
import { usageError, notFound } from '../../lib/cli/errors.ts';
import { tellPerson } from '../../lib/cli/tty.ts';
import { renderQr } from '../../lib/cli/qr.ts';
import { loadMyIdentity } from '../../lib/identity/unlock.ts';
import { fingerprint, parsePubkey } from '../../lib/identity/identity.ts';
import { generateCode, generateLink } from '../../lib/pair/code.ts';
import { readPairSecret } from '../../lib/pair/secret-input.ts';
import { inviteFlow, joinFlow } from '../../lib/pair/flow.ts';
import { readPeers, forgetPeer, renamePeer, setAllow, parseAllow, readProjectPeers, type Peer } from '../../lib/pair/peers.ts';
import { requireProjectRoot, addProjectPeer, projectStatus, projectAllows } from '../../lib/pair/project.ts';
import { listenForPeers, connectPeers, listenTailnet, connectTailnet } from '../../lib/pair/listen.ts';
import { hasTty } from '../../lib/cli/tty.ts';
import { terminalApprover, requireApprovalTerminal } from '../../lib/pair/introduce.ts';
import { EXIT } from '../../lib/cli/errors.ts';
import { bytesEqual } from '../../lib/identity/identity.ts';
import { startBeacon, discoverPeers, LAN_GROUP_SHOWN } from '../../lib/pair/lan-presence.ts';

const NAME = 'cc-pair';
const USAGE = `Usage:
  cc-pair code [--name NAME] [--ttl S] [--allow LIST] [--lan] [--qr] [--verify]
  cc-pair invite [--name NAME] [--ttl S] [--allow LIST] [--qr] [--verify]
  cc-pair join [NNNN] [--name NAME] [--allow LIST] [--lan] [--verify]
  cc-pair list
  cc-pair forget NAME
  cc-pair rename OLD NEW
  cc-pair allow NAME LIST
  cc-pair listen [--ttl S] [--once] [--allow LIST] [--tailscale [--tag TAG] [--trust-tailnet-user]]
  cc-pair project add NAME pk:…
  cc-pair project list
  cc-pair project connect [--allow LIST]
  cc-pair tailscale [--tag TAG] [--trust-tailnet-user] [--allow LIST]
  cc-pair lan beacon [--interval S] [--port P]
  cc-pair lan discover [--timeout S] [--max-age S]

Pair two machines: each ends up holding the other's identity key in
peers.toml, under a NAME that stands for the key anywhere a pk: goes
(cc-seal --to NAME, cc-pickup NAME). No server of ours: the two sides meet on
the HyperDHT, and a PAKE (CPace) over the encrypted connection proves both
know the code before either identity is exchanged.

  code     show a code NNNN-word-word-word (valid 10 minutes) and wait for
           the other side to join; then print the new peer as JSON
  invite   the same with a link cckit://pair#v1.… (valid 24 hours)
  join     read the code or link from CCKIT_PAIR_CODE, stdin (when it is not
           a terminal) or the terminal; never from the command line. The
           nameplate NNNN alone may be given: then only the words are asked
  list     the paired peers as a JSON array
  forget   remove a peer (a running relay drops its connections at once)
  rename   give a peer another name
  allow    what a peer may do on your relay: view,send,approve,spawn
  listen   answer pairing requests on your identity key from the keys this
           project's .cckit/peers.toml lists; each one approved on the
           terminal after both sides show name, fingerprint and 3 words
  project  add NAME pk:… writes .cckit/peers.toml in the repository (names
           and public keys only: commit it); list shows paired / not paired;
           connect dials each listed key not yet paired (the other side runs
           cc-pair listen) and asks you to approve
  tailscale  dial the tailnet peers from 'tailscale status --json' that are
           online, not shared in, and yours or tagged TAG (default
           tag:cckit), on their tailnet address; the other side runs
           cc-pair listen --tailscale, which asks 'tailscale whois' who
           dialled. The tailnet carries bytes; cckit keys still authenticate
  lan beacon  opt in to LAN presence: until stopped, multicast a beacon
           every S seconds that only your paired peers can recognise (sealed
           to each, a fresh nonce every time: no key or name in clear), with
           an optional TCP port to advertise. Off unless you run it
  lan discover  listen for paired peers' beacons and print those heard
           (fresh, not replayed) as a JSON array of {name, pubkey, addr,
           port, seen_at}; stops early once every peer was heard

A wrong code fails on both sides (exit 4); 3 failed attempts burn a code or
link; an expired one is exit 5.

Options:
  --name NAME         store the new peer under NAME (default: the name it suggests)
  --ttl S             how long the code or link is valid (code: 600, at most 3600; link: 86400)
  --allow LIST        what the new peer may do on your relay (default view)
  --lan               code/join: meet on the local network (multicast beacons + TCP), no DHT
  --qr                also show the code or link as a QR code
  --verify            show 3 verification words to compare with the other screen
  --once              listen: stop after the first pairing
  --tailscale         listen on this machine's tailnet addresses for tailnet peers
  --tag TAG           tailscale: also accept peers of other users tagged TAG (default tag:cckit)
  --trust-tailnet-user  tailscale: approve your own tailnet user's machines without asking
  --interval S        lan beacon: seconds between beacons (default 5)
  --port P            lan beacon: a TCP port to advertise to peers (default none)
  --timeout S         lan discover: seconds to listen (default 6)
  --max-age S         lan discover: ignore beacons older than S seconds (default 30)
  --passphrase-fd N   read the key's passphrase from file descriptor N
  -h, --help          show this help
  --version           show the version

Environment: CCKIT_PAIR_CODE (the code or link for join), CCKIT_HYPER_BOOTSTRAP,
CCKIT_TAILSCALE (the tailscale CLI), CCKIT_TAILSCALE_PORT (47388),
CCKIT_LAN_GROUP / CCKIT_LAN_PORT (the --lan beacon group, 239.255.67.75:47387),
CCKIT_LAN_PRESENCE_PORT (lan beacon / discover, 47389).

Exit status: 0 paired, 1 failure, 2 usage, 3 no such peer / no inviter found /
not in a repository, 4 wrong code, burnt invite, failed identity check or not
approved, 5 code or link expired.
`;

const SPECS = {
  name: { type: 'string' },
  ttl: { type: 'string' },
  allow: { type: 'string' },
  qr: { type: 'boolean' },
  lan: { type: 'boolean' },
  verify: { type: 'boolean' },
  'passphrase-fd': { type: 'string' },
} as const;

function show(peer: Peer): void {
  tellPerson(`Paired with ${peer.name} (${fingerprint(parsePubkey(peer.pubkey))}), allowed: ${peer.allow.join(',') || 'nothing'}\n`);
}

function record(peer: Peer) {
  return { name: peer.name, pubkey: peer.pubkey, addrs: peer.addrs, paired_at: peer.paired_at, via: peer.via, allow: peer.allow };
}

async function inviter(kind: 'code' | 'invite', argv: string[]): Promise<void> {
  const { flags } = parse(NAME, argv, SPECS);
  const isCode = kind === 'code';
  if (flags.lan && !isCode) throw usageError('--lan goes with cc-pair code (a link is for pairing across networks)');
  const ttl = intFlag('ttl', flags.ttl, isCode ? 600 : 86400, 1);
  if (isCode && ttl > 3600) throw usageError('a code is valid for at most 3600 seconds (--ttl)', 'use cc-pair invite for a longer-lived link');
  const allow = flags.allow !== undefined ? parseAllow(flags.allow) : undefined;
  const identity = await loadMyIdentity(fdFlag('passphrase-fd', flags['passphrase-fd']));
  const made = isCode ? generateCode() : generateLink();
  const text = 'code' in made ? made.code : made.link;
  const peer = await inviteFlow({
    identity,
    secret: made.secret,
    name: flags.name,
    allow,
    verify: flags.verify,
    lan: flags.lan,
    ttlMs: ttl * 1000,
    say: tellPerson,
    warn: (m) => warn(NAME, m),
    onReady: () => {
      const mins = ttl >= 120 ? `${Math.round(ttl / 60)} minutes` : `${ttl} seconds`;
      tellPerson(`${isCode ? 'Pairing code' : 'Pairing link'}: ${text}\nValid for ${mins}. On the other machine run: cc-pair join\n`);
      if (flags.qr) renderQr(text).then(tellPerson, () => {});
    },
  });
  show(peer);
  writeJson(record(peer));
}

async function joiner(argv: string[]): Promise<void> {
  const { flags, positionals } = parse(NAME, argv, { name: SPECS.name, allow: SPECS.allow, lan: SPECS.lan, verify: SPECS.verify, 'passphrase-fd': SPECS['passphrase-fd'] }, { maxPositionals: 1 });
  const allow = flags.allow !== undefined ? parseAllow(flags.allow) : undefined;
  // The code first: a bad or missing one is a usage error before any key is unlocked.
  const secret = await readPairSecret(positionals[0]);
  const identity = await loadMyIdentity(fdFlag('passphrase-fd', flags['passphrase-fd']));
  const peer = await joinFlow({ identity, secret, name: flags.name, allow, verify: flags.verify, lan: flags.lan, say: tellPerson, warn: (m) => warn(NAME, m) });
  show(peer);
  writeJson(record(peer));
}

const TAILNET = { tag: { type: 'string' }, 'trust-tailnet-user': { type: 'boolean' } } as const;

/** Approval for tailnet peers: a person, unless --trust-tailnet-user covers them (then no terminal is needed). */
function tailnetApproval(trust: boolean | undefined) {
  if (!trust) requireApprovalTerminal();
  const ask = terminalApprover('on your tailnet');
  return hasTty() ? ask : async () => false;
}

async function listen(argv: string[]): Promise<number> {
  const { flags } = parse(NAME, argv, { ttl: SPECS.ttl, once: { type: 'boolean' }, allow: SPECS.allow, tailscale: { type: 'boolean' }, ...TAILNET, 'passphrase-fd': SPECS['passphrase-fd'] });
  const ttl = intFlag('ttl', flags.ttl, 600, 1);
  const abilities = flags.allow !== undefined ? parseAllow(flags.allow) : undefined;
  if (flags.tailscale) {
    const approve = tailnetApproval(flags['trust-tailnet-user']);
    const identity = await loadMyIdentity(fdFlag('passphrase-fd', flags['passphrase-fd']));
    const paired = await listenTailnet({
      identity,
      tag: flags.tag ?? 'tag:cckit',
      trustUser: flags['trust-tailnet-user'] === true,
      approve,
      abilities,
      once: flags.once,
      ttlMs: ttl * 1000,
      onReady: (addrs) => tellPerson(`Listening for tailnet pairing requests on ${addrs.join(', ')} (Ctrl-C to stop)\n`),
      onPaired: (p) => {
        show(p);
        writeJson(record(p));
      },
      onRefused: (err) => warn(NAME, `pairing request not completed: ${err.message}`),
    });
    return paired.length > 0 ? EXIT.OK : EXIT.NOT_FOUND;
  }
  if (flags.tag !== undefined || flags['trust-tailnet-user']) throw usageError('--tag and --trust-tailnet-user go with --tailscale');
  const root = requireProjectRoot();
  requireApprovalTerminal();
  const listed = await readProjectPeers(root);
  if (listed.length === 0) throw usageError(`no peers listed in ${root}/.cckit/peers.toml`, 'add teammates with: cc-pair project add NAME pk:…');
  const identity = await loadMyIdentity(fdFlag('passphrase-fd', flags['passphrase-fd']));
  const paired = await listenForPeers({
    identity,
    allow: await projectAllows(root),
    nameFor: (remote) => listed.find((p) => bytesEqual(parsePubkey(p.pubkey), remote))?.name,
    approve: terminalApprover(`listed in ${root}/.cckit/peers.toml`),
    via: 'project',
    abilities,
    once: flags.once,
    ttlMs: ttl * 1000,
    onReady: () => tellPerson(`Listening for pairing requests from this project's peers on your key (${Math.round(ttl / 60)} min, Ctrl-C to stop)\n`),
    onPaired: (p) => {
      show(p);
      writeJson(record(p));
    },
    onRefused: (err) => warn(NAME, `pairing request not completed: ${err.message}`),
  });
  return paired.length > 0 ? EXIT.OK : EXIT.NOT_FOUND;
}

async function project(argv: string[]): Promise<number | void> {
  const [op, ...rest] = argv;
  if (op === 'add') {
    const { positionals } = parse(NAME, rest, {}, { maxPositionals: 2 });
    if (positionals.length !== 2) throw usageError('project add needs NAME and pk:…', 'cc-pair project add NAME pk:…');
    const p = await addProjectPeer(requireProjectRoot(), positionals[0], positionals[1]);
    writeJson({ name: p.name, pubkey: p.pubkey, file: p.source });
    return;
  }
  if (op === 'list') {
    parse(NAME, rest, {});
    writeJson(await projectStatus(requireProjectRoot()));
    return;
  }
  if (op === 'connect') {
    const { flags } = parse(NAME, rest, { allow: SPECS.allow, 'passphrase-fd': SPECS['passphrase-fd'] });
    const abilities = flags.allow !== undefined ? parseAllow(flags.allow) : undefined;
    const root = requireProjectRoot();
    const unpaired = (await projectStatus(root)).filter((p) => !p.paired);
    const identity = await loadMyIdentity(fdFlag('passphrase-fd', flags['passphrase-fd']));
    const targets = unpaired.filter((p) => !bytesEqual(parsePubkey(p.pubkey), identity.publicKey));
    if (targets.length === 0) {
      writeJson([]);
      return;
    }
    requireApprovalTerminal();
    const results = await connectPeers({ identity, targets, approve: terminalApprover(`listed in ${root}/.cckit/peers.toml`), via: 'project', abilities });
    for (const r of results) tellPerson(`${r.name}: ${r.result}${r.error ? ` (${r.error})` : ''}\n`);
    writeJson(results);
    if (results.every((r) => r.result === 'paired')) return;
    return results.some((r) => r.result === 'rejected') ? EXIT.AUTH : EXIT.FAILURE;
  }
  throw usageError(op === undefined ? 'project needs add, list or connect' : `unknown project command '${op.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 40)}'`, 'cc-pair project add|list|connect');
}

async function tailscale(argv: string[]): Promise<number | void> {
  const { flags } = parse(NAME, argv, { allow: SPECS.allow, ...TAILNET, 'passphrase-fd': SPECS['passphrase-fd'] });
  const abilities = flags.allow !== undefined ? parseAllow(flags.allow) : undefined;
  const approve = tailnetApproval(flags['trust-tailnet-user']);
  const identity = await loadMyIdentity(fdFlag('passphrase-fd', flags['passphrase-fd']));
  const results = await connectTailnet({ identity, tag: flags.tag ?? 'tag:cckit', trustUser: flags['trust-tailnet-user'] === true, approve, abilities });
  for (const r of results) tellPerson(`${r.name}: ${r.result}${r.error ? ` (${r.error})` : ''}\n`);
  writeJson(results);
  if (results.every((r) => r.result === 'paired')) return;
  return results.some((r) => r.result === 'rejected') ? EXIT.AUTH : EXIT.FAILURE;
}

async function lan(argv: string[]): Promise<number | void> {
  const [op, ...rest] = argv;
  if (op === 'beacon') {
    const { flags } = parse(NAME, rest, { interval: { type: 'string' }, port: { type: 'string' }, 'passphrase-fd': SPECS['passphrase-fd'] });
    const intervalS = intFlag('interval', flags.interval, 5, 1, { value: 3600, says: 'an hour' });
    const port = intFlag('port', flags.port, 0, 1, { value: 65535 });
    const identity = await loadMyIdentity(fdFlag('passphrase-fd', flags['passphrase-fd']));
    const peers = await readPeers();
    if (peers.length === 0) throw notFound('ERR_NO_PEERS', 'no paired peers to be seen by', 'pair first: cc-pair code / cc-pair join');
    const stop = await startBeacon({ identity, peers: readPeers, port, intervalMs: intervalS * 1000 });
    tellPerson(`Beaconing presence to ${peers.length} paired peer${peers.length === 1 ? '' : 's'} on ${LAN_GROUP_SHOWN} every ${intervalS} s (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    stop();
    return;
  }
  if (op === 'discover') {
    const { flags } = parse(NAME, rest, { timeout: { type: 'string' }, 'max-age': { type: 'string' }, 'passphrase-fd': SPECS['passphrase-fd'] });
    const timeoutS = intFlag('timeout', flags.timeout, 6, 1, { value: 3600, says: 'an hour' });
    const maxAgeS = intFlag('max-age', flags['max-age'], 30, 1, { value: 3600, says: 'an hour' });
    const identity = await loadMyIdentity(fdFlag('passphrase-fd', flags['passphrase-fd']));
    writeJson(await discoverPeers({ identity, peers: await readPeers(), timeoutMs: timeoutS * 1000, maxAgeMs: maxAgeS * 1000 }));
    return;
  }
  throw usageError(op === undefined ? 'lan needs beacon or discover' : `unknown lan command '${op.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 40)}'`, 'cc-pair lan beacon|discover');
}

run(NAME, USAGE, async (argv) => {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'code':
    case 'invite':
      return inviter(sub, rest);
    case 'join':
      return joiner(rest);
    case 'list': {
      parse(NAME, rest, {});
      writeJson((await readPeers()).map(record));
      return;
    }
    case 'forget': {
      const { positionals } = parse(NAME, rest, {}, { maxPositionals: 1 });
      if (positionals.length !== 1) throw usageError('forget needs a NAME', 'cc-pair forget NAME');
      writeJson(record(await forgetPeer(positionals[0])));
      return;
    }
    case 'rename': {
      const { positionals } = parse(NAME, rest, {}, { maxPositionals: 2 });
      if (positionals.length !== 2) throw usageError('rename needs OLD and NEW', 'cc-pair rename OLD NEW');
      writeJson(record(await renamePeer(positionals[0], positionals[1])));
      return;
    }
    case 'allow': {
      const { positionals } = parse(NAME, rest, {}, { maxPositionals: 2 });
      if (positionals.length !== 2) throw usageError('allow needs NAME and a LIST', 'cc-pair allow NAME view,send,approve,spawn');
      writeJson(record(await setAllow(positionals[0], parseAllow(positionals[1]))));
      return;
    }
    case 'listen':
      return listen(rest);
    case 'project':
      return project(rest);
    case 'tailscale':
      return tailscale(rest);
    case 'lan':
      return lan(rest);
    case undefined:
      throw usageError('missing subcommand', `run '${NAME} --help' for usage`);
    default:
      throw usageError(`unknown subcommand '${sub.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 40)}'`, `run '${NAME} --help' for usage`);
  }
});
