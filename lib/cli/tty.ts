/**
 * Talking to the person at the terminal, never through stdin/stdout (those
 * carry data in a pipeline). Prompts go to /dev/tty; when there is no
 * controlling terminal (cron, CI, ssh without -t) we never prompt.
 */
import { openSync, closeSync, readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CliError, EXIT } from './errors.ts';
import { showUntrusted } from './untrusted-text.ts';

/**
 * node:tty, loaded when a prompt needs it: it pulls in node:net, a tenth of
 * `node -e 0` that commands which never prompt should not pay (issue 7 item 13).
 */
function ttyReadStream(fd: number): import('node:tty').ReadStream {
  const tty = createRequire(import.meta.url)('node:tty') as typeof import('node:tty');
  return new tty.ReadStream(fd);
}

/** Open the controlling terminal, or undefined when there is none. */
export function openTty(): number | undefined {
  if (process.env.CCKIT_NO_TTY === '1') return undefined; // lets tests and scripts force "no TTY"
  try {
    return openSync('/dev/tty', 'r+');
  } catch {
    return undefined;
  }
}

/** True when a controlling terminal can be opened (and CCKIT_NO_TTY is not 1), i.e. when prompting is possible. */
export function hasTty(): boolean {
  const fd = openTty();
  if (fd === undefined) return false;
  closeSync(fd);
  return true;
}

/** Write a line of human text to the terminal if there is one (progress, prompts). */
export function ttyWrite(text: string): void {
  const fd = openTty();
  if (fd === undefined) return;
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/**
 * Read one line from the terminal. With `hidden`, characters are not echoed
 * (raw mode) and the result is returned as a Buffer the caller can zero.
 */
export function promptTty(question: string, opts: { hidden?: boolean } = {}): Promise<Buffer> {
  const fd = openTty();
  if (fd === undefined) {
    return Promise.reject(new CliError('ERR_NO_TTY', 'no terminal to prompt on', EXIT.FAILURE));
  }
  writeSync(fd, question);
  if (!opts.hidden) {
    // Cooked mode: the terminal echoes and handles editing; read until newline.
    const out: number[] = [];
    const byte = Buffer.alloc(1);
    try {
      for (;;) {
        const n = readSync(fd, byte, 0, 1, null);
        if (n === 0 || byte[0] === 0x0a) break;
        out.push(byte[0]);
      }
    } finally {
      closeSync(fd);
    }
    return Promise.resolve(Buffer.from(out));
  }
  return new Promise((resolve, reject) => {
    const input = ttyReadStream(fd);
    input.setRawMode(true);
    let buf = Buffer.alloc(256);
    let len = 0;
    const finish = (err?: Error) => {
      input.setRawMode(false);
      input.removeAllListeners('data');
      input.destroy();
      try {
        writeSync(fd, '\n');
      } catch {
        /* terminal went away */
      }
      if (err) {
        buf.fill(0);
        reject(err);
      } else {
        const out = Buffer.from(buf.subarray(0, len));
        buf.fill(0);
        resolve(out);
      }
    };
    input.on('data', (chunk: Buffer) => {
      for (const c of chunk) {
        if (c === 0x0d || c === 0x0a) return finish();
        if (c === 0x03) return finish(new CliError('ERR_INTERRUPTED', 'interrupted', EXIT.FAILURE));
        if (c === 0x04 && len === 0) return finish(new CliError('ERR_INTERRUPTED', 'no input (end of file)', EXIT.FAILURE));
        if (c === 0x7f || c === 0x08) {
          if (len > 0) len--;
          continue;
        }
        if (len === buf.length) {
          const bigger = Buffer.alloc(buf.length * 2);
          buf.copy(bigger);
          buf.fill(0);
          buf = bigger;
        }
        buf[len++] = c;
      }
    });
  });
}

/**
 * Ask a yes/no question on the terminal; false when there is none. The
 * question is one line, its control characters shown: it usually quotes a
 * record (a host, a path) that must not be able to forge the "[y/N]".
 */
export async function confirm(question: string): Promise<boolean> {
  if (!hasTty()) return false;
  const answer = (await promptTty(`${showUntrusted(question)} [y/N] `)).toString('utf8').trim().toLowerCase();
  return answer === 'y' || answer === 'yes';
}

/** Human text for the person: on the terminal when there is one, else on stderr (never stdout: that is data). */
export function tellPerson(text: string): void {
  const fd = openTty();
  if (fd === undefined) {
    process.stderr.write(text);
    return;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/**
 * A yes/no question on the terminal that keeps the event loop running (the
 * cooked-mode prompt above blocks in readSync): for commands that must keep
 * talking to the network while a person decides. False without a terminal.
 */
export function askYesNo(question: string): Promise<boolean> {
  const fd = openTty();
  if (fd === undefined) return Promise.resolve(false);
  writeSync(fd, `${question} [y/N] `);
  return new Promise((resolve) => {
    const input = ttyReadStream(fd);
    let line = '';
    const done = (answer: boolean) => {
      input.removeAllListeners('data');
      input.destroy();
      resolve(answer);
    };
    input.on('error', () => done(false));
    input.on('end', () => done(false));
    input.on('data', (chunk: Buffer) => {
      line += chunk.toString('utf8');
      const nl = line.indexOf('\n');
      if (nl === -1) return;
      const a = line.slice(0, nl).trim().toLowerCase();
      done(a === 'y' || a === 'yes');
    });
  });
}
