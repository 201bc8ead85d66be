/**
 * The runner every bin/ command goes through: --help and --version, the
 * `cc-NAME: error: …` / `cc-NAME: hint: …` lines, exit codes, no stack traces
 * unless CCKIT_DEBUG=1, and quiet exit when the reader of stdout goes away.
 */
import { CliError, EXIT } from './errors.ts';

declare const CCKIT_VERSION: string;
/** The package version build.mjs bakes into each bundle; '0.0.0-dev' when run from source. */
export const VERSION = typeof CCKIT_VERSION === 'string' ? CCKIT_VERSION : '0.0.0-dev';

/** A command's body: gets argv (without node and script) and returns the exit status, or nothing for 0. */
export type CommandFn = (argv: string[]) => Promise<number | void> | number | void;

function color(code: string, text: string): string {
  if (!process.stderr.isTTY || process.env.NO_COLOR !== undefined) return text;
  return `\x1b[${code}m${text}\x1b[0m`;
}

/** Print an error (and hint) the way every command does. */
export function reportError(name: string, err: unknown): number {
  if (process.env.CCKIT_DEBUG === '1' && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  if (err instanceof CliError) {
    if (err.quiet) return err.exitCode;
    process.stderr.write(`${name}: ${color('31', 'error:')} ${err.message}\n`);
    if (err.hint) process.stderr.write(`${name}: ${color('33', 'hint:')} ${err.hint}\n`);
    return err.exitCode;
  }
  const e = err as NodeJS.ErrnoException;
  const msg = (e && e.message ? e.message : String(err)).split('\n')[0];
  process.stderr.write(`${name}: ${color('31', 'error:')} ${msg.charAt(0).toLowerCase()}${msg.slice(1)}\n`);
  if (process.env.CCKIT_DEBUG !== '1') {
    process.stderr.write(`${name}: ${color('33', 'hint:')} set CCKIT_DEBUG=1 for details\n`);
  }
  return EXIT.FAILURE;
}

/** Print a warning line on stderr. */
export function warn(name: string, message: string): void {
  process.stderr.write(`${name}: ${color('33', 'warning:')} ${message}\n`);
}

/**
 * Run a command. `usage` is printed for -h/--help (to stdout, exit 0);
 * the function's return value (or 0) becomes the exit status.
 */
export function run(name: string, usage: string, fn: CommandFn): void {
  const argv = process.argv.slice(2);
  const dashdash = argv.indexOf('--');
  const own = dashdash === -1 ? argv : argv.slice(0, dashdash);
  if (own.includes('-h') || own.includes('--help')) {
    process.stdout.write(usage.endsWith('\n') ? usage : usage + '\n');
    return;
  }
  if (own.length === 1 && own[0] === '--version') {
    process.stdout.write(`${name} ${VERSION}\n`);
    return;
  }
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  Promise.resolve()
    .then(() => fn(argv))
    .then(
      (code) => {
        process.exitCode = code ?? EXIT.OK;
      },
      (err) => {
        process.exitCode = reportError(name, err);
        // Some libraries keep sockets or timers alive; an error must still end the process.
        setTimeout(() => process.exit(process.exitCode), 50).unref();
      },
    );
}
