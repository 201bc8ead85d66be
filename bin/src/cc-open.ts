// cc-open — verify and decrypt a handoff record, or (--raw) decrypt an age file.
import { run, warn } from '../../lib/cli/run.ts';
import { parse, fdFlag } from '../../lib/cli/args.ts';
import { usageError } from '../../lib/cli/errors.ts';
import { readJson, writeJson } from '../../lib/cli/io.ts';
import { loadMyIdentity } from '../../lib/identity/unlock.ts';
import { fingerprint, formatPubkey, x25519Secret } from '../../lib/identity/identity.ts';
import { openRecord } from '../../lib/handoff/open.ts';
import { resolvePeer } from '../../lib/pair/peers.ts';
import { readPin } from '../../lib/handoff/pin.ts';

const NAME = 'cc-open';

const USAGE = `Usage:
  cc-open [--from pk:…|NAME] [--pin-fd N] [--passphrase-fd N] [RECORD|-]
  cc-open --raw [-o FILE] [--passphrase-fd N] [INPUT|-]

Record mode reads a handoff record (from cc-seal or cc-dht-get), verifies its
signature, checks it has not expired, decrypts it with your key (or asks for
the PIN of a PIN record) and prints
  {"v":1,"from":"pk:…","created_at":…,"expires_at":…,"burn":…,"payload":{"h","p","s"}}

Raw mode decrypts an age file (binary or armored, detected) encrypted to
your key, streamed.

Options:
  --from pk:…|NAME      require the record to be signed by this key
  --pin-fd N            read the PIN of a PIN record from file descriptor N
  --raw                 decrypt an age file instead of a record
  -o, --output FILE     raw: write to FILE (atomically, mode 0600) instead of stdout
  --passphrase-fd N     read the key file's passphrase from file descriptor N
  -h, --help            show this help
  --version             show the version

Environment: CCKIT_KEY_FILE, CCKIT_PASSPHRASE, CCKIT_PIN, CCKIT_CONFIG_DIR.
Exit status: 0 ok, 1 failure, 2 usage, 3 no key file or input file,
4 bad signature, wrong signer, key, PIN or passphrase, tampered data,
5 expired (or not yet valid). See cc-open(1).
`;

const SPECS = {
  from: { type: 'string' },
  'pin-fd': { type: 'string' },
  raw: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  'passphrase-fd': { type: 'string' },
} as const;

const WHAT = "a handoff record (JSON from 'cc-seal' or 'cc-dht-get')";

run(NAME, USAGE, async (argv) => {
  const { flags, positionals } = parse(NAME, argv, SPECS, {
    maxPositionals: 1,
    conflicts: { raw: ['from', 'pin-fd'] },
    requires: { output: 'raw' },
  });
  const passphraseFd = fdFlag('passphrase-fd', flags['passphrase-fd']);

  if (flags.raw) {
    const { rawInput, rawOutput, openRaw } = await import('../../lib/age/raw.ts');
    const input = rawInput(NAME, 'an age file', positionals[0]);
    const id = await loadMyIdentity(passphraseFd);
    const secret = x25519Secret(id.seed);
    id.seed.fill(0);
    try {
      await openRaw(input, rawOutput(flags.output, 0o600), { secrets: [secret] });
    } finally {
      secret.fill(0);
    }
    return;
  }

  const pinFd = fdFlag('pin-fd', flags['pin-fd']);
  // 64 KiB: far above any record.
  const record = await readJson(NAME, WHAT, { path: positionals[0], limit: 64 * 1024 });
  let from: Uint8Array | undefined;
  if (flags.from !== undefined) {
    from = await resolvePeer(flags.from, (m) => warn(NAME, m));
  }
  const opened = await openRecord({
    record,
    from,
    identity: () => loadMyIdentity(passphraseFd),
    pin: (signer) => readPin({ fd: pinFd, confirm: false, prompt: `PIN for the handoff from ${formatPubkey(signer)} (fingerprint ${fingerprint(signer)}): ` }),
  });
  writeJson(opened);
});
