// cc-dht-get — resolve a key's most recent packet and print its handoff record.
import { run, warn } from '../../lib/cli/run.ts';
import { parse, fdFlag, intFlag } from '../../lib/cli/args.ts';
import { CliError, EXIT, expiredError, notFound } from '../../lib/cli/errors.ts';
import { writeJson, writeLine } from '../../lib/cli/io.ts';
import { ttyWrite } from '../../lib/cli/tty.ts';
import { loadMyIdentity } from '../../lib/identity/unlock.ts';
import { resolvePeer } from '../../lib/pair/peers.ts';
import { formatPubkey } from '../../lib/identity/identity.ts';

const NAME = 'cc-dht-get';

const USAGE = `Usage:
  cc-dht-get [pk:…|NAME] [--name N] [--wait S] [--all] [--transport T] [--passphrase-fd N]

Resolve the most recent PKARR packet of a key (a pk:… key or a paired
peer's NAME; your own key by default) and print its _cclink record, the JSON
that cc-open reads. Every answer's signature is checked; packets for other
keys, with bad signatures or older timestamps lose.

Options:
  --name N            print TXT N instead of _cclink
  --wait S            keep looking up to S seconds while nothing is found
                      (the normal case right after a publish); a revoked
                      record or an unreachable DHT ends the wait at once
  --all               print every TXT record of the packet:
                      {"pubkey","seq","records":[{"name","ttl","txt"}]}
  --transport T       mainline (default), relay or hyper; repeat or use a
                      comma list to look on several (the newest packet wins)
  --passphrase-fd N   passphrase for your own key (when no key is given)
  -h, --help          show this help
  --version           show the version

Environment: CCKIT_BOOTSTRAP, CCKIT_RELAYS, CCKIT_HYPER_BOOTSTRAP,
CCKIT_TRANSPORT, CCKIT_KEY_FILE, CCKIT_PASSPHRASE, CCKIT_STATE_DIR, CCKIT_DEBUG.
Exit status: 0 found, 1 failure (DHT unreachable), 2 usage, 3 nothing was
ever published, 4 the record names another key, 5 the record was revoked or
burnt (the newest packet removed it).
`;

run(NAME, USAGE, async (argv) => {
  // The DHT code loads here, not at start-up: --version and --help need none of it.
  const [{ checkName, DEFAULT_NAME, fullName, listTxt, readTxt }, { checkFoundUnder }, { selectTransports }] = await Promise.all([
    import('../../lib/dht/pkarr.ts'),
    import('../../lib/dht/record-check.ts'),
    import('../../lib/dht/transports.ts'),
  ]);
  const { flags, positionals } = parse(
    NAME,
    argv,
    {
      name: { type: 'string' },
      wait: { type: 'string' },
      all: { type: 'boolean' },
      transport: { type: 'string', multiple: true },
      'passphrase-fd': { type: 'string' },
    },
    { maxPositionals: 1 },
  );
  const name = checkName(flags.name ?? DEFAULT_NAME);
  const waitMs = intFlag('wait', flags.wait, 0) * 1000;
  const transports = await selectTransports(flags.transport, NAME);
  let publicKey: Uint8Array;
  if (positionals.length > 0) {
    publicKey = await resolvePeer(positionals[0], (m) => warn(NAME, m));
  } else {
    const me = await loadMyIdentity(fdFlag('passphrase-fd', flags['passphrase-fd']));
    publicKey = me.publicKey;
    me.seed.fill(0);
  }
  const full = fullName(name, publicKey);
  const log = (m: string) => warn(NAME, m);

  const [{ Network }, { resolveLatest }] = await Promise.all([import('../../lib/dht/network.ts'), import('../../lib/dht/resolve.ts')]);
  const net = await Network.open(transports, log);
  let waited = false;
  let result;
  try {
    result = await resolveLatest({
      net,
      publicKey,
      full: flags.all ? undefined : full,
      waitMs,
      log,
      onRetry: (left) => {
        waited = true;
        ttyWrite(`\r${NAME}: not found yet, looking again (${Math.ceil(left / 1000)} s left)\x1b[K`);
      },
    });
  } finally {
    if (waited) ttyWrite('\r\x1b[K');
    await net.close();
  }

  const found = result.found;
  if (result.revoked) {
    const when = new Date(Math.floor(result.revoked.seq / 1000)).toISOString();
    throw expiredError(
      'ERR_REVOKED',
      `the ${name} record of ${formatPubkey(publicKey)} was revoked or burnt after reading (removed ${when})`,
      'ask the publisher for a new handoff',
    );
  }
  if (!found) {
    throw notFound(
      'ERR_NOT_FOUND',
      `no ${flags.all ? 'packet' : `${name} record`} found for ${formatPubkey(publicKey)}`,
      waitMs > 0 ? 'it was never published, has expired or was revoked' : 'just published? records take a moment to spread: try --wait 30',
    );
  }
  if (flags.all) {
    writeJson({ pubkey: formatPubkey(publicKey), seq: found.seq, records: listTxt(found.dns, publicKey) });
    return;
  }
  const text = readTxt(found.dns, full)!;
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    throw new CliError('ERR_RECORD_NOT_JSON', `the ${name} record of ${formatPubkey(publicKey)} is not JSON`, EXIT.FAILURE, 'use --all to see the raw TXT records');
  }
  checkFoundUnder(record, publicKey);
  // The exact published text in a pipe (cc-open verifies it); pretty for a person.
  if (process.stdout.isTTY) writeJson(record);
  else writeLine(text);
});
