// cc-handoff — publish the current Claude Code session for another machine.
// The work is this pipeline, which you can also type yourself:
//   cc-session [SESSION] | cc-seal [--to PEER] [--pin] [--ttl S] [--burn] | cc-dht-put
import { run } from '../../lib/cli/run.ts';
import { parse, intFlag, fdFlag } from '../../lib/cli/args.ts';
import { writeJson } from '../../lib/cli/io.ts';
import { usageError } from '../../lib/cli/errors.ts';
import { confirm, hasTty } from '../../lib/cli/tty.ts';
import { pipeline, startStage, type StartedStage } from '../../lib/handoff/pipeline.ts';
import { unlockOnce } from '../../lib/identity/unlock-once.ts';
import { describeExpiry, renderQr, listLine } from '../../lib/handoff/text.ts';
import { showUntrusted } from '../../lib/cli/untrusted-text.ts';
import { fingerprint, parsePubkey } from '../../lib/identity/identity.ts';
import { DEFAULT_TTL, MAX_TTL, MAX_TTL_SAYS } from '../../lib/handoff/ttl.ts';

const USAGE = `Usage:
  cc-handoff [SESSION] [--share pk:…|NAME] [--pin [--generate-pin|--pin-fd N]] [--ttl S] [--burn] [--qr] [--json]
  cc-handoff --carry [SESSION] [--share pk:…|NAME | --pin] [--ttl S] [--burn] [--json]
  cc-handoff --carry --via-store [--store STORE] [SESSION] [--share pk:…|NAME | --pin] [--ttl S] [--burn] [--json]
  cc-handoff --list [--json]
  cc-handoff --revoke [-y]

Publish a Claude Code session so another machine can pick it up with
cc-pickup. The session (default: the newest one of the current project) is
signed with your key, encrypted, and stored on the Mainline DHT under your
public key. Nothing is sent to any server of ours.

  cc-session [SESSION] | cc-seal [--to PEER] [--pin] [--ttl S] [--burn] | cc-dht-put

With --carry the session's files travel too: they are packed, sealed to
the reader and served over HyperDHT from this process until picked up, the
TTL runs out or Ctrl-C. Only the reader's key may fetch them. With
--via-store the sealed archive is put in a store instead (a folder or an
rclone remote; by default the store of the project's cc-context space) and
cc-handoff returns at once: you can go offline. --carry ships the whole
transcript (code, tool output, any secret it holds) to the reader.

Options:
  --carry             bring the session's files along (serve them until picked up)
  --via-store         with --carry: leave the sealed files in a store, do not serve
  --store STORE       with --via-store: a folder or rclone:REMOTE:PATH (default:
                      [carry] store in config.toml, else the project's cc-context store)
  --share pk:…|NAME   encrypt to that peer's key only (default: to yourself)
  --pin               encrypt to a PIN/passphrase instead (asked on the terminal)
  --generate-pin      with --pin: make a strong passphrase and show it once
  --weak-pin          with --pin: accept a PIN that is easy to guess offline
  --pin-fd N          with --pin: read the PIN from file descriptor N
  --ttl S             seconds the handoff stays valid (default 86400, at most a year)
  --burn              remove the record after the first successful pickup
                      (only a pickup holding your key can remove it: with
                      --pin, PIN holders elsewhere can pick it up until it
                      expires; not with --share)
  --qr                also print a QR code of the pickup command
  --transport T       mainline (default), relay or hyper; comma-separated for several
  --list              show the handoff currently published under your key
  --revoke            remove it from the DHT (asks first unless -y)
  -y, --yes           do not ask
  --json              print JSON instead of text
  --passphrase-fd N   read the key's passphrase from file descriptor N
  -h, --help          show this help
  --version           show the version

Exit status: 0 ok, 1 failure, 2 usage, 3 no session / nothing published,
4 wrong passphrase, 5 expired.
`;

/** Whether --share was given as a key rather than a peer NAME. */
function parsesAsKey(s: string): boolean {
  try {
    parsePubkey(s);
    return true;
  } catch {
    return false;
  }
}

/** Flags that shape a new publication, meaningless with --list or --revoke. */
const PUBLISHING = ['share', 'pin', 'generate-pin', 'weak-pin', 'pin-fd', 'ttl', 'burn', 'qr'] as const;

run('cc-handoff', USAGE, async (argv) => {
  const { flags, positionals } = parse(
    'cc-handoff',
    argv,
    {
      share: { type: 'string' },
      pin: { type: 'boolean' },
      'generate-pin': { type: 'boolean' },
      'weak-pin': { type: 'boolean' },
      'pin-fd': { type: 'string' },
      ttl: { type: 'string' },
      burn: { type: 'boolean' },
      qr: { type: 'boolean' },
      json: { type: 'boolean' },
      list: { type: 'boolean' },
      revoke: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      transport: { type: 'string' },
      'passphrase-fd': { type: 'string' },
      carry: { type: 'boolean' },
      'via-store': { type: 'boolean' },
      store: { type: 'string' },
    },
    {
      maxPositionals: 1,
      conflicts: {
        list: ['revoke', ...PUBLISHING],
        revoke: [...PUBLISHING],
        share: ['pin'],
        burn: ['share'],
        'generate-pin': ['pin-fd'],
        // A carried handoff serves its files until picked up: no QR, and its seal stage takes the PIN from the terminal or CCKIT_PIN.
        carry: ['list', 'revoke', 'qr', 'pin-fd'],
      },
      requires: { 'generate-pin': 'pin', 'weak-pin': 'pin', 'pin-fd': 'pin', 'via-store': 'carry', store: 'via-store' },
      hints: { burn: "only your key can remove a record, so one shared with --share cannot be burnt by its reader: use --ttl to keep it short" },
      noPositionalsWith: ['list', 'revoke'],
    },
  );
  const transport = flags.transport ? ['--transport', flags.transport] : [];
  const key = await unlockOnce(fdFlag('passphrase-fd', flags['passphrase-fd']));

  if (flags.list) {
    const record = JSON.parse(await pipeline([['cc-dht-get', ...transport]], { key }));
    if (flags.json) return writeJson(record);
    process.stdout.write(listLine(record) + '\n');
    return;
  }

  if (flags.revoke) {
    if (!flags.yes) {
      if (!hasTty()) throw usageError('--revoke asks for confirmation and there is no terminal', 'add -y to revoke without asking');
      if (!(await confirm('Remove your published handoff from the DHT?'))) return 1;
    }
    const out = JSON.parse(await pipeline([['cc-dht-put', '--revoke', ...transport]], { key }));
    if (flags.json) return writeJson(out);
    process.stdout.write(`Revoked the handoff published under pk:${String(out.pubkey).replace(/^pk:/, '')}.\n`);
    return;
  }

  const ttl = intFlag('ttl', flags.ttl, DEFAULT_TTL, 1, { value: MAX_TTL, says: MAX_TTL_SAYS });
  const seal = ['cc-seal', '--ttl', String(ttl)];
  if (flags.share) seal.push('--to', flags.share);
  if (flags.pin) seal.push('--pin');
  if (flags['generate-pin']) seal.push('--generate-pin');
  if (flags['weak-pin']) seal.push('--weak-pin');
  const pinFd = fdFlag('pin-fd', flags['pin-fd']);
  if (pinFd !== undefined) seal.push('--pin-fd', String(pinFd));
  if (flags.burn) seal.push('--burn');

  if (flags.carry) {
    // A carry runs cc-session, packs, then cc-seal and cc-dht-put. cc-session
    // is spawned first (its answer is needed first); cc-seal and cc-dht-put
    // start right after it and wait for their input, so their start-up
    // overlaps the packing, which itself starts on the session cc-session
    // will name (kept only if it names that one: see handoffWithCarry).
    // Not a --pin seal: its PIN prompt stays where it was (a prompt
    // cancelled by a failure could leave the terminal without echo).
    const ahead: { seal?: StartedStage; put?: StartedStage } = {};
    try {
      const session = pipeline([['cc-session', ...positionals]], { key }).then((out) => JSON.parse(out));
      session.catch(() => {}); // handoffWithCarry awaits it
      if (!flags.pin) ahead.seal = startStage(seal, { key });
      ahead.put = startStage(['cc-dht-put', ...transport], { key });
      const { handoffWithCarry } = await import('../../lib/handoff/carry-porcelain.ts');
      return await handoffWithCarry({
        session,
        guessSession: positionals.length === 0,
        seal,
        transport,
        key,
        share: flags.share,
        pin: !!flags.pin,
        burn: !!flags.burn,
        json: !!flags.json,
        viaStore: !!flags['via-store'],
        store: flags.store,
        ahead,
      });
    } finally {
      ahead.seal?.cancel();
      ahead.put?.cancel();
    }
  }
  const session = JSON.parse(await pipeline([['cc-session', ...positionals]], { key }));
  const record = await pipeline([seal], { key, input: JSON.stringify(session), fds: pinFd !== undefined ? [pinFd] : [] });
  const put = JSON.parse(await pipeline([['cc-dht-put', ...transport]], { key, input: record }));
  const rec = JSON.parse(record);
  const pubkey = `pk:${String(put.pubkey).replace(/^pk:/, '')}`;
  const pickup = `cc-pickup ${pubkey}`;
  const summary = {
    pubkey,
    session: session.s,
    project: session.p,
    host: session.h,
    mode: flags.share ? 'share' : flags.pin ? 'pin' : 'self',
    to: flags.share ?? null,
    // Who the record is really encrypted to, whatever name was typed.
    recipient: rec.recipient ? `pk:${rec.recipient}` : null,
    recipient_fingerprint: rec.recipient ? fingerprint(parsePubkey(rec.recipient)) : null,
    created_at: rec.created_at,
    expires_at: rec.created_at + rec.ttl,
    burn: !!flags.burn,
    pickup,
    stored: put.stored,
  };
  if (flags.json) return writeJson(summary);
  const who =
    summary.mode === 'share'
      ? `only ${parsesAsKey(flags.share!) ? `pk:${rec.recipient}` : `${showUntrusted(flags.share!)} (pk:${rec.recipient})`} (fingerprint ${summary.recipient_fingerprint}) can open it`
      : summary.mode === 'pin'
        ? 'anyone with the PIN can open it'
        : 'any machine with your key can open it';
  const burnText = !summary.burn
    ? ''
    : summary.mode === 'pin'
      ? '; removed when picked up on a machine with your key (a PIN holder without it can pick it up until it expires)'
      : '; removed after the first pickup';
  // The session file is outside input too: its id, path and host are shown, never obeyed.
  process.stdout.write(
    `Published session ${showUntrusted(String(session.s))}\n` +
      `  project ${showUntrusted(String(session.p))} on ${showUntrusted(String(session.h))}\n` +
      `  ${who}; ${describeExpiry(summary.expires_at)}${burnText}\n` +
      `Run on the other machine:\n  ${pickup}\n`,
  );
  if (flags.qr) process.stdout.write(await renderQr(pickup));
});
