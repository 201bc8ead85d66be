// cc-pickup — find a handoff, check it, decrypt it and resume the session.
// The work is this pipeline, which you can also type yourself:
//   cc-dht-get [pk:…] --wait S | cc-open --from pk:… | cc-resume
import { run, warn } from '../../lib/cli/run.ts';
import { parse, intFlag, fdFlag } from '../../lib/cli/args.ts';
import { writeJsonAs } from '../../lib/cli/io.ts';
import { EXIT, expiredError, usageError } from '../../lib/cli/errors.ts';
import { confirm, hasTty } from '../../lib/cli/tty.ts';
import { pipeline, handOver, startHandOver, startStage, StageFailed, type StartedStage } from '../../lib/handoff/pipeline.ts';
import { resolvePeer } from '../../lib/pair/peers.ts';
import { formatPubkey, identityFromSeed } from '../../lib/identity/identity.ts';
import { plainKeyPublicKey, startUnlock, unlockOnce } from '../../lib/identity/unlock-once.ts';
import { rememberedPublicKey, rememberPublicKey } from '../../lib/identity/public-key-cache.ts';
import { keyFilePath } from '../../lib/config.ts';
import { renderQr } from '../../lib/handoff/text.ts';
import { trace } from '../../lib/cli/trace.ts';

const USAGE = `Usage:
  cc-pickup [pk:…|NAME] [-y] [--print] [--qr] [--wait S] [--cwd DIR] [--store STORE] [--json] [-- CLAUDE-ARGS…]

Pick up a session published with cc-handoff: look it up on the DHT under the
publisher's key (default: your own), verify its signature and expiry, decrypt
it with your key (or the PIN), and resume it with 'claude --resume' in the
project directory.

  cc-dht-get [pk:…] --wait S | cc-open --from pk:… | cc-resume

A handoff made with 'cc-handoff --carry' brings the session's files: they
are fetched from the publisher over HyperDHT (resuming an interrupted
transfer), checked against the size and SHA-256 in the signed record (exit 4
on a mismatch, nothing installed), and installed in Claude Code's project
folder for the local directory. A local copy that has moved on is kept, and
the carried session is installed beside it under a new id. A handoff that
left its files in a store (the publisher may be offline) is read from the
store the record names (a folder, or an rclone remote looked up in your own
rclone config), checked the same way, and, when burn-after-reading, removed
from the store once installed.

A handoff marked burn-after-reading is removed from the DHT once you confirm,
before claude starts, when you hold the publisher's key (the same key, or
your own record); anyone else is told that only the publisher can remove it.
If another pickup removed it first, this one stops with exit 5.

Options:
  -y, --yes           resume without asking
  --print             print {"cwd","argv","file","link"?,"handoff"}: the
                      claude command, the session file, the symlink cc-resume
                      would make (with --cwd) and the opened handoff; run nothing
  --qr                also show the session id as a QR code
  --wait S            keep looking up to S seconds while nothing is found (default 30)
  --cwd DIR           resume in DIR, your copy of the project at another path
  --store STORE       read a stored archive from STORE (a folder or
                      rclone:REMOTE:PATH), not the store the record names
  --transport T       mainline (default), relay or hyper; comma-separated for several
  --json              compact JSON; without --print, print the opened handoff
                      (what cc-open prints) on stdout, then resume
  --pin-fd N          read the PIN of a PIN handoff from file descriptor N
  --passphrase-fd N   read the key's passphrase from file descriptor N
  -- CLAUDE-ARGS…     passed on to claude, e.g. -- -p "carry on" for a script
  -h, --help          show this help
  --version           show the version

Environment: CCKIT_PIN, CCKIT_PASSPHRASE, CCKIT_KEY_FILE, CCKIT_BOOTSTRAP,
CCKIT_CLAUDE, CLAUDE_CONFIG_DIR, NO_COLOR.
Exit status: 0 ok, 1 failure, 2 usage, 3 nothing was ever published / session
not found here / the carried archive is not in the store, 4 bad signature,
wrong key or PIN, archive altered, 5 expired, revoked, or (burn) already
picked up. Otherwise the exit status of claude.
`;

run('cc-pickup', USAGE, async (args) => {
  const dashdash = args.indexOf('--');
  const argv = dashdash === -1 ? args : args.slice(0, dashdash);
  const claudeArgs = dashdash === -1 ? [] : args.slice(dashdash + 1);
  const { flags, positionals } = parse(
    'cc-pickup',
    argv,
    {
      yes: { type: 'boolean', short: 'y' },
      print: { type: 'boolean' },
      qr: { type: 'boolean' },
      wait: { type: 'string' },
      cwd: { type: 'string' },
      store: { type: 'string' },
      transport: { type: 'string' },
      json: { type: 'boolean' },
      'passphrase-fd': { type: 'string' },
      'pin-fd': { type: 'string' },
    },
    { maxPositionals: 1 },
  );
  const wait = intFlag('wait', flags.wait, 30);
  const transport = flags.transport ? ['--transport', flags.transport] : [];
  const passphraseFd = fdFlag('passphrase-fd', flags['passphrase-fd']);
  const pinFd = fdFlag('pin-fd', flags['pin-fd']);
  const who = positionals[0];
  if (!flags.yes && !flags.print && !hasTty()) {
    throw usageError('nothing to confirm on: there is no terminal', 'add -y to resume without asking, or --print');
  }

  // The key is unlocked only when a stage needs it (looking up our own
  // record, or opening one sealed to a key), once, and handed to every stage
  // on an inherited pipe. A PIN handoff from someone else never asks for the
  // key's passphrase.
  let key: Buffer | undefined;
  let unlocked = false;
  const unlock = async () => {
    if (!unlocked) key = await unlockOnce(passphraseFd);
    unlocked = true;
  };
  const whoami = async (stderr: 'inherit' | 'ignore', env: Record<string, string> = {}) =>
    JSON.parse(await pipeline([['cc-key', 'whoami']], { key, env, stderr })).pubkey as string;
  const openStage = (pk: string) => ['cc-open', '--from', pk, ...(pinFd !== undefined ? ['--pin-fd', String(pinFd)] : [])];
  const openOptions = () => ({ key, fds: pinFd !== undefined ? [pinFd] : [] });
  // cc-open, started while the lookup runs once the key is settled: its start-up overlaps the lookup.
  let openAhead: StartedStage | undefined;

  // Our own record. With an encrypted key, Argon2id (~0.5 s) would come
  // before the lookup, which needs our public key. The public key remembered
  // from the last unlock (lib/identity/public-key-cache.ts) lets the lookup
  // run while Argon2id does: the passphrase is still asked first, once. The
  // remembered key is only a hint: it must match the unlocked seed before
  // the record is opened, else the lookup is done again under the real key.
  const ownRecord = async (): Promise<{ from: string; recordText: string }> => {
    const started = await startUnlock(passphraseFd);
    const hint = started && rememberedPublicKey(keyFilePath());
    let early: Promise<string> | undefined;
    const abandon = new AbortController();
    if (started && hint) {
      // Its stderr is held back until the unlock is settled: a wrong passphrase is the one error then.
      early = lookup(hint, 'pipe', abandon.signal);
      early.catch(() => {});
    }
    if (started) {
      try {
        key = await started.seed;
      } catch (err) {
        abandon.abort(); // no lookup left running after a wrong passphrase
        throw err;
      }
      unlocked = true;
    }
    await unlock(); // a plaintext key (or none): nothing was started
    const me = key ? formatPubkey(identityFromSeed(key).publicKey) : (plainKeyPublicKey() ?? (await whoami('inherit')));
    if (key) rememberPublicKey(keyFilePath(), me);
    openAhead = startStage(openStage(me), openOptions());
    if (!early || hint !== me) {
      abandon.abort();
      return { from: me, recordText: await lookup(me) };
    }
    try {
      return { from: me, recordText: await early };
    } catch (err) {
      if (err instanceof StageFailed) process.stderr.write(err.stderrText);
      throw err;
    }
  };
  const lookup = (pk: string, stderr: 'inherit' | 'pipe' = 'inherit', signal?: AbortSignal) =>
    pipeline([['cc-dht-get', pk, '--wait', String(wait), ...transport]], { key, stderr, signal });
  let from: string;
  let recordText: string;
  if (who !== undefined) {
    // A NAME is resolved here, once, so a name from a project's peers file is reported once.
    from = formatPubkey(await resolvePeer(who, (m) => warn('cc-pickup', m)));
    // One stage at a time, so a failed lookup is one error line, not also cc-open's "empty input".
    recordText = await lookup(from);
  } else {
    try {
      ({ from, recordText } = await ownRecord());
    } catch (err) {
      openAhead?.cancel();
      throw err;
    }
  }
  const pinRecord = isPinRecord(recordText);
  if (!pinRecord) await unlock();
  const opened = openAhead ? await openAhead.run(recordText) : await pipeline([openStage(from)], { ...openOptions(), input: recordText });
  const handoff = JSON.parse(opened);

  // Only the publisher's key can sign the removal. Without a passphrase at
  // hand (a PIN pickup), an encrypted key is not asked for just to find out.
  const burnIfMine = async () => {
    if (!handoff.burn) return;
    const me = who === undefined ? from : await whoami('ignore', { CCKIT_NO_TTY: '1' }).catch(() => undefined);
    if (me !== undefined && handoff.from === me) {
      await revokeBurnt(transport, key);
      process.stderr.write('cc-pickup: burned: the handoff record was removed from the DHT\n');
    } else {
      warn('cc-pickup', `this handoff is burn-after-reading, but only its publisher (${from}) can remove it: ask them to run 'cc-handoff --revoke'`);
    }
  };

  if (handoff.payload?.c) {
    // Session carry: the files come with the record (lib/handoff/carry-*.ts).
    const { fetchCarried, megabytes, startCarryNode } = await import('../../lib/handoff/carry-porcelain.ts');
    const { carryTargetDir } = await import('../../lib/handoff/carry-flow.ts');
    const dir = carryTargetDir(handoff, flags.cwd);
    if (flags.qr) process.stderr.write(await renderQr(handoff.payload.s));
    const c = handoff.payload.c;
    if (flags.store !== undefined && !c.u) warn('cc-pickup', '--store is ignored: this handoff serves its files from the publisher, not from a store');
    const storeInfo = c.u ? { store: flags.store ?? c.u, object: `carry/${handoff.expires_at}-${c.x}` } : {};
    if (flags.print) return writeJsonAs({ cwd: dir, carry: { bytes: c.n, sha256: c.x, ...storeInfo }, handoff }, !!flags.json);
    // The publisher's HyperDHT node is dialled once we have the go-ahead:
    // bootstrapping ours runs while the question is on the screen.
    const node = startCarryNode(handoff);
    let resume: ReturnType<typeof startHandOver> | undefined;
    let input: string;
    try {
      if (!flags.yes) {
        if (!hasTty()) throw usageError('resuming asks for confirmation and there is no terminal', 'add -y to resume without asking');
        const where = handoff.payload.h ? ` from ${handoff.payload.h}` : '';
        if (!(await confirm(`Fetch session ${handoff.payload.s}${where} (${megabytes(handoff.payload.c.n)}) and resume it in ${dir}?`))) return 1;
      }
      // The carried transcript records the publisher's cwd; it is installed for
      // this machine's folder (the payload's path or --cwd), so that is where it
      // resumes. cc-resume starts once the publisher is sending and waits for
      // its input while the rest arrives and is checked and installed: its
      // start-up is then off the path the user waits on (and not in the way
      // of the HyperDHT bootstrap and connect before it).
      const resumeArgv = ['cc-resume', '-y', '--cwd', dir, ...(claudeArgs.length ? ['--', ...claudeArgs] : [])];
      const onSending = () => void (resume ??= startHandOver(resumeArgv));
      input = await fetchCarried(handoff, flags.cwd, key, flags.store, { node, onSending });
      resume ??= startHandOver(resumeArgv); // from the store: no transfer to overlap
      trace('carried session installed');
      await burnIfMine();
    } catch (err) {
      resume?.cancel();
      throw err;
    } finally {
      void node?.then((n) => n.close(), () => {}); // idempotent; already closed after a fetch
    }
    return resume.run(input);
  }

  if (flags.store !== undefined) warn('cc-pickup', '--store is ignored: this handoff does not carry the session files');
  const resume = ['cc-resume', ...(flags.cwd ? ['--cwd', flags.cwd] : []), ...(claudeArgs.length ? ['--', ...claudeArgs] : [])];
  const plan = JSON.parse(await pipeline([[resume[0], '--print', ...resume.slice(1)]], { key, input: opened }));

  if (flags.qr) process.stderr.write(await renderQr(handoff.payload.s));
  if (flags.print) return writeJsonAs({ ...plan, handoff }, !!flags.json);
  if (flags.json) writeJsonAs(handoff, true);

  if (!flags.yes) {
    if (!hasTty()) throw usageError('resuming asks for confirmation and there is no terminal', 'add -y to resume without asking');
    // confirm() shows the record's host and the path with their control characters made visible.
    const where = handoff.payload.h ? ` from ${handoff.payload.h}` : '';
    if (!(await confirm(`Resume session ${handoff.payload.s}${where} in ${plan.cwd}?`))) return 1;
  }
  await burnIfMine();
  return handOver([resume[0], '-y', ...resume.slice(1)], opened);
});

/** Whether the record text is a PIN record (opened with the PIN, not the key). */
function isPinRecord(text: string): boolean {
  try {
    const r = JSON.parse(text) as { pin_salt?: unknown };
    return typeof r.pin_salt === 'string';
  } catch {
    return false; // cc-open says what is wrong with it
  }
}

/**
 * Remove a burn record before resuming it. When another pickup removed it
 * first (nothing left to revoke, or it won the race), this one is not the
 * first reader: say so in our words and resume nothing.
 */
async function revokeBurnt(transport: string[], key: Uint8Array | undefined): Promise<void> {
  try {
    await pipeline([['cc-dht-put', '--revoke', ...transport]], { key, stderr: 'pipe' });
  } catch (err) {
    if (err instanceof StageFailed && (err.exitCode === EXIT.NOT_FOUND || err.exitCode === EXIT.EXPIRED)) {
      throw expiredError('ERR_ALREADY_PICKED_UP', 'this burn-after-reading handoff was already picked up elsewhere; not resuming it', 'ask the publisher for a new handoff');
    }
    if (err instanceof StageFailed) process.stderr.write(err.stderrText);
    throw err;
  }
}
