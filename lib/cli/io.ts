/**
 * stdin/stdout for commands that speak JSON (DESIGN.md §2): data only on
 * stdout, pretty-printed for a person at a TTY, compact for a pipe.
 */
import { closeSync, fstatSync, openSync, read, readFileSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CliError, EXIT, describeSystemError, usageError } from './errors.ts';
import { jsonForTerminal } from './untrusted-text.ts';

/** 1 MiB: far above any record or payload, far below anything that hurts. */
export const DEFAULT_STDIN_LIMIT = 1 << 20;

/**
 * Read all of stdin (or a file, or `-`) as bytes, up to `limit`.
 * A TTY on stdin is refused with a message saying what was expected,
 * rather than waiting silently for the user to type JSON.
 */
export async function readInput(
  name: string,
  what: string,
  opts: {
    path?: string;
    limit?: number;
    allowEmpty?: boolean;
    /**
     * Wait for stdin on the thread pool instead of in read(2) on the main
     * thread, so the command's own network work (started before) goes on
     * while the writer is still busy.
     */
    keepLoop?: boolean;
  } = {},
): Promise<Buffer> {
  const limit = opts.limit ?? DEFAULT_STDIN_LIMIT;
  let data: Buffer;
  if (opts.path && opts.path !== '-') {
    try {
      data = readFileCapped(opts.path, limit, what);
    } catch (err) {
      if (err instanceof CliError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new CliError('ERR_NO_FILE', `no such file: ${opts.path}`, EXIT.NOT_FOUND);
      throw new CliError('ERR_READ', `cannot read ${opts.path}: ${describeSystemError(err)}`, EXIT.FAILURE);
    }
  } else {
    if (stdinIsTerminal()) {
      throw usageError(`expected ${what} on stdin, got a terminal`, `pipe it in, for example: ... | ${name}`);
    }
    const head = opts.keepLoop ? await readStdinAsync(limit, what) : readStdinSync(limit, what);
    data = head.complete ? head.data : await readStream(process.stdin, limit, what, head.data);
  }
  if (data.length > limit) throw tooBig(what, limit);
  if (!opts.allowEmpty && data.length === 0) {
    throw new CliError('ERR_EMPTY_INPUT', `empty input: expected ${what}`, EXIT.FAILURE);
  }
  return data;
}

/**
 * Read a file (or a device, a FIFO) the way stdin is read: stop one byte past
 * `limit`. Its size is not trusted: /dev/zero says 0 and never ends.
 */
function readFileCapped(path: string, limit: number, what: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(limit + 1, 64 * 1024));
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      size += n;
      if (size > limit) throw tooBig(what, limit);
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks, size);
  } finally {
    closeSync(fd);
  }
}

/** A terminal on stdin, checked without building process.stdin (node:tty and node:net are loaded only for a character device). */
function stdinIsTerminal(): boolean {
  try {
    if (!fstatSync(0).isCharacterDevice()) return false;
  } catch {
    return false; // a closed stdin reads as empty below
  }
  return (createRequire(import.meta.url)('node:tty') as typeof import('node:tty')).isatty(0);
}

/** The buffer both stdin readers read into, and what they collected so far. */
function stdinCollector(limit: number, what: string) {
  const buf = Buffer.alloc(Math.min(limit + 1, 64 * 1024));
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    buf,
    /** Keep the n bytes just read into buf; false at end of input (n = 0). */
    take(n: number): boolean {
      if (n === 0) return false;
      size += n;
      if (size > limit) throw tooBig(what, limit);
      chunks.push(Buffer.from(buf.subarray(0, n)));
      return true;
    },
    result(complete: boolean): { data: Buffer; complete: boolean } {
      return { data: Buffer.concat(chunks, size), complete };
    },
  };
}

/** What a failed read(2) of stdin means: 'again' (non-blocking, nothing yet) or 'end'; anything else is thrown. */
function readFailure(err: unknown): 'again' | 'end' {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EAGAIN') return 'again';
  if (code === 'EOF' || code === 'EBADF') return 'end'; // a closed stdin is empty input
  throw new CliError('ERR_READ', `cannot read input: ${describeSystemError(err)}`, EXIT.FAILURE);
}

/** readStdinSync's reads, each on the thread pool (readInput's keepLoop). */
async function readStdinAsync(limit: number, what: string): Promise<{ data: Buffer; complete: boolean }> {
  const c = stdinCollector(limit, what);
  for (;;) {
    let n: number;
    try {
      n = await new Promise<number>((resolve, reject) => read(0, c.buf, 0, c.buf.length, null, (err, got) => (err ? reject(err) : resolve(got))));
    } catch (err) {
      if (readFailure(err) === 'again') return c.result(false);
      break;
    }
    if (!c.take(n)) break;
  }
  return c.result(true);
}

/**
 * Read stdin with plain read(2) calls: a record or payload is small, and
 * building process.stdin (a net.Socket for a pipe, with the stream stack
 * behind it) was a tenth of the start-up of cc-seal and cc-open (issue 7
 * item 13). A non-blocking descriptor (EAGAIN) hands over to the stream for
 * the rest; `complete` says whether end of input was reached.
 */
function readStdinSync(limit: number, what: string): { data: Buffer; complete: boolean } {
  const c = stdinCollector(limit, what);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, c.buf, 0, c.buf.length, null);
    } catch (err) {
      if (readFailure(err) === 'again') return c.result(false);
      break;
    }
    if (!c.take(n)) break;
  }
  return c.result(true);
}

function tooBig(what: string, limit: number) {
  return new CliError('ERR_INPUT_TOO_LARGE', `input too large: ${what} is limited to ${limit} bytes`, EXIT.FAILURE);
}

/** Collect a stream into one Buffer (after `prefix`, already read), failing as soon as it exceeds `limit`. */
export function readStream(stream: NodeJS.ReadableStream, limit: number, what: string, prefix?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = prefix ? [prefix] : [];
    let size = prefix ? prefix.length : 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(tooBig(what, limit));
        stream.removeAllListeners('data');
        stream.pause();
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks, size)));
    stream.on('error', (err: Error) => reject(new CliError('ERR_READ', `cannot read input: ${err.message}`)));
  });
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bytes as UTF-8 text, refusing invalid sequences (never silently U+FFFD) and dropping one leading BOM. */
export function decodeUtf8(data: Buffer | string, what: string): string {
  let text: string;
  if (typeof data === 'string') {
    text = data;
  } else {
    try {
      text = strictUtf8.decode(data);
    } catch {
      throw new CliError('ERR_BAD_UTF8', `input is not valid UTF-8: expected ${what}`, EXIT.FAILURE);
    }
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parse JSON input (a UTF-8 BOM tolerated), with a one-line error naming what was expected. */
export function parseJson(data: Buffer | string, what: string): unknown {
  const text = decodeUtf8(data, what);
  try {
    return JSON.parse(text);
  } catch {
    const trimmed = text.trim();
    const hint = trimmed.length === 0 ? undefined : 'the input may be truncated or not JSON at all';
    throw new CliError('ERR_BAD_JSON', `input is not valid JSON: expected ${what}`, EXIT.FAILURE, hint);
  }
}

/**
 * Read and parse JSON from stdin (or a path / `-`). Blank input is "empty
 * input", not "invalid JSON": the usual cause is an upstream command that
 * failed and printed nothing.
 */
export async function readJson(name: string, what: string, opts: { path?: string; limit?: number; keepLoop?: boolean } = {}): Promise<unknown> {
  const data = await readInput(name, what, opts);
  if (decodeUtf8(data, what).trim() === '') throw new CliError('ERR_EMPTY_INPUT', `empty input: expected ${what}`, EXIT.FAILURE);
  return parseJson(data, what);
}

/** Write one JSON document: pretty on a TTY, compact in a pipe. */
export function writeJson(value: unknown): void {
  // On a terminal, C1 and bidi characters in strings are escaped too (same JSON value).
  const text = process.stdout.isTTY ? jsonForTerminal(JSON.stringify(value, null, 2)) : JSON.stringify(value);
  process.stdout.write(text + '\n');
}

/** Write one JSON document, compact when asked (--json) even on a TTY. */
export function writeJsonAs(value: unknown, compact: boolean): void {
  const text = JSON.stringify(value);
  if (compact) process.stdout.write((process.stdout.isTTY ? jsonForTerminal(text) : text) + '\n');
  else writeJson(value);
}

/** Write raw text (already serialised) followed by a newline. */
export function writeLine(text: string): void {
  process.stdout.write(text + '\n');
}
