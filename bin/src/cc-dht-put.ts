// cc-dht-put — publish a handoff record under the caller's key on the DHT.
import { run, warn } from '../../lib/cli/run.ts';
import { parse, fdFlag, intFlag } from '../../lib/cli/args.ts';
import { readJson, writeJson, writeLine } from '../../lib/cli/io.ts';
import { loadMyIdentity } from '../../lib/identity/unlock.ts';
import { inheritedSeed } from '../../lib/cli/key-fd.ts';
import { plainKeyPublicKey } from '../../lib/identity/unlock-once.ts';
import { trace } from '../../lib/cli/trace.ts';
import type { Identity } from '../../lib/identity/identity.ts';
import type { Network, Snapshot } from '../../lib/dht/network.ts';
import type { Transport } from '../../lib/dht/transports.ts';
import { fstatSync } from 'node:fs';
import { checkName, DEFAULT_NAME } from '../../lib/dht/pkarr.ts';
import { checkNotExpired, checkPublisher, recordExpiry, recordObject, type RecordObject } from '../../lib/dht/record-check.ts';
import { sealedRecord } from '../../lib/handoff/publishable.ts';
import { selectTransports } from '../../lib/dht/transports.ts';

const NAME = 'cc-dht-put';

const USAGE = `Usage:
  cc-dht-put [--name N] [--transport T] [--passphrase-fd N] [FILE|-]
  cc-dht-put --revoke [--name N] [--transport T] [--passphrase-fd N]
  cc-dht-put --republish [--interval S] [--name N] [--transport T] [--passphrase-fd N] [FILE|-]

Publish the record on stdin (a handoff record from cc-seal) under your key as
the TXT record _cclink of a PKARR signed packet on the Mainline DHT. Only a
sealed record whose signature verifies under your key is published: a bare
payload, an edited record or someone else's record is refused (exit 4). Other
records of the key's packet (a Pubky _pubky record, say) are kept. Prints
{"pubkey","name","seq","stored":{transport: nodes that took it}}.

Options:
  --name N            publish as TXT N instead of _cclink
  --revoke            remove the record (and only it) instead of publishing
  --republish         stay up and put the record again every interval until
                      it expires (created_at + ttl); one JSON line per put
  --interval S        seconds between republishes (default 3600)
  --transport T       mainline (default), relay or hyper; repeat or use a
                      comma list to publish on several
  --passphrase-fd N   read the key's passphrase from file descriptor N
  -h, --help          show this help
  --version           show the version

Environment: CCKIT_KEY_FILE, CCKIT_PASSPHRASE, CCKIT_BOOTSTRAP, CCKIT_RELAYS,
CCKIT_HYPER_BOOTSTRAP, CCKIT_TRANSPORT, CCKIT_STATE_DIR, CCKIT_DEBUG.
Exit status: 0 ok, 1 failure, 2 usage, 3 nothing to revoke, 4 not a sealed
record, a bad signature or not yours, 5 the record has expired or (--revoke)
was revoked meanwhile by another writer.
`;

run(NAME, USAGE, async (argv) => {
  const { flags, positionals } = parse(
    NAME,
    argv,
    {
      name: { type: 'string' },
      revoke: { type: 'boolean' },
      republish: { type: 'boolean' },
      interval: { type: 'string' },
      transport: { type: 'string', multiple: true },
      'passphrase-fd': { type: 'string' },
    },
    { maxPositionals: 1, conflicts: { revoke: ['republish'] }, requires: { interval: 'republish' }, noPositionalsWith: ['revoke'] },
  );
  const intervalMs = intFlag('interval', flags.interval, 3600, 1) * 1000;
  const name = checkName(flags.name ?? DEFAULT_NAME);
  const transports = await selectTransports(flags.transport, NAME);
  const passphraseFd = fdFlag('passphrase-fd', flags['passphrase-fd']);

  // Warnings wait until the record is accepted (a refused record is one error line).
  const held: string[] = [];
  let holding = true;
  const log = (m: string) => (holding ? held.push(m) : warn(NAME, m));

  // Started ahead of its record (cc-handoff --carry starts this stage while
  // it packs the session), the record may be a while coming: join the DHT
  // and look up the key's current packet meanwhile (neither depends on the
  // record; the put still merges with anything written since). Only for a
  // record arriving on a pipe, and only when the key needs no passphrase:
  // a prompt before the upstream stage is done would mix two on one terminal.
  const early = !flags.revoke && recordOnPipe(positionals[0]) && keyNeedsNoPrompt() ? joinEarly(transports, log) : undefined;
  early?.catch(() => {}); // on failure, the ordinary path below runs and says why

  let text: string | undefined;
  let expiresAt: number | undefined;
  let record: RecordObject | undefined;
  if (!flags.revoke) {
    const what = 'a handoff record (JSON)';
    const sealed = sealedRecord(recordObject(await readJson(NAME, what, { path: positionals[0], keepLoop: early !== undefined })));
    trace('record read');
    record = sealed.record as unknown as RecordObject;
    text = sealed.text;
    checkNotExpired(record);
    // A sealed record always carries created_at and ttl: --republish knows when to stop.
    expiresAt = recordExpiry(record);
  }

  holding = false;
  for (const m of held.splice(0)) warn(NAME, m);
  const ready = early ? await early.catch(() => undefined) : undefined;
  const identity = ready?.identity ?? (await loadMyIdentity(passphraseFd));
  // A daemon is stopped with SIGTERM at any moment, also during the first
  // publish: let that finish, then leave cleanly (exit 0).
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  if (flags.republish) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  try {
    if (record) checkPublisher(record, identity.publicKey);
    const [{ Network }, { publish }] = await Promise.all([import('../../lib/dht/network.ts'), import('../../lib/dht/publish.ts')]);
    const net = ready?.net ?? (await Network.open(transports, log));
    try {
      const result = await publish({ identity, name, text, net, log, snapshot: ready?.snapshot });
      const out = { pubkey: result.pubkey, name: result.name, seq: result.seq, stored: result.stored, ...(text === undefined ? { revoked: true } : {}) };
      if (!flags.republish) {
        writeJson(out);
        return;
      }
      // From here on only already-signed packets are re-put: forget the key.
      identity.seed.fill(0);
      writeLine(JSON.stringify(out));
      const { republish } = await import('../../lib/dht/republish.ts');
      const end = await republish({
        net,
        publicKey: identity.publicKey,
        text: text!,
        first: result,
        expiresAt: expiresAt!,
        intervalMs,
        signal: stop.signal,
        emit: (tick) => writeLine(JSON.stringify(tick)),
        log,
      });
      if (end === 'expired') process.stderr.write(`${NAME}: the record expired; stopped republishing\n`);
      if (end === 'replaced') process.stderr.write(`${NAME}: the record was revoked or replaced by a newer one; stopped republishing\n`);
    } finally {
      await net.close();
    }
  } finally {
    identity.seed.fill(0);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
});

/** The record comes on stdin, and stdin is a pipe (a shell's FIFO, or the socket pair node's spawn makes): a stage upstream may still be working. */
function recordOnPipe(path: string | undefined): boolean {
  if (path !== undefined && path !== '-') return false;
  try {
    const st = fstatSync(0);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

/** The seed was handed over by the porcelain, or the key file is not encrypted. */
function keyNeedsNoPrompt(): boolean {
  return inheritedSeed() !== undefined || plainKeyPublicKey() !== undefined;
}

/** Load the key, join the DHT and start looking up our key's packet. */
async function joinEarly(transports: Transport[], log: (m: string) => void): Promise<{ identity: Identity; net: Network; snapshot: Promise<Snapshot> }> {
  const identity = await loadMyIdentity();
  const { Network } = await import('../../lib/dht/network.ts');
  const net = await Network.open(transports, log);
  trace('joined the DHT');
  const snapshot = net.snapshot(identity.publicKey);
  snapshot.then(() => trace('looked up our packet'), () => {});
  return { identity, net, snapshot };
}
