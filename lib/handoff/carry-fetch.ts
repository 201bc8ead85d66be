/**
 * Session carry, picking side: fetch the sealed archive from the publisher
 * (dialling the record's pubkey, whose Noise handshake proves it holds that
 * key), hash it as it arrives and compare with the size and SHA-256 from the
 * signed, encrypted payload. An interrupted transfer leaves `<x>.part` in the
 * carry folder and the next attempt asks only for the rest; a bad hash
 * removes it (exit 4) and nothing is installed.
 *
 * The part file is also read back as it grows (GrowingFile), so the picker
 * decrypts and unpacks while the bytes are still arriving instead of after:
 * the page cache makes that read cheap, and memory stays bounded whatever
 * the network and the disk do.
 */
import { closeSync, createReadStream, existsSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, EXIT } from '../cli/errors.ts';
import { ensurePrivateDir } from '../secure-file.ts';
import type { NetKeyPair, NetNode } from '../net/node.ts';
import { hashName, newHash, type Carry } from './carry-payload.ts';
import { carryDir } from './carry-pack.ts';
import { trace } from '../cli/trace.ts';

/** No byte for this long: the transfer is given up (and can be resumed). */
export const STALL_MS = 60_000;

export interface FetchOptions {
  carry: Carry;
  /** The publisher's key (the record's pubkey). */
  from: Uint8Array;
  /** Our key pair for the dial: what the publisher's firewall admits. */
  keyPair: NetKeyPair;
  dir?: string;
  onProgress?: (received: number, total: number) => void;
  /** Told about the part file as it grows (whole, from byte 0, resumed part included). */
  tail?: GrowingFile;
  /**
   * With `tail`: settles once the consumer of `tail` has checked size and
   * SHA-256 (rejecting with ERR_CARRY_HASH on a mismatch), so the bytes are
   * hashed once, there, not here too.
   */
  verified?: Promise<void>;
  /** The publisher has started sending (the transfer is under way). */
  onSending?: () => void;
}

/**
 * A file this process is appending to, read from the start as it grows:
 * iterate it for the bytes, in order, until end() (or fail()). Yielded
 * blocks are reused, as rawInput's are: a consumer copies what it keeps.
 */
export class GrowingFile {
  private path: string | undefined;
  private size = 0;
  private ended = false;
  private failure: unknown;
  private wake: (() => void) | undefined;

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
  /** The file exists now and holds `size` bytes. */
  opened(path: string, size: number): void {
    this.path = path;
    this.size = size;
    this.poke();
  }
  grew(size: number): void {
    this.size = size;
    this.poke();
  }
  end(): void {
    this.ended = true;
    this.poke();
  }
  fail(err: unknown): void {
    this.failure ??= err;
    this.poke();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    const block = Buffer.allocUnsafe(1 << 20);
    let fd: number | undefined;
    let pos = 0;
    try {
      for (;;) {
        if (this.failure !== undefined) throw this.failure;
        if (this.path !== undefined && pos < this.size) {
          fd ??= openSync(this.path, 'r');
          const n = readSync(fd, block, 0, Math.min(block.length, this.size - pos), pos);
          if (n <= 0) throw new Error('the part file shrank');
          pos += n;
          yield block.subarray(0, n);
          continue;
        }
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}

async function hashFile(path: string) {
  const h = newHash();
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h;
}

function mismatch(): CliError {
  return new CliError(
    'ERR_CARRY_HASH',
    'the fetched archive does not match the size and SHA-256 in the signed payload',
    EXIT.AUTH,
    'it was altered on the way or by the publisher; nothing was installed',
  );
}

/** The publisher may be between announcements: a few tries before giving up. */
async function dialWithRetry(node: NetNode, o: FetchOptions) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await node.dial(o.from, o.keyPair);
    } catch (err) {
      if (attempt >= 4 || (err as CliError).code !== 'ERR_NET_UNREACHABLE') throw err;
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

/** Fetch (or finish fetching) the archive; returns the path of the verified sealed file. */
export async function fetchArchive(node: NetNode, o: FetchOptions): Promise<string> {
  const dir = o.dir ?? carryDir();
  ensurePrivateDir(dir);
  const { n, x } = o.carry;
  const done = join(dir, `${x}.in`);
  const part = join(dir, `${x}.part`);
  // A verified copy from an earlier run whose install did not finish.
  if (existsSync(done) && statSync(done).size === n && hashName((await hashFile(done)).digest()) === x) {
    o.tail?.opened(done, n);
    o.tail?.end();
    return done;
  }

  let offset = existsSync(part) ? statSync(part).size : 0;
  if (offset > n) {
    rmSync(part, { force: true });
    offset = 0;
  }
  const hash = o.verified ? undefined : offset > 0 ? await hashFile(part) : newHash();
  const ch = await dialWithRetry(node, o);
  trace('connected');
  const fd = openSync(part, 'a', 0o600);
  o.tail?.opened(part, offset);
  let received = offset;
  try {
    const complete = new Promise<void>((resolve, reject) => {
      let stall: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(stall);
        stall = setTimeout(() => ch.destroy(), STALL_MS);
      };
      arm();
      ch.acceptRaw(n - offset, (chunk) => {
        for (let w = 0; w < chunk.length; ) w += writeSync(fd, chunk, w, chunk.length - w);
        hash?.update(chunk);
        received += chunk.length;
        o.tail?.grew(received);
        o.onProgress?.(received, n);
        arm();
        if (received === n) {
          clearTimeout(stall);
          resolve();
        }
      });
      ch.onClose(() => {
        clearTimeout(stall);
        reject(
          new CliError(
            'ERR_CARRY_INTERRUPTED',
            `the transfer was interrupted after ${received} of ${n} bytes`,
            EXIT.FAILURE,
            'run cc-pickup again while the publisher still serves it: the transfer resumes where it stopped',
          ),
        );
      });
    });
    complete.catch(() => {}); // observed below; a close after success is not an error
    await ch.send({ v: 1, op: 'get', x, offset });
    const head = await ch.next(STALL_MS, 'the archive');
    if (head.ok !== true) {
      const err = (head.error ?? {}) as { code?: unknown; message?: unknown };
      const msg = String(err.message ?? 'refused').replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 200);
      throw new CliError('ERR_CARRY_REFUSED', `the publisher did not send the archive: ${msg}`, err.code === 'ERR_NO_ARCHIVE' ? EXIT.NOT_FOUND : EXIT.FAILURE);
    }
    if (head.n !== n || head.offset !== offset || head.$raw !== n - offset) throw mismatch();
    trace('archive header');
    o.onSending?.();
    if (received < n) await complete;
    trace('last byte');
    o.tail?.end();
    // No fsync: `.in` is a cache, hashed again before an earlier one is reused.
    const good = o.verified
      ? await o.verified.then(
          () => true,
          (err) => {
            if ((err as CliError).code === 'ERR_CARRY_HASH') return false;
            throw err;
          },
        )
      : hashName(hash!.digest()) === x;
    trace('checked');
    if (!good) {
      rmSync(part, { force: true });
      await ch.send({ v: 1, op: 'done', ok: false }).catch(() => {});
      throw mismatch();
    }
    renameSync(part, done);
    await ch.send({ v: 1, op: 'done', ok: true });
    trace('told the publisher');
    await ch.close().catch(() => {});
    trace('channel closed');
    return done;
  } finally {
    closeSync(fd);
    ch.destroy();
  }
}
