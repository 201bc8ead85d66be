/**
 * The runner every bin/ command goes through: --help and --version, the
 * `cc-NAME: error: …` / `cc-NAME: hint: …` lines, exit codes, no stack traces
 * unless CCKIT_DEBUG=1, and quiet exit when the reader of stdout goes away.
 */
import { CliError, EXIT, describeSystemError } from './errors.ts';
import { adoptInheritedKey } from './key-fd.ts';
import { showUntrusted } from './untrusted-text.ts';
import { trace } from './trace.ts';

declare const CCKIT_VERSION: string;
/** The package version build.mjs bakes into each bundle; '0.0.0-dev' when run from source. */
export const VERSION = typeof CCKIT_VERSION === 'string' ? CCKIT_VERSION : '0.0.0-dev';

/** A command's body: gets argv (without node and script) and returns the exit status, or nothing for 0. */
export type CommandFn = (argv: string[]) => Promise<number | void> | number | void;

/** NO_COLOR disables colour only when set to a non-empty value (no-color.org). */
export function colorWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return !!stream.isTTY && !env.NO_COLOR;
}

function color(code: string, text: string): string {
  if (!colorWanted(process.stderr)) return text;
  return `\x1b[${code}m${text}\x1b[0m`;
}

/** Print an error (and hint) the way every command does. */
export function reportError(name: string, err: unknown): number {
  if (process.env.CCKIT_DEBUG === '1' && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  if (err instanceof CliError) {
    if (err.quiet) return err.exitCode;
    // Messages quote records, peers and files: never let those drive the terminal.
    process.stderr.write(`${name}: ${color('31', 'error:')} ${showUntrusted(err.message)}\n`);
    if (err.hint) process.stderr.write(`${name}: ${color('33', 'hint:')} ${showUntrusted(err.hint)}\n`);
    return err.exitCode;
  }
  process.stderr.write(`${name}: ${color('31', 'error:')} ${showUntrusted(describeSystemError(err))}\n`);
  if (process.env.CCKIT_DEBUG !== '1') {
    process.stderr.write(`${name}: ${color('33', 'hint:')} set CCKIT_DEBUG=1 for details\n`);
  }
  return EXIT.FAILURE;
}

/** Print a warning line on stderr. */
export function warn(name: string, message: string): void {
  process.stderr.write(`${name}: ${color('33', 'warning:')} ${showUntrusted(message)}\n`);
}

let stdoutFailed = false;

/**
 * The one place a failed write to stdout is handled (DESIGN.md §2): a reader
 * that went away (EPIPE) ends the command quietly; anything else (a full
 * disk, /dev/full, a closed descriptor) is one error line and exit 1, never
 * exit 0 with truncated output. Streams that write stdout (raw mode) end up
 * here too, whatever they were doing.
 */
export function watchStdout(name: string): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (stdoutFailed) return;
    stdoutFailed = true;
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    process.exitCode = reportError(name, new CliError('ERR_STDOUT', `cannot write to stdout: ${describeSystemError(err)}`, EXIT.FAILURE));
    process.exit(process.exitCode);
  });
}

/** Resolve once everything written to stdout so far has been handed to the OS (or failed). */
function flushStdout(): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.destroyed || stdoutFailed) return resolve();
    process.stdout.write('', () => resolve());
  });
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
    watchStdout(name);
    process.stdout.write(usage.endsWith('\n') ? usage : usage + '\n');
    return;
  }
  if (own.length === 1 && own[0] === '--version') {
    watchStdout(name);
    process.stdout.write(`${name} ${VERSION}\n`);
    return;
  }
  watchStdout(name);
  trace('run');
  Promise.resolve()
    .then(() => {
      adoptInheritedKey(); // before anything can spawn a child that would inherit the descriptor
      return fn(argv);
    })
    .then(
      async (code) => {
        trace('done');
        process.exitCode = code ?? EXIT.OK;
        // A write error surfaces on the stream after the command returned: wait for it.
        await flushStdout();
      },
      (err) => {
        process.exitCode = reportError(name, err);
        // Some libraries keep sockets or timers alive; an error must still end the process.
        setTimeout(() => process.exit(process.exitCode), 50).unref();
      },
    );
}
