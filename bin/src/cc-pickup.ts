// cc-pickup — find a handoff, check it, decrypt it and resume the session.
// The work is this pipeline, which you can also type yourself:
//   cc-dht-get [pk:…] --wait S | cc-open --from pk:… | cc-resume
import { run, warn } from '../../lib/cli/run.ts';
import { parse, intFlag, fdFlag } from '../../lib/cli/args.ts';
import { writeJson } from '../../lib/cli/io.ts';
import { usageError } from '../../lib/cli/errors.ts';
import { confirm, hasTty } from '../../lib/cli/tty.ts';
import { pipeline, handOver } from '../../lib/handoff/pipeline.ts';
import { unlockOnce } from '../../lib/identity/unlock-once.ts';
import { renderQr } from '../../lib/handoff/text.ts';

const USAGE = `Usage:
  cc-pickup [pk:…|NAME] [-y] [--print] [--qr] [--wait S] [--cwd DIR] [--json] [-- CLAUDE-ARGS…]

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
the carried session is installed beside it under a new id.

A handoff marked burn-after-reading is removed from the DHT once you confirm,
when it was published under your own key (the publisher's key is needed to
remove it otherwise; you are told so).

Options:
  -y, --yes           resume without asking
  --print             print {"cwd","argv"} of the claude command; run nothing
  --qr                also show the session id as a QR code
  --wait S            keep looking up to S seconds while nothing is found (default 30)
  --cwd DIR           resume in DIR, your copy of the project at another path
  --transport T       mainline (default), relay or hyper; comma-separated for several
  --json              with --print, compact JSON; otherwise the opened handoff as JSON
  --passphrase-fd N   read the key's passphrase from file descriptor N
  -- CLAUDE-ARGS…     passed on to claude, e.g. -- -p "carry on" for a script
  -h, --help          show this help
  --version           show the version

Exit status: 0 ok, 1 failure, 2 usage, 3 nothing published / session not
found here, 4 bad signature, wrong key or PIN, 5 expired or revoked.
Otherwise the exit status of claude.
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
      transport: { type: 'string' },
      json: { type: 'boolean' },
      'passphrase-fd': { type: 'string' },
    },
    { maxPositionals: 1 },
  );
  const wait = intFlag('wait', flags.wait, 30);
  const transport = flags.transport ? ['--transport', flags.transport] : [];
  const env = await unlockOnce(fdFlag('passphrase-fd', flags['passphrase-fd']));
  const who = positionals[0];
  if (!flags.yes && !flags.print && !hasTty()) {
    throw usageError('nothing to confirm on: there is no terminal', 'add -y to resume without asking, or --print');
  }

  // Our own key: the default publisher (self mode: the same key on both machines), and
  // who may burn. A PIN handoff from someone else needs no key here at all.
  const whoami = async (stderr: 'inherit' | 'ignore') => JSON.parse(await pipeline([['cc-key', 'whoami']], { env, stderr })).pubkey as string;
  const from = who ?? (await whoami('inherit'));
  const opened = await pipeline(
    [
      ['cc-dht-get', from, '--wait', String(wait), ...transport],
      ['cc-open', '--from', from],
    ],
    { env },
  );
  const handoff = JSON.parse(opened);

  const burn = async () => {
    if (!handoff.burn) return;
    const me = who === undefined ? from : await whoami('ignore').catch(() => undefined);
    if (me !== undefined && handoff.from === me) {
      await pipeline([['cc-dht-put', '--revoke', ...transport]], { env });
      process.stderr.write('cc-pickup: burned: the handoff record was removed from the DHT\n');
    } else {
      warn('cc-pickup', `this handoff is burn-after-reading, but only its publisher (${from}) can remove it: ask them to run 'cc-handoff --revoke'`);
    }
  };

  if (handoff.payload?.c) {
    // Session carry: the files come with the record (lib/handoff/carry-*.ts).
    const { fetchCarried, megabytes } = await import('../../lib/handoff/carry-porcelain.ts');
    const { carryTargetDir } = await import('../../lib/handoff/carry-flow.ts');
    const dir = carryTargetDir(handoff, flags.cwd);
    if (flags.qr) process.stderr.write(await renderQr(handoff.payload.s));
    if (flags.print) return writeJson({ cwd: dir, carry: { bytes: handoff.payload.c.n, sha256: handoff.payload.c.x }, handoff });
    if (!flags.yes) {
      if (!hasTty()) throw usageError('resuming asks for confirmation and there is no terminal', 'add -y to resume without asking');
      const where = handoff.payload.h ? ` from ${handoff.payload.h}` : '';
      if (!(await confirm(`Fetch session ${handoff.payload.s}${where} (${megabytes(handoff.payload.c.n)}) and resume it in ${dir}?`))) return 1;
    }
    Object.assign(process.env, env);
    const input = await fetchCarried(handoff, flags.cwd);
    await burn();
    return handOver(['cc-resume', '-y', ...(claudeArgs.length ? ['--', ...claudeArgs] : [])], input);
  }

  const resume = ['cc-resume', ...(flags.cwd ? ['--cwd', flags.cwd] : []), ...(claudeArgs.length ? ['--', ...claudeArgs] : [])];
  const plan = JSON.parse(await pipeline([[resume[0], '--print', ...resume.slice(1)]], { env, input: opened }));

  if (flags.qr) process.stderr.write(await renderQr(handoff.payload.s));
  if (flags.print) return writeJson(flags.json ? plan : { ...plan, handoff });

  if (!flags.yes) {
    if (!hasTty()) throw usageError('resuming asks for confirmation and there is no terminal', 'add -y to resume without asking');
    const where = handoff.payload.h ? ` from ${handoff.payload.h}` : '';
    if (!(await confirm(`Resume session ${handoff.payload.s}${where} in ${plan.cwd}?`))) return 1;
  }
  await burn();
  return handOver([resume[0], '-y', ...resume.slice(1)], opened);
});
