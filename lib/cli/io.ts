/**
 * stdin/stdout for commands that speak JSON (DESIGN.md §2): data only on
 * stdout, pretty-printed for a person at a TTY, compact for a pipe.
 */
import { readFileSync, statSync } from 'node:fs';
import { CliError, EXIT, usageError } from './errors.ts';
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
  opts: { path?: string; limit?: number; allowEmpty?: boolean } = {},
): Promise<Buffer> {
  const limit = opts.limit ?? DEFAULT_STDIN_LIMIT;
  let data: Buffer;
  if (opts.path && opts.path !== '-') {
    try {
      const st = fstatSafe(opts.path);
      if (st && st.size > limit) throw tooBig(what, limit);
      data = readFileSync(opts.path);
    } catch (err) {
      if (err instanceof CliError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new CliError('ERR_NO_FILE', `no such file: ${opts.path}`, EXIT.NOT_FOUND);
      throw new CliError('ERR_READ', `cannot read ${opts.path}: ${code ?? (err as Error).message}`, EXIT.FAILURE);
    }
  } else {
    if (process.stdin.isTTY) {
      throw usageError(`expected ${what} on stdin, got a terminal`, `pipe it in, for example: ... | ${name}`);
    }
    data = await readStream(process.stdin, limit, what);
  }
  if (data.length > limit) throw tooBig(what, limit);
  if (!opts.allowEmpty && data.length === 0) {
    throw new CliError('ERR_EMPTY_INPUT', `empty input: expected ${what}`, EXIT.FAILURE);
  }
  return data;
}

function fstatSafe(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function tooBig(what: string, limit: number) {
  return new CliError('ERR_INPUT_TOO_LARGE', `input too large: ${what} is limited to ${limit} bytes`, EXIT.FAILURE);
}

/** Collect a stream into one Buffer, failing as soon as it exceeds `limit`. */
export function readStream(stream: NodeJS.ReadableStream, limit: number, what: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
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

/** Parse JSON input, with a one-line error naming what was expected. */
export function parseJson(data: Buffer | string, what: string): unknown {
  const text = typeof data === 'string' ? data : data.toString('utf8');
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
export async function readJson(name: string, what: string, opts: { path?: string; limit?: number } = {}): Promise<unknown> {
  const data = await readInput(name, what, opts);
  if (data.toString('utf8').trim() === '') throw new CliError('ERR_EMPTY_INPUT', `empty input: expected ${what}`, EXIT.FAILURE);
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
