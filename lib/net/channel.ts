/**
 * Framed NDJSON over an encrypted HyperDHT stream: one JSON object per line,
 * a hard cap on a frame's size (a peer cannot make us buffer without end),
 * objects only (an array or a bare string is a bad frame), and errors with
 * the stable codes of errors.ts.
 */
import { NET, netError } from './errors.ts';
import { EXIT } from '../cli/errors.ts';

/** 1 MiB by default: far above any message of ours, far below anything that hurts. */
export const DEFAULT_MAX_FRAME = 1 << 20;

/** The parts of @hyperswarm/secret-stream's NoiseSecretStream we use. */
export interface SecretStream {
  remotePublicKey: Buffer | null;
  publicKey: Buffer | null;
  handshakeHash: Buffer | null;
  isInitiator: boolean;
  opened: Promise<boolean>;
  destroyed: boolean;
  write(data: Uint8Array): boolean;
  end(): void;
  destroy(err?: Error): void;
  on(ev: 'data', fn: (d: Buffer) => void): unknown;
  on(ev: 'error', fn: (e: Error) => void): unknown;
  on(ev: 'close' | 'end' | 'drain', fn: () => void): unknown;
  once(ev: 'drain', fn: () => void): unknown;
}

/** One JSON message as it came off the wire (always an object). */
export type Message = Record<string, unknown>;

/** An NDJSON channel over one secret stream. */
export class Channel {
  /** The remote's public key: Noise authenticated it before any byte of ours. */
  readonly remotePublicKey: Uint8Array;
  /** Our public key on this stream. */
  readonly publicKey: Uint8Array;
  /** The Noise handshake hash: the same on both ends, unique to this connection. */
  readonly handshakeHash: Uint8Array;
  /** True on the side that dialled. */
  readonly initiator: boolean;
  private readonly queue: Message[] = [];
  private waiters: { resolve: (m: Message | undefined) => void; reject: (e: Error) => void }[] = [];
  private partial: Buffer[] = [];
  private partialLen = 0;
  private failure: Error | undefined;
  private ended = false;
  private readonly closeHandlers: (() => void)[] = [];
  /** Raw bytes still owed by the peer after a frame carrying `$raw` (see sendRaw). */
  private rawLeft = 0;
  private rawHandler: ((chunk: Buffer) => void) | undefined;

  constructor(
    private readonly stream: SecretStream,
    private readonly maxFrame = DEFAULT_MAX_FRAME,
  ) {
    if (!stream.remotePublicKey || !stream.publicKey || !stream.handshakeHash) {
      throw netError(NET.CLOSED, 'stream is not open yet');
    }
    this.remotePublicKey = new Uint8Array(stream.remotePublicKey);
    this.publicKey = new Uint8Array(stream.publicKey);
    this.handshakeHash = new Uint8Array(stream.handshakeHash);
    this.initiator = stream.isInitiator;
    stream.on('data', (d) => this.onData(d));
    stream.on('error', (e) => this.fail(e));
    stream.on('end', () => this.finish());
    stream.on('close', () => {
      this.finish();
      for (const fn of this.closeHandlers.splice(0)) fn();
    });
  }

  /** Wrap a stream once its handshake is done (resolves after `opened`). */
  static async open(stream: SecretStream, maxFrame = DEFAULT_MAX_FRAME): Promise<Channel> {
    const ok = await stream.opened;
    if (!ok || stream.destroyed) throw netError(NET.REFUSED, 'the connection closed during the handshake');
    return new Channel(stream, maxFrame);
  }

  /** The stream is gone (ended, destroyed or failed). */
  get closed(): boolean {
    return this.ended || this.failure !== undefined || this.stream.destroyed;
  }

  /** Call `fn` once when the underlying stream closes. */
  onClose(fn: () => void): void {
    if (this.stream.destroyed) fn();
    else this.closeHandlers.push(fn);
  }

  /**
   * Send each object as one line, all in one write (one encrypted packet when
   * they fit: the peer gets them together, as if sent one by one at once).
   * Resolves when the stream has taken them (back-pressure respected).
   */
  async send(...messages: object[]): Promise<void> {
    const lines = messages.map((message) => {
      const line = Buffer.from(JSON.stringify(message) + '\n', 'utf8');
      if (line.length > this.maxFrame) {
        throw netError(NET.FRAME_TOO_LARGE, `message of ${line.length} bytes is above the ${this.maxFrame}-byte frame limit`);
      }
      return line;
    });
    if (this.closed) throw this.failure ?? netError(NET.CLOSED, 'cannot send: connection closed');
    if (!this.stream.write(lines.length === 1 ? lines[0] : Buffer.concat(lines))) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }

  /**
   * The next message, or an ERR_NET_CLOSED error when the stream ends first.
   * With `timeoutMs`, ERR_NET_TIMEOUT after that long (the channel stays usable).
   */
  async next(timeoutMs?: number, what = 'a message from the peer'): Promise<Message> {
    const m = await this.nextOrEnd(timeoutMs, what);
    if (m === undefined) throw netError(NET.CLOSED, `connection closed while waiting for ${what}`);
    return m;
  }

  /** Like next(), but undefined on a clean end instead of an error. */
  nextOrEnd(timeoutMs?: number, what = 'a message from the peer'): Promise<Message | undefined> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = {
        resolve: (m: Message | undefined) => {
          if (timer) clearTimeout(timer);
          resolve(m);
        },
        reject: (e: Error) => {
          if (timer) clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.push(waiter);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(netError(NET.TIMEOUT, `timed out after ${Math.round(timeoutMs / 100) / 10} s waiting for ${what}`));
        }, timeoutMs);
      }
    });
  }

  /** Every message until the stream ends; throws on a bad frame or a broken stream. */
  async *[Symbol.asyncIterator](): AsyncIterator<Message> {
    for (;;) {
      const m = await this.nextOrEnd();
      if (m === undefined) return;
      yield m;
    }
  }

  /**
   * Bulk data without JSON: send `header` with `$raw: n` added, then exactly n
   * bytes from `body` unframed (back-pressure respected). The receiver must
   * have called acceptRaw(): the n bytes go to its handler, then NDJSON resumes.
   */
  async sendRaw(header: object, n: number, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    await this.send({ ...header, $raw: n });
    let sent = 0;
    for await (const chunk of body) {
      if (sent + chunk.length > n) throw netError(NET.CLOSED, 'raw body is longer than announced');
      sent += chunk.length;
      if (this.closed) throw this.failure ?? netError(NET.CLOSED, 'cannot send: connection closed');
      if (!this.stream.write(chunk)) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
    }
    if (sent !== n) throw netError(NET.CLOSED, 'raw body is shorter than announced');
  }

  /**
   * Allow frames with `$raw: n` (n <= maxBytes) from the peer: the n bytes after
   * such a frame are handed to `onBytes` as they arrive (synchronously, in
   * order), after the frame itself was delivered. Without this, `$raw` is a bad frame.
   */
  acceptRaw(maxBytes: number, onBytes: (chunk: Buffer) => void): void {
    this.rawMax = maxBytes;
    this.rawHandler = onBytes;
  }
  private rawMax = 0;

  /** End our side cleanly (the peer sees the end after all sent data) and wait for the close. */
  async close(): Promise<void> {
    if (this.stream.destroyed) return;
    const closed = new Promise<void>((resolve) => this.onClose(resolve));
    this.stream.end();
    // A peer that never ends its side must not keep us: destroy after a grace period.
    const grace = setTimeout(() => this.stream.destroy(), 2000);
    grace.unref();
    await closed;
    clearTimeout(grace);
  }

  /** Tear the connection down now, optionally with an error for our own readers. */
  destroy(err?: Error): void {
    if (err) this.fail(err);
    this.stream.destroy();
  }

  private onData(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      if (this.rawLeft > 0) {
        const take = Math.min(this.rawLeft, chunk.length - start);
        if (take === 0) return;
        this.rawLeft -= take;
        try {
          this.rawHandler!(chunk.subarray(start, start + take));
        } catch (err) {
          this.protocolError(err as Error);
          return;
        }
        start += take;
        continue;
      }
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      if (this.partialLen + piece.length > this.maxFrame) return this.tooLarge();
      const line = this.partialLen === 0 ? piece : Buffer.concat([...this.partial, piece]);
      this.partial = [];
      this.partialLen = 0;
      start = nl + 1;
      if (line.length === 0) continue; // a blank line is not a frame; tolerate it
      if (!this.deliver(line)) return;
    }
    const rest = chunk.subarray(start);
    if (rest.length > 0) {
      if (this.partialLen + rest.length > this.maxFrame) return this.tooLarge();
      this.partial.push(Buffer.from(rest));
      this.partialLen += rest.length;
    }
  }

  private deliver(line: Buffer): boolean {
    let value: unknown;
    try {
      value = JSON.parse(line.toString('utf8'));
    } catch {
      this.protocolError(netError(NET.BAD_FRAME, 'the peer sent a frame that is not JSON', EXIT.AUTH));
      return false;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.protocolError(netError(NET.BAD_FRAME, 'the peer sent a frame that is not a JSON object', EXIT.AUTH));
      return false;
    }
    const raw = (value as Message).$raw;
    if (raw !== undefined) {
      if (!this.rawHandler || typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0 || raw > this.rawMax) {
        this.protocolError(netError(NET.BAD_FRAME, 'the peer announced raw data that was not expected', EXIT.AUTH));
        return false;
      }
      this.rawLeft = raw;
    }
    const w = this.waiters.shift();
    if (w) w.resolve(value as Message);
    else this.queue.push(value as Message);
    return true;
  }

  private tooLarge(): void {
    this.protocolError(netError(NET.FRAME_TOO_LARGE, `the peer sent a frame above the ${this.maxFrame}-byte limit`, EXIT.AUTH));
  }

  private protocolError(err: Error): void {
    this.fail(err);
    this.stream.destroy();
  }

  private fail(err: Error): void {
    if (this.failure || this.ended) return;
    this.failure = (err as { code?: string }).code?.startsWith('ERR_NET') ? err : netError(NET.CLOSED, `connection failed: ${err.message.split('\n')[0]}`);
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    // Messages already queued are still delivered; waiters beyond them see the end.
    if (this.queue.length === 0) for (const w of this.waiters.splice(0)) this.failure ? w.reject(this.failure) : w.resolve(undefined);
  }
}
