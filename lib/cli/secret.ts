/**
 * Secrets (passphrases, PINs) never come from argv (DESIGN.md §2). In order:
 * a file descriptor the caller opened (--passphrase-fd N), an environment
 * variable (CCKIT_PASSPHRASE / CCKIT_PIN), a prompt on /dev/tty. With none of
 * these we fail with a hint instead of hanging.
 */
import { readFileSync } from 'node:fs';
import { CliError, EXIT } from './errors.ts';
import { hasTty, promptTty } from './tty.ts';

/** Where readSecret looks for one secret (fd, then env, then /dev/tty) and how it prompts for it. */
export interface SecretSource {
  /** What the secret is called in messages: "passphrase", "PIN". */
  what: string;
  /** Environment variable consulted after the fd. */
  env: string;
  /** The flag that names a file descriptor, e.g. "passphrase-fd". */
  fdFlag: string;
  fd?: number;
  /** Prompt text on the terminal. */
  prompt: string;
  /** Ask twice on a terminal and require the same answer (new secrets). */
  confirm?: boolean;
  /** Allow an empty answer (for "remove the passphrase"). */
  allowEmpty?: boolean;
}

/** Resolve a secret; the returned Buffer should be zeroed by the caller after use. */
export async function readSecret(src: SecretSource): Promise<Buffer> {
  let secret: Buffer;
  if (src.fd !== undefined) {
    try {
      secret = stripNewline(readFileSync(src.fd));
    } catch (err) {
      throw new CliError('ERR_SECRET_FD', `cannot read ${src.what} from file descriptor ${src.fd}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.USAGE);
    }
  } else if (process.env[src.env] !== undefined) {
    secret = Buffer.from(process.env[src.env]!, 'utf8');
  } else if (hasTty()) {
    secret = await promptTty(src.prompt, { hidden: true });
    if (src.confirm) {
      const again = await promptTty(`Confirm ${src.what}: `, { hidden: true });
      const same = again.equals(secret);
      again.fill(0);
      if (!same) {
        secret.fill(0);
        throw new CliError('ERR_SECRET_MISMATCH', `the two ${src.what}s do not match`, EXIT.FAILURE);
      }
    }
  } else {
    throw new CliError(
      'ERR_NO_TTY',
      `a ${src.what} is needed but there is no terminal to ask on`,
      EXIT.FAILURE,
      `set ${src.env} or pass --${src.fdFlag} N`,
    );
  }
  if (secret.length === 0 && !src.allowEmpty) {
    throw new CliError('ERR_EMPTY_SECRET', `empty ${src.what}`, EXIT.FAILURE);
  }
  return secret;
}

function stripNewline(b: Buffer): Buffer {
  let end = b.length;
  if (end > 0 && b[end - 1] === 0x0a) end--;
  if (end > 0 && b[end - 1] === 0x0d) end--;
  if (end === b.length) return b;
  const out = Buffer.from(b.subarray(0, end));
  b.fill(0);
  return out;
}
