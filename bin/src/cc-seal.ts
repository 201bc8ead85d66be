// cc-seal — seal a session payload into a signed handoff record, or (--raw) any bytes into an age file.
import { run, warn } from '../../lib/cli/run.ts';
import { parse, fdFlag, intFlag } from '../../lib/cli/args.ts';
import { usageError } from '../../lib/cli/errors.ts';
import { readJson } from '../../lib/cli/io.ts';
import { loadMyIdentity } from '../../lib/identity/unlock.ts';
import { hasTty, ttyWrite } from '../../lib/cli/tty.ts';
import { x25519Public } from '../../lib/identity/identity.ts';
import { resolvePeer } from '../../lib/pair/peers.ts';
import { checkPinStrength, generatePin, readPin } from '../../lib/handoff/pin.ts';
import { parsePayloadInput } from '../../lib/handoff/record.ts';
import { sealRecord } from '../../lib/handoff/seal.ts';
import { DEFAULT_TTL, MAX_TTL, MAX_TTL_SAYS } from '../../lib/handoff/ttl.ts';

const NAME = 'cc-seal';

const USAGE = `Usage:
  cc-seal [--to pk:…|NAME | --pin [--generate-pin] [--weak-pin] [--pin-fd N]]
          [--ttl S] [--burn] [--passphrase-fd N] [PAYLOAD|-]
  cc-seal --raw [--to pk:…|NAME|age1…]... [-a] [-o FILE] [--passphrase-fd N] [INPUT|-]

Record mode reads a session payload (what cc-session prints) and prints a
signed handoff record (cclink v1.3 format) whose blob only the intended
reader can decrypt: yourself by default, one peer with --to, or whoever
knows the PIN with --pin. The record is compact JSON, ready for cc-dht-put.

Raw mode encrypts any input to a standard age file, streamed, readable by
'age -d' and 'cc-open --raw'.

Options:
  --to pk:…|NAME        encrypt to this peer instead of yourself (raw: repeatable,
                        also accepts age1… recipients)
  --pin                 encrypt to a PIN instead of a key (asked on the terminal,
                        or CCKIT_PIN, or --pin-fd)
  --generate-pin        with --pin: make a strong PIN and show it once on the
                        terminal (stderr without one), never on stdout
  --weak-pin            accept a PIN that is easy to guess offline
  --pin-fd N            read the PIN from file descriptor N
  --ttl S               seconds the record stays valid (default 86400, at most a year)
  --burn                mark the record burn-after-read: the first pickup holding
                        your key removes it (not with --to; with --pin, PIN
                        holders without your key cannot remove it)
  --raw                 encrypt stdin (or INPUT) to an age file
  -a, --armor           raw: write ASCII-armored (PEM) output
  -o, --output FILE     raw: write to FILE (atomically) instead of stdout
  --passphrase-fd N     read the key file's passphrase from file descriptor N
  -h, --help            show this help
  --version             show the version

Environment: CCKIT_KEY_FILE, CCKIT_PASSPHRASE, CCKIT_PIN, CCKIT_CONFIG_DIR.
Exit status: 0 ok, 1 failure, 2 usage, 3 no key file or input file,
4 wrong passphrase. See cc-seal(1).
`;

const SPECS = {
  to: { type: 'string', multiple: true },
  pin: { type: 'boolean' },
  'generate-pin': { type: 'boolean' },
  'weak-pin': { type: 'boolean' },
  'pin-fd': { type: 'string' },
  ttl: { type: 'string' },
  burn: { type: 'boolean' },
  raw: { type: 'boolean' },
  armor: { type: 'boolean', short: 'a' },
  output: { type: 'string', short: 'o' },
  'passphrase-fd': { type: 'string' },
} as const;

const WHAT = "a session payload (JSON from 'cc-session')";

run(NAME, USAGE, async (argv) => {
  const { flags, positionals } = parse(NAME, argv, SPECS, {
    maxPositionals: 1,
    conflicts: {
      raw: ['pin', 'generate-pin', 'weak-pin', 'pin-fd', 'ttl', 'burn'],
      to: ['pin', 'generate-pin'],
      burn: ['to'],
      'generate-pin': ['pin-fd', 'weak-pin'],
    },
    requires: { armor: 'raw', output: 'raw', 'pin-fd': 'pin', 'weak-pin': 'pin' },
    hints: { burn: 'only the publisher can revoke a record, so a shared record cannot be burnt after reading (as in cclink)' },
  });
  const passphraseFd = fdFlag('passphrase-fd', flags['passphrase-fd']);
  const to = flags.to ?? [];

  if (flags.raw) {
    if (!flags.output && !flags.armor && process.stdout.isTTY) {
      throw usageError('refusing to write binary age data to a terminal', 'use --armor, -o FILE, or redirect stdout');
    }
    const { rawInput, rawOutput, sealRaw, parseAgeRecipient } = await import('../../lib/age/raw.ts');
    const input = rawInput(NAME, 'data to encrypt', positionals[0]); // a missing file fails before any passphrase is asked
    const recipients = [];
    for (const t of to) {
      if (t.startsWith('age1')) {
        recipients.push(parseAgeRecipient(t));
      } else {
        recipients.push({ x25519: x25519Public(await resolvePeer(t, (m) => warn(NAME, m))) });
      }
    }
    if (recipients.length === 0) {
      const id = await loadMyIdentity(passphraseFd);
      id.seed.fill(0);
      recipients.push({ x25519: x25519Public(id.publicKey) });
    }
    await sealRaw(input, rawOutput(flags.output, 0o666), { recipients, armor: !!flags.armor });
    return;
  }

  if (to.length > 1) throw usageError('a record has one recipient: give --to once', 'use --raw to encrypt a file to several recipients');
  const pinMode = !!flags.pin || !!flags['generate-pin'];
  const ttl = intFlag('ttl', flags.ttl, DEFAULT_TTL, 1, { value: MAX_TTL, says: MAX_TTL_SAYS });
  const pinFd = fdFlag('pin-fd', flags['pin-fd']);

  // 64 KiB: far above any payload.
  const payload = parsePayloadInput(await readJson(NAME, WHAT, { path: positionals[0], limit: 64 * 1024 }));
  let peer: Uint8Array | undefined;
  if (to.length) {
    peer = await resolvePeer(to[0], (m) => warn(NAME, m));
  }

  let pin: Buffer | undefined;
  let generated: string | undefined;
  if (pinMode) {
    if (flags['generate-pin']) {
      generated = generatePin();
      pin = Buffer.from(generated, 'utf8');
    } else {
      pin = await readPin({ fd: pinFd, confirm: true });
      try {
        await checkPinStrength(pin, !!flags['weak-pin']);
      } catch (err) {
        pin.fill(0);
        throw err;
      }
    }
  }

  if (flags.burn && pinMode) {
    // DESIGN.md §5: a removal is signed by the publisher's key, which a PIN holder does not have.
    warn(NAME, 'burn with --pin: only a pickup on a machine holding your key removes the record; anyone with the PIN elsewhere can pick it up again until it expires (keep --ttl short)');
  }
  const id = await loadMyIdentity(passphraseFd);
  let json: string;
  try {
    json = await sealRecord({ payload, seed: id.seed, publicKey: id.publicKey, to: peer, pin, ttl, burn: !!flags.burn });
  } finally {
    id.seed.fill(0);
    pin?.fill(0);
  }
  // Compact even on a terminal: these bytes are the record's wire form and what the size budget counted.
  process.stdout.write(json + '\n');
  if (generated) {
    // Shown once, where a person sees it and a pipeline does not: the terminal, else stderr.
    const line = `${NAME}: PIN for this record (shown once, share it out of band): ${generated}\n`;
    if (hasTty()) ttyWrite(line);
    else process.stderr.write(line);
  }
});
