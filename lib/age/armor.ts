/**
 * age's ASCII armor, streamed: strict PEM with type "AGE ENCRYPTED FILE",
 * 64-column lines of canonical padded base64, no headers. The decoder
 * follows Go age's armor reader: leading whitespace lines allowed, CRLF
 * accepted, a short line must be the last one before the footer, and at
 * most 1024 bytes of whitespace after the footer.
 */
import { CliError, EXIT } from '../cli/errors.ts';

/** The BEGIN line of an armored age file, without its newline. */
export const ARMOR_HEADER = '-----BEGIN AGE ENCRYPTED FILE-----';
/** The END line of an armored age file, without its newline. */
export const ARMOR_FOOTER = '-----END AGE ENCRYPTED FILE-----';
const COLUMNS = 64;
const BYTES_PER_LINE = 48;
const MAX_WHITESPACE = 1024;
/** Encode this many whole lines at a time: one base64 call per block. */
const BLOCK_LINES = 1024;

function armorError(why: string): CliError {
  return new CliError('ERR_ARMOR', `invalid armor: ${why}`, EXIT.AUTH, 'the armored file is corrupt or was altered');
}

const BLANK = /^[\t\n\v\f\r ]*$/;
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;

/** True when `prefix` (the first bytes of the input) looks armored: optional blank lines, then the BEGIN line. */
export function looksArmored(prefix: Buffer): boolean {
  let i = 0;
  while (i < prefix.length && i < MAX_WHITESPACE && isSpace(prefix[i])) i++;
  return prefix.subarray(i, i + ARMOR_HEADER.length).toString('latin1') === ARMOR_HEADER;
}

/** Base64 of `data` (whole 48-byte lines only) with a newline after every 64 columns. */
function encodeLines(data: Buffer): Buffer {
  const b64 = Buffer.from(data.toString('base64'), 'latin1');
  const lines = Math.ceil(b64.length / COLUMNS);
  const out = Buffer.allocUnsafe(b64.length + lines);
  let o = 0;
  for (let i = 0; i < b64.length; i += COLUMNS) {
    const end = Math.min(i + COLUMNS, b64.length);
    o += b64.copy(out, o, i, end);
    out[o++] = 0x0a;
  }
  return out;
}

/** Streaming armor encoder: push() binary chunks, then finish() once; each returns the armored text (BEGIN line, 64-column base64, END line) to write. */
export class ArmorEncoder {
  private started = false;
  private rest: Buffer = Buffer.alloc(0);

  /** Add binary data; returns armored text to write. */
  push(data: Buffer): Buffer[] {
    const out: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      out.push(Buffer.from(ARMOR_HEADER + '\n', 'latin1'));
    }
    let all = this.rest.length ? Buffer.concat([this.rest, data]) : data;
    const whole = all.length - (all.length % BYTES_PER_LINE);
    for (let i = 0; i < whole; i += BYTES_PER_LINE * BLOCK_LINES) {
      out.push(encodeLines(all.subarray(i, Math.min(whole, i + BYTES_PER_LINE * BLOCK_LINES))));
    }
    this.rest = Buffer.from(all.subarray(whole));
    all = Buffer.alloc(0);
    return out;
  }

  /** Last partial line and the footer. */
  finish(): Buffer[] {
    const out: Buffer[] = this.started ? [] : [Buffer.from(ARMOR_HEADER + '\n', 'latin1')];
    this.started = true;
    if (this.rest.length) out.push(encodeLines(this.rest));
    out.push(Buffer.from(ARMOR_FOOTER + '\n', 'latin1'));
    return out;
  }
}

type State = 'before' | 'body' | 'last' | 'after';

/** Streaming strict armor decoder: push() armored text, finish() at end of input; each returns decoded bytes, and any malformed or trailing input throws ERR_ARMOR (exit 4). */
export class ArmorDecoder {
  private state: State = 'before';
  private partial = '';
  private leading = 0;
  private trailing = 0;
  /** Full 64-column lines waiting to be decoded together. */
  private pending: string[] = [];

  /** Add armored text; returns decoded bytes. */
  push(data: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let text = this.partial + data.toString('latin1');
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      this.line(text.slice(start, nl), true, out);
      start = nl + 1;
    }
    text = text.slice(start);
    if (this.state === 'after') {
      this.afterFooter(text);
      text = '';
    } else if (this.state === 'before' ? text.length > MAX_WHITESPACE + ARMOR_HEADER.length + 1 : text.length > COLUMNS + 1) {
      throw armorError(this.state === 'before' ? 'first line is not the BEGIN line' : 'line longer than 64 columns');
    }
    this.partial = text;
    this.flush(out);
    return out;
  }

  /** The input ended. */
  finish(): Buffer[] {
    const out: Buffer[] = [];
    if (this.partial.length) {
      const p = this.partial;
      this.partial = '';
      this.line(p, false, out);
    }
    this.flush(out);
    if (this.state !== 'after') throw armorError(this.state === 'before' ? 'no BEGIN line' : 'unexpected end of input (no END line)');
    return out;
  }

  private afterFooter(text: string): void {
    this.trailing += text.length;
    if (!BLANK.test(text)) throw armorError('trailing data after armored file');
    if (this.trailing >= MAX_WHITESPACE) throw armorError('too much trailing whitespace');
  }

  private line(raw: string, hadNewline: boolean, out: Buffer[]): void {
    if (this.state === 'after') {
      this.afterFooter(raw + (hadNewline ? '\n' : ''));
      return;
    }
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (this.state === 'before') {
      if (BLANK.test(line)) {
        this.leading += raw.length + 1;
        if (this.leading > MAX_WHITESPACE) throw armorError('too much leading whitespace');
        return;
      }
      if (line !== ARMOR_HEADER) throw armorError('first line is not the BEGIN line');
      this.state = 'body';
      return;
    }
    if (line === ARMOR_FOOTER) {
      this.flush(out);
      this.state = 'after';
      return;
    }
    if (this.state === 'last') throw armorError('a short line must be followed by the END line');
    if (line.length > COLUMNS) throw armorError('line longer than 64 columns');
    if (line.length === COLUMNS && !line.endsWith('=')) {
      this.pending.push(line);
      if (this.pending.length >= BLOCK_LINES) this.flush(out);
      return;
    }
    this.flush(out);
    out.push(decodeStrict(line));
    this.state = 'last';
  }

  private flush(out: Buffer[]): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    out.push(decodeStrict(text));
  }
}

/** Canonical padded base64 only: anything that does not round-trip is rejected. */
function decodeStrict(text: string): Buffer {
  if (text.length % 4 !== 0) throw armorError('base64 line length is not a multiple of 4');
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) throw armorError('non-canonical or invalid base64');
  return bytes;
}
