/**
 * The error and exit-code scheme every command shares (DESIGN.md §2).
 * lib/ code throws CliError with the exit code that describes the failure;
 * the command runner turns it into `cc-NAME: error: …` + `hint: …`.
 */

/** Exit statuses, documented in every man page. */
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  AUTH: 4, // bad signature, wrong key or PIN, tampered
  EXPIRED: 5, // expired or revoked
} as const;

/** One of the EXIT statuses (0-5). */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An expected failure: a stable code, a lower-case message, the exit status and an optional hint, printed by the runner without a stack trace. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly hint?: string;
  /** A stable, greppable code such as ERR_RECORD_EXPIRED. */
  readonly code: string;
  /** Already reported (by a pipeline stage, in its own words): exit with the code, print nothing. */
  quiet = false;
  constructor(code: string, message: string, exitCode: ExitCode = EXIT.FAILURE, hint?: string) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

/** A CliError with code ERR_USAGE and exit 2, for bad flags or arguments. */
export const usageError = (message: string, hint?: string) =>
  new CliError('ERR_USAGE', message, EXIT.USAGE, hint);
/** A CliError with the given code and exit 3 (something asked for does not exist). */
export const notFound = (code: string, message: string, hint?: string) =>
  new CliError(code, message, EXIT.NOT_FOUND, hint);
/** A CliError with the given code and exit 4 (bad signature, wrong key or PIN, tampered input). */
export const authError = (code: string, message: string, hint?: string) =>
  new CliError(code, message, EXIT.AUTH, hint);
/** A CliError with the given code and exit 5 (expired or revoked). */
export const expiredError = (code: string, message: string, hint?: string) =>
  new CliError(code, message, EXIT.EXPIRED, hint);
/** A CliError with the given code and exit 1 (any other failure). */
export const failure = (code: string, message: string, hint?: string) =>
  new CliError(code, message, EXIT.FAILURE, hint);

/**
 * A one-line description of a system error: "no space left on device
 * (ENOSPC)". Node's messages start with the code ("ENOSPC: no space left on
 * device, write"); lowercasing those would print "eNOSPC".
 */
export function describeSystemError(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const raw = (e && typeof e.message === 'string' ? e.message : String(err)).split('\n')[0];
  const code = e && typeof e.code === 'string' ? e.code : undefined;
  let text = raw;
  if (code && text.startsWith(`${code}: `)) text = text.slice(code.length + 2);
  text = text.replace(/, (write|writev|open|read|close|fsync|rename|link|unlink)( '[^']*')*$/, '');
  if (/^[A-Z][a-z]/.test(text)) text = text.charAt(0).toLowerCase() + text.slice(1);
  return code && !text.includes(code) ? `${text} (${code})` : text;
}
