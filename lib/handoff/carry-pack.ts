/**
 * Session carry, publisher side, step 1: the session's `<id>.jsonl` and its
 * `<id>/` folder (subagent transcripts, tool results) become one tar archive
 * (npm `tar`, streamed: sessions of hundreds of MB exist), sealed with age to
 * the record's reader as it is written, into a 0600 file in the state dir.
 * Its size and SHA-256 go into the payload (carry-payload.ts).
 */
import { closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writev } from 'node:fs';
import { join, basename, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CliError, EXIT } from '../cli/errors.ts';
import { stateDir } from '../config.ts';
import { ensurePrivateDir } from '../secure-file.ts';
import { sealRaw, type RawSink } from '../age/raw.ts';
import { hashName, newHash } from './carry-payload.ts';

/** Where sealed archives (outgoing) and partial downloads (incoming) live. */
export function carryDir(): string {
  return join(stateDir(), 'carry');
}

/** A sealed archive on disk. */
export interface PackedArchive {
  path: string;
  /** Bytes of the sealed file. */
  n: number;
  /** SHA-256 of the sealed file, base64url. */
  x: string;
}

/** Bytes of sealed archive queued for the disk at most: past this, the sealing waits. */
const WRITE_BEHIND = 8 << 20;
/** Bytes of the tar stream read ahead of the sealing at most. */
const READ_AHEAD = 8 << 20;

/** writev(2) on the thread pool until every byte of `bufs` is written. */
function writevAll(fd: number, bufs: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (list: Buffer[]) => {
      writev(fd, list, (err, written) => {
        if (err) return reject(err);
        let w = written;
        const rest = [...list];
        while (w > 0 && rest.length) {
          if (w >= rest[0].length) w -= rest.shift()!.length;
          else {
            rest[0] = rest[0].subarray(w);
            w = 0;
          }
        }
        if (rest.length) step(rest);
        else resolve();
      });
    };
    step(bufs);
  });
}

/**
 * Writes a sealed archive to a private temp file, hashing it; renamed to its
 * hash on commit. The writes run on the thread pool behind the sealing (in
 * order, at most WRITE_BEHIND bytes queued), so the disk and the cipher work
 * at the same time instead of in turn.
 */
class HashingFileSink implements RawSink {
  readonly tmp: string;
  private fd: number | undefined;
  private readonly hash = newHash();
  /** The writes queued so far, in order: each starts when the one before is done. */
  private written: Promise<void> = Promise.resolve();
  private queued = 0;
  n = 0;
  x = '';
  path = '';

  /** In `dir` (renamed to `<x>.age` there on commit), or exactly at `file` (a store's staging file). */
  constructor(private readonly to: { dir: string } | { file: string }) {
    if ('dir' in to) ensurePrivateDir(to.dir);
    this.tmp = 'dir' in to ? join(to.dir, `.pack-${randomBytes(6).toString('hex')}.tmp`) : to.file;
    this.fd = openSync(this.tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  }

  // The parts are the sealer's own new buffers (never reused), so they can wait in the queue.
  async write(parts: Buffer[]): Promise<void> {
    const bufs = parts.filter((p) => p.length > 0);
    let size = 0;
    for (const b of bufs) {
      this.hash.update(b);
      size += b.length;
    }
    this.n += size;
    if (!size) return;
    const fd = this.fd!;
    this.queued += size;
    this.written = this.written.then(() => writevAll(fd, bufs)).then(() => void (this.queued -= size));
    this.written.catch(() => {}); // a failed write is reported where it is awaited (here, or commit)
    if (this.queued > WRITE_BEHIND) await this.written;
  }

  async commit(): Promise<void> {
    await this.written;
    // A served archive is a temporary file (a crash ends the serving anyway):
    // no fsync. One left in a store must survive a crash before the rename.
    if ('file' in this.to) fsyncSync(this.fd!);
    closeSync(this.fd!);
    this.fd = undefined;
    this.x = hashName(this.hash.digest());
    if ('file' in this.to) {
      this.path = this.tmp;
      return;
    }
    this.path = join(this.to.dir, `${this.x}.age`);
    renameSync(this.tmp, this.path);
  }

  abort(): void {
    const fd = this.fd;
    this.fd = undefined;
    const tmp = this.tmp;
    // Queued writes still hold the descriptor: close and remove once they are done.
    const drop = () => {
      if (fd !== undefined) closeSync(fd);
      try {
        unlinkSync(tmp);
      } catch {
        /* never created or already renamed */
      }
    };
    this.written.then(drop, drop);
  }
}

/** The files of session `id` in its project folder: what goes into the archive. */
export function sessionEntries(sessionFile: string): { cwd: string; entries: string[] } {
  const cwd = dirname(sessionFile);
  const id = basename(sessionFile, '.jsonl');
  const entries = [`${id}.jsonl`];
  try {
    if (statSync(join(cwd, id)).isDirectory()) entries.push(id);
  } catch {
    /* a session without a folder: just the transcript */
  }
  return { cwd, entries };
}

/**
 * Pack and seal session `sessionFile` (its `<id>.jsonl`, plus `<id>/` when
 * present) to the X25519 `recipient`: into the carry folder as `<x>.age`,
 * or to exactly `{file}` (a store's staging file). Nothing is left behind on
 * failure.
 */
export async function packSession(sessionFile: string, recipient: Uint8Array, to: { dir: string } | { file: string } = { dir: carryDir() }): Promise<PackedArchive> {
  if (!existsSync(sessionFile)) throw new CliError('ERR_NO_SESSION', `session file not found: ${sessionFile}`, EXIT.NOT_FOUND);
  const { cwd, entries } = sessionEntries(sessionFile);
  const tar = await import('tar');
  // portable: no uid/gid/user names of this machine in the archive.
  // maxReadSize: tar's default reads 16 MiB blocks, which made packing ~15x slower than reading 1 MiB at a time.
  const source = tar.create({ cwd, portable: true, follow: false, noDirRecurse: false, maxReadSize: 1 << 20 }, entries) as unknown as AsyncIterable<Buffer>;
  if ('dir' in to) mkdirSync(to.dir, { recursive: true, mode: 0o700 });
  const sink = new HashingFileSink(to);
  await sealRaw(readAhead(source, READ_AHEAD), sink, { recipients: [{ x25519: recipient }], armor: false });
  return { path: sink.path, n: sink.n, x: sink.x };
}

/**
 * The blocks of `source`, pulled up to `limit` bytes ahead of the consumer:
 * tar reads the next block of the session file (on the thread pool) while
 * the one before is being sealed, instead of only when it is asked for.
 * Blocks must not be reused by the source (tar allocates each read anew).
 */
export async function* readAhead(source: AsyncIterable<Buffer>, limit: number): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: { err: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  let stopped = false;
  const poke = (w: (() => void) | undefined) => w?.();
  const pump = (async () => {
    try {
      for await (const block of source) {
        if (stopped) return;
        queue.push(block);
        queued += block.length;
        poke(wakeConsumer);
        while (queued > limit && !stopped) await new Promise<void>((r) => (wakeProducer = r));
      }
    } catch (err) {
      failure = { err };
    } finally {
      ended = true;
      poke(wakeConsumer);
    }
  })();
  try {
    for (;;) {
      if (queue.length) {
        const block = queue.shift()!;
        queued -= block.length;
        poke(wakeProducer);
        yield block;
        continue;
      }
      if (failure) throw failure.err;
      if (ended) return;
      await new Promise<void>((r) => (wakeConsumer = r));
    }
  } finally {
    stopped = true;
    poke(wakeProducer);
    await pump;
  }
}
