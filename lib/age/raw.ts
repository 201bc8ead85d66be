/**
 * Raw mode of cc-seal and cc-open: any bytes to a standard age file and
 * back, streamed with bounded memory whatever the size. Output goes to
 * stdout or, with -o, to a temporary file renamed over the target only when
 * everything succeeded (an interrupted or failed run leaves nothing behind).
 */
import { closeSync, constants, createReadStream, fstatSync, fsyncSync, openSync, readSync, renameSync, statSync, unlinkSync, writevSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { bech32 } from '@scure/base';
import { CliError, EXIT, describeSystemError, usageError } from '../cli/errors.ts';
import {
  encodeHeader,
  HeaderScanner,
  INTRO,
  integrityError,
  newFileKey,
  PAYLOAD_NONCE_SIZE,
  parseHeader,
  payloadKey,
  StreamOpener,
  StreamSealer,
  unwrapX25519,
  verifyHeaderMac,
  wrapX25519,
  x25519Identity,
} from './stream.ts';
import { ArmorDecoder, ArmorEncoder, looksArmored } from './armor.ts';
import { ageRecipientFromX25519 } from '../identity/identity.ts';

/** Read in large blocks: fewer round trips through the event loop. */
const READ_BLOCK = 1 << 20;

// ── recipients ───────────────────────────────────────────────────────────

/** A raw-mode recipient: an X25519 key we wrap natively, or another age recipient type typage knows. */
export type RawRecipient = { x25519: Uint8Array } | { age: string };

/** `age1…` strings: X25519 when the payload is 32 bytes; other types (age1pq1…, age1tag1…) are left to typage. */
export function parseAgeRecipient(s: string): RawRecipient {
  let decoded: { prefix: string; bytes: Uint8Array } | undefined;
  try {
    // No length limit: post-quantum recipients are far longer than bech32's 90 characters.
    const { prefix, words } = bech32.decode(s as `${string}1${string}`, false);
    decoded = { prefix, bytes: bech32.fromWords(words) };
  } catch {
    decoded = undefined;
  }
  if (decoded?.prefix === 'age' && decoded.bytes.length === 32) return { x25519: Uint8Array.from(decoded.bytes) };
  if (decoded && decoded.prefix.startsWith('age1') && s === s.toLowerCase()) return { age: s };
  throw usageError(`not an age recipient: '${s.length > 70 ? s.slice(0, 67) + '...' : s}'`, 'an age recipient looks like age1… (see cc-key whoami)');
}

/**
 * The header and file key. X25519 stanzas are written natively; any other
 * recipient type makes typage write the whole header, with an extra
 * recipient object that only captures the file key typage chose.
 */
async function buildHeader(recipients: RawRecipient[]): Promise<{ header: Buffer; fileKey: Buffer }> {
  if (recipients.length === 0) throw new Error('no recipients');
  if (recipients.every((r) => 'x25519' in r)) {
    const fileKey = newFileKey();
    const stanzas = recipients.map((r) => wrapX25519(fileKey, (r as { x25519: Uint8Array }).x25519));
    return { header: encodeHeader(stanzas, fileKey), fileKey };
  }
  const { Encrypter } = await import('age-encryption');
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient('x25519' in r ? ageRecipientFromX25519(r.x25519) : r.age);
  let captured: Buffer | undefined;
  e.addRecipient({
    wrapFileKey(fileKey: Uint8Array) {
      captured = Buffer.from(fileKey);
      return [];
    },
  });
  let file: Uint8Array;
  try {
    file = await e.encrypt(new Uint8Array(0));
  } catch (err) {
    throw usageError(`cannot encrypt to these recipients: ${(err as Error).message.toLowerCase()}`);
  }
  const found = new HeaderScanner().push(Buffer.from(file));
  if (!found || !captured) throw new Error('typage produced no header');
  return { header: Buffer.from(found.header), fileKey: captured };
}

// ── input ────────────────────────────────────────────────────────────────

/**
 * The bytes to process: a file, or stdin. A terminal is refused (we would
 * wait for typing). Regular files are read synchronously into fresh 1 MiB
 * blocks: no thread-pool round trip per block, which otherwise leaves the
 * cipher idle about a third of the time. Pipes, FIFOs and sockets go
 * through node's streams, which wait on them without blocking signals.
 */
export function rawInput(name: string, what: string, path?: string): AsyncIterable<Buffer> {
  if (path && path !== '-') {
    let regular: boolean;
    try {
      const st = statSync(path);
      if (st.isDirectory()) throw new CliError('ERR_READ', `cannot read ${path}: is a directory`);
      regular = st.isFile();
    } catch (err) {
      if (err instanceof CliError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new CliError('ERR_NO_FILE', `no such file: ${path}`, EXIT.NOT_FOUND);
      throw new CliError('ERR_READ', `cannot read ${path}: ${code}`);
    }
    if (!regular) return createReadStream(path, { highWaterMark: READ_BLOCK });
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw new CliError('ERR_READ', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`);
    }
    return readRegularFile(fd, true);
  }
  if (process.stdin.isTTY) throw usageError(`expected ${what} on stdin, got a terminal`, `pipe it in or name a file: ${name} FILE`);
  let regular = false;
  try {
    regular = fstatSync(0).isFile();
  } catch {
    /* no stdin at all: let the stream report it */
  }
  return regular ? readRegularFile(0, false) : (process.stdin as AsyncIterable<Buffer>);
}

/**
 * One block, reused: a fresh 1 MiB allocation per read costs a page fault
 * per 4 KiB, as much as the read itself. So a yielded chunk is valid only
 * until the next one; consumers copy what they keep (see openRaw).
 */
async function* readRegularFile(fd: number, close: boolean): AsyncGenerator<Buffer> {
  const block = Buffer.allocUnsafe(READ_BLOCK);
  try {
    for (;;) {
      const n = readSync(fd, block, 0, READ_BLOCK, null);
      if (n === 0) return;
      yield n === READ_BLOCK ? block : block.subarray(0, n);
    }
  } finally {
    block.fill(0);
    if (close) closeSync(fd);
  }
}

/** Errors from the input stream itself (EIO, EISDIR…) become one clear line; others pass through. */
function readError(err: unknown): unknown {
  const e = err as NodeJS.ErrnoException;
  if (err instanceof CliError || !e || typeof e.syscall !== 'string') return err;
  return new CliError('ERR_READ', `cannot read input: ${describeSystemError(e)}`);
}

// ── output ───────────────────────────────────────────────────────────────

/** Where sealed or opened raw output goes: write() parts in order, then commit() on success or abort() on failure. */
export interface RawSink {
  write(parts: Buffer[]): Promise<void> | void;
  /** All data written: make it visible (rename, flush). */
  commit(): Promise<void>;
  /** Something failed: leave nothing behind. */
  abort(): void;
}

/** stdout, with backpressure so memory stays bounded when the reader is slow. */
class StdoutSink implements RawSink {
  async write(parts: Buffer[]): Promise<void> {
    let ok = true;
    for (const p of parts) if (p.length) ok = process.stdout.write(p);
    if (!ok) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
  }
  commit(): Promise<void> {
    return new Promise((resolve, reject) => process.stdout.write('', (err) => (err ? reject(err) : resolve())));
  }
  abort(): void {}
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGPIPE'];

/**
 * A temporary file next to the target (same file system, so rename is
 * atomic), created exclusively; renamed over the target on commit and
 * removed on failure, on exit and on the usual signals.
 */
class FileSink implements RawSink {
  private readonly tmp: string;
  private fd: number | undefined;
  private readonly cleanup = () => this.abort();
  /**
   * Remove the temp file, then die of the same signal (the shell sees it).
   * Not process.exit(): a read blocked on a pipe or FIFO in the thread
   * pool would hold the exit up indefinitely.
   */
  private readonly onSignal = (sig: NodeJS.Signals) => {
    this.abort(); // also removes our handlers, so the signal's default action applies again
    process.kill(process.pid, sig);
  };

  constructor(private readonly path: string, mode: number) {
    this.tmp = join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
    try {
      this.fd = openSync(this.tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, mode);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CliError('ERR_WRITE', `cannot write ${path}: ${code === 'ENOENT' ? 'no such directory' : code}`);
    }
    process.on('exit', this.cleanup);
    for (const s of SIGNALS) process.on(s, this.onSignal);
  }

  write(parts: Buffer[]): void {
    let buffers = parts.filter((p) => p.length > 0);
    while (buffers.length) {
      let n: number;
      try {
        n = writevSync(this.fd!, buffers);
      } catch (err) {
        throw this.writeError(err);
      }
      // A short write leaves the rest of the batch to go again.
      while (n > 0 && buffers.length) {
        if (n >= buffers[0].length) {
          n -= buffers[0].length;
          buffers.shift();
        } else {
          buffers[0] = buffers[0].subarray(n);
          n = 0;
        }
      }
    }
    buffers = [];
  }

  /** A full disk or an I/O error: one line naming the file, never Node's raw message. */
  private writeError(err: unknown): CliError {
    return new CliError('ERR_WRITE', `cannot write ${this.path}: ${describeSystemError(err)}`);
  }

  async commit(): Promise<void> {
    try {
      fsyncSync(this.fd!);
      closeSync(this.fd!);
    } catch (err) {
      throw this.writeError(err);
    }
    this.fd = undefined;
    try {
      renameSync(this.tmp, this.path);
    } catch (err) {
      this.abort();
      throw this.writeError(err);
    }
    this.detach();
  }

  abort(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = undefined;
    }
    try {
      unlinkSync(this.tmp);
    } catch {
      /* renamed or never created */
    }
    this.detach();
  }

  private detach(): void {
    process.removeListener('exit', this.cleanup);
    for (const s of SIGNALS) process.removeListener(s, this.onSignal);
  }
}

/** stdout, or FILE via temp + rename. `mode` applies to a new file (umask too). */
export function rawOutput(path: string | undefined, mode: number): RawSink {
  return path && path !== '-' ? new FileSink(path, mode) : new StdoutSink();
}

// ── the two directions ───────────────────────────────────────────────────

/** Encrypt everything from `input` to an age file on `sink` (armored if asked). */
export async function sealRaw(
  input: AsyncIterable<Buffer>,
  sink: RawSink,
  opts: { recipients: RawRecipient[]; armor: boolean },
): Promise<void> {
  let sealer: StreamSealer | undefined;
  try {
    const { header, fileKey } = await buildHeader(opts.recipients);
    const nonce = randomBytes(PAYLOAD_NONCE_SIZE);
    const key = payloadKey(fileKey, nonce);
    fileKey.fill(0);
    sealer = new StreamSealer(key);
    key.fill(0);
    const armor = opts.armor ? new ArmorEncoder() : undefined;
    const emit = (parts: Buffer[]) => sink.write(armor ? armor.push(Buffer.concat(parts)) : parts);
    await emit([header, nonce]);
    try {
      for await (const chunk of input) {
        const parts = sealer.push(chunk as Buffer);
        if (parts.length) await emit(parts);
      }
    } catch (err) {
      throw readError(err);
    }
    const tail = sealer.finish();
    await sink.write(armor ? [...armor.push(Buffer.concat(tail)), ...armor.finish()] : tail);
    await sink.commit();
  } catch (err) {
    sealer?.dispose();
    sink.abort();
    throw err;
  }
}

const CRLF_INTRO = 'age-encryption.org/v1\r\n';
/** Enough bytes to recognise either form (armor may follow up to 1 KiB of blank lines). */
const SNIFF = 1100;

/**
 * Decrypts a binary or armored age file (detected) with X25519 secrets.
 * Plaintext is written as each chunk authenticates; with -o nothing is
 * visible until the whole file has verified.
 */
export async function openRaw(input: AsyncIterable<Buffer>, sink: RawSink, opts: { secrets: Uint8Array[] }): Promise<void> {
  const identities = opts.secrets.map(x25519Identity);
  let sniffed: Buffer[] | undefined = [];
  let sniffedLen = 0;
  let armor: ArmorDecoder | undefined;
  const scanner = new HeaderScanner();
  let headerDone = false;
  let fileKey: Buffer | undefined;
  let nonceParts: Buffer[] = [];
  let opener: StreamOpener | undefined;

  const binary = async (data: Buffer): Promise<void> => {
    if (data.length === 0) return;
    if (!headerDone) {
      const found = scanner.push(Buffer.from(data)); // input blocks are reused: the scanner keeps a copy
      if (!found) return;
      headerDone = true;
      const h = parseHeader(found.header);
      const key = unwrapX25519(h.stanzas, identities);
      if (!key) {
        throw integrityError('ERR_WRONG_KEY', 'age file is not encrypted to this key', 'it was encrypted to other recipients (or with a passphrase)');
      }
      verifyHeaderMac(h, key);
      fileKey = key;
      data = found.rest;
    }
    if (!opener) {
      nonceParts.push(Buffer.from(data));
      const all = Buffer.concat(nonceParts);
      if (all.length < PAYLOAD_NONCE_SIZE) {
        nonceParts = [all];
        return;
      }
      const key = payloadKey(fileKey!, all.subarray(0, PAYLOAD_NONCE_SIZE));
      fileKey!.fill(0);
      opener = new StreamOpener(key);
      key.fill(0);
      nonceParts = [];
      data = all.subarray(PAYLOAD_NONCE_SIZE);
    }
    const out = opener.push(data);
    if (out.length) await sink.write(out);
  };

  const decide = (): void => {
    const head = Buffer.concat(sniffed!);
    sniffed = undefined;
    if (looksArmored(head)) {
      armor = new ArmorDecoder();
      return;
    }
    if (head.subarray(0, CRLF_INTRO.length).toString('latin1') === CRLF_INTRO) {
      throw integrityError('ERR_AGE_HEADER', 'invalid age header: line endings were changed to CRLF', 'the file was probably converted as text; transfer it in binary mode');
    }
    if (head.subarray(0, INTRO.length).toString('latin1') !== INTRO) {
      throw new CliError('ERR_NOT_AGE', 'input is not an age file (binary or armored)', EXIT.FAILURE);
    }
  };

  const feed = async (data: Buffer): Promise<void> => {
    if (armor) {
      for (const d of armor.push(data)) await binary(d);
    } else {
      await binary(data);
    }
  };

  try {
    try {
      for await (const c of input) {
        const chunk = c as Buffer;
        if (sniffed) {
          sniffed.push(Buffer.from(chunk)); // input blocks are reused: keep a copy
          sniffedLen += chunk.length;
          if (sniffedLen < SNIFF) continue;
          const head = Buffer.concat(sniffed);
          decide();
          await feed(head);
          continue;
        }
        await feed(chunk);
      }
    } catch (err) {
      throw readError(err);
    }
    if (sniffed) {
      const head = Buffer.concat(sniffed);
      if (head.length === 0) throw new CliError('ERR_EMPTY_INPUT', 'empty input: expected an age file', EXIT.FAILURE);
      decide();
      await feed(head);
    }
    if (armor) for (const d of armor.finish()) await binary(d);
    if (!headerDone) throw integrityError('ERR_AGE_TRUNCATED', `age file is truncated (the header is incomplete after ${scanner.seen} bytes)`);
    if (!opener) throw integrityError('ERR_AGE_TRUNCATED', 'age file is truncated (no payload after the header)');
    await sink.write(opener.finish());
    await sink.commit();
  } catch (err) {
    opener?.dispose();
    sink.abort();
    throw err;
  } finally {
    fileKey?.fill(0);
  }
}
