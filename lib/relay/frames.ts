/**
 * NDJSON framing over any byte stream (unix socket, HyperDHT stream): one
 * callback per line, a line longer than the limit ends the connection
 * instead of growing a buffer without bound.
 */
import type { Duplex } from 'node:stream';

/** Call `onFrame` with each complete line of `stream`; `onOversize` when one exceeds `max` bytes. */
export function readFrames(stream: Duplex, max: number, onFrame: (line: string) => void, onOversize: () => void): void {
  let parts: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    if (typeof chunk === 'string') chunk = Buffer.from(chunk);
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, from);
      if (nl === -1) break;
      const piece = chunk.subarray(from, nl);
      if (size + piece.length > max) return oversize();
      const line = parts.length ? Buffer.concat([...parts, piece]).toString('utf8') : piece.toString('utf8');
      parts = [];
      size = 0;
      from = nl + 1;
      onFrame(line);
    }
    if (from < chunk.length) {
      size += chunk.length - from;
      if (size > max) return oversize();
      parts.push(Buffer.from(chunk.subarray(from)));
    }
  });
  function oversize() {
    parts = [];
    size = 0;
    stream.removeAllListeners('data');
    onOversize();
  }
}

/** A FrameSink-style writer for a stream: false when its buffer is over the high-water mark. */
export function streamSink(stream: Duplex) {
  return {
    write(frame: string): boolean {
      if (stream.destroyed || !stream.writable) return true; // nothing more to do for a gone client
      return stream.write(frame + '\n');
    },
    onDrain(fn: () => void): void {
      stream.once('drain', fn);
    },
    close(): void {
      stream.end();
      setTimeout(() => stream.destroy(), 1000).unref();
    },
  };
}
