// cc-key — the user's identity: create, show, convert, re-protect.
import { run } from '../../lib/cli/run.ts';
import { parse, fdFlag } from '../../lib/cli/args.ts';
import { usageError } from '../../lib/cli/errors.ts';
import { writeJson, writeLine } from '../../lib/cli/io.ts';
import * as keycmd from '../../lib/identity/key-commands.ts';

const USAGE = `Usage:
  cc-key init [--no-passphrase] [--import FILE|-] [--force] [--passphrase-fd N]
  cc-key whoami [--passphrase-fd N]
  cc-key recipient pk:…
  cc-key age-identity [--force] [--passphrase-fd N]
  cc-key passwd [--no-passphrase] [--passphrase-fd N] [--new-passphrase-fd N]

Manage the Ed25519 identity that signs, encrypts and addresses everything in
cckit. The key file is CCKIT_KEY_FILE (default ~/.pubky/secret_key), the same
file cclink and pkarr use.

Commands:
  init          create a key (passphrase-protected unless --no-passphrase),
                or import a 64-hex pkarr/cclink key or a CCLINKEK file
  whoami        print {"pubkey","fingerprint","key_file","encrypted","age_recipient"}
  recipient     print the age1… recipient of a peer's public key
  age-identity  print the AGE-SECRET-KEY-1… identity for 'age -d -i'
  passwd        add, change or remove the key's passphrase

Options:
  --no-passphrase          store the key unencrypted (64 hex characters)
  --import FILE|-          import an existing key instead of generating one
  --force                  replace an existing key file / print a secret to a terminal
  --passphrase-fd N        read the (current) passphrase from file descriptor N
  --new-passphrase-fd N    passwd: read the new passphrase from file descriptor N
  -h, --help               show this help
  --version                show the version

Environment: CCKIT_KEY_FILE, CCKIT_PASSPHRASE, CCKIT_NEW_PASSPHRASE.
Exit status: 0 ok, 1 failure, 2 usage, 3 no key file, 4 wrong passphrase.
`;

run('cc-key', USAGE, async (argv) => {
  const [sub, ...rest] = argv;
  const name = 'cc-key';
  switch (sub) {
    case 'init': {
      const { flags } = parse(name, rest, {
        'no-passphrase': { type: 'boolean' },
        import: { type: 'string' },
        force: { type: 'boolean' },
        'passphrase-fd': { type: 'string' },
      });
      writeJson(
        await keycmd.init({
          noPassphrase: !!flags['no-passphrase'],
          importPath: flags.import,
          force: !!flags.force,
          passphraseFd: fdFlag('passphrase-fd', flags['passphrase-fd']),
        }),
      );
      return;
    }
    case 'whoami': {
      const { flags } = parse(name, rest, { 'passphrase-fd': { type: 'string' } });
      writeJson(await keycmd.whoami(fdFlag('passphrase-fd', flags['passphrase-fd'])));
      return;
    }
    case 'recipient': {
      const { positionals } = parse(name, rest, {}, { maxPositionals: 1 });
      if (positionals.length !== 1) throw usageError('recipient needs a public key', 'cc-key recipient pk:…');
      writeLine(keycmd.recipient(positionals[0]));
      return;
    }
    case 'age-identity': {
      const { flags } = parse(name, rest, { force: { type: 'boolean' }, 'passphrase-fd': { type: 'string' } });
      writeLine(await keycmd.ageIdentityOut(!!flags.force, fdFlag('passphrase-fd', flags['passphrase-fd'])));
      return;
    }
    case 'passwd': {
      const { flags } = parse(name, rest, {
        'no-passphrase': { type: 'boolean' },
        'passphrase-fd': { type: 'string' },
        'new-passphrase-fd': { type: 'string' },
      }, { conflicts: { 'no-passphrase': ['new-passphrase-fd'] } });
      writeJson(
        await keycmd.passwd({
          noPassphrase: !!flags['no-passphrase'],
          passphraseFd: fdFlag('passphrase-fd', flags['passphrase-fd']),
          newPassphraseFd: fdFlag('new-passphrase-fd', flags['new-passphrase-fd']),
        }),
      );
      return;
    }
    case undefined:
      throw usageError('missing command', "run 'cc-key --help' for usage");
    default:
      throw usageError(`unknown command '${sub}'`, 'commands: init, whoami, recipient, age-identity, passwd');
  }
});
