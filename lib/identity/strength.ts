/**
 * How hard a passphrase or PIN is to guess offline, from zxcvbn-ts with its
 * common and English dictionaries (a well-kept estimator, not rules of our
 * own). Both a key passphrase (whoever copies the key file) and a PIN
 * (whoever sees the record) face offline guessing at Argon2id's pace.
 *
 * zxcvbn and its dictionaries (~1 MB) are loaded on first use only, so no
 * command pays for them at start-up. The estimator needs the secret as a JS
 * string, which cannot be zeroed: it lives only as long as this check.
 */
import { CliError, EXIT } from '../cli/errors.ts';

/**
 * Below this many estimated bits a secret is refused. At Argon2id 64 MiB/t=3
 * a GPU tries on the order of 10^3-10^4 guesses a second; 2^40 guesses is
 * years of one GPU, while a 6-digit PIN (20 bits) falls in minutes.
 */
export const MIN_SECRET_BITS = 40;

/** cclink's rule for a key passphrase. */
export const MIN_PASSPHRASE_CHARS = 8;

export interface Strength {
  /** log2 of zxcvbn's estimated guesses. */
  bits: number;
  /** Why it is weak, for the error message, when it is. */
  weakness?: string;
}

type Checker = { check(password: string, userInputs?: string[]): { guessesLog10: number; feedback: { warning: string | null } } };
let checker: Promise<Checker> | undefined;

function load(): Promise<Checker> {
  checker ??= (async () => {
    const [core, common, en] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ]);
    const pick = <T>(m: T & { default?: T }): T => (m.default ?? m) as T; // CommonJS through ESM
    const { ZxcvbnFactory } = pick(core);
    const c = pick(common);
    const e = pick(en);
    return new ZxcvbnFactory({
      translations: e.translations,
      graphs: c.adjacencyGraphs,
      dictionary: { ...c.dictionary, ...e.dictionary },
    }) as unknown as Checker;
  })();
  return checker;
}

/** Estimate a secret's strength; `context` words (a user or host name, the tool's name) count as guessable. */
export async function estimateStrength(secret: string, context: string[] = []): Promise<Strength> {
  const chars = [...secret];
  if (chars.length === 0) return { bits: 0, weakness: 'it is empty' };
  const z = await load();
  const r = z.check(secret, ['cckit', 'cclink', 'claude', 'handoff', 'pickup', ...context]);
  const bits = r.guessesLog10 * Math.log2(10);
  if (bits >= MIN_SECRET_BITS) return { bits };
  let weakness: string;
  if (/^\d+$/.test(secret)) weakness = `it is only ${chars.length} digits`;
  else if (r.feedback.warning) weakness = r.feedback.warning.replace(/\.$/, '').replace(/^./, (c) => c.toLowerCase());
  else weakness = 'it is made of common words or patterns';
  return { bits, weakness };
}

/**
 * A new key passphrase: at least 8 characters (cclink's rule) and 40 bits by
 * the estimate. Throws ERR_WEAK_PASSPHRASE (exit 1) otherwise.
 */
export async function checkNewPassphrase(passphrase: Uint8Array): Promise<Strength> {
  const text = Buffer.from(passphrase).toString('utf8');
  const n = [...text].length;
  if (n < MIN_PASSPHRASE_CHARS) {
    throw new CliError(
      'ERR_WEAK_PASSPHRASE',
      `passphrase too short: ${n} characters, at least ${MIN_PASSPHRASE_CHARS} are needed`,
      EXIT.FAILURE,
      'use several unrelated words, or --no-passphrase to store the key unencrypted',
    );
  }
  const s = await estimateStrength(text);
  if (s.weakness) {
    throw new CliError(
      'ERR_WEAK_PASSPHRASE',
      `passphrase too weak: about ${Math.floor(s.bits)} bits, ${s.weakness}; whoever copies the key file can guess offline`,
      EXIT.FAILURE,
      `use several unrelated words (${MIN_SECRET_BITS}+ bits), or --no-passphrase to store the key unencrypted`,
    );
  }
  return s;
}
