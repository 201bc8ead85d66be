/**
 * A store on any rclone remote (`rclone:REMOTE:PATH`), driven through the
 * real `rclone` binary (Debian package). Credentials come from rclone's own
 * config or RCLONE_CONFIG_* environment, never from our argv. Objects move
 * in bulk (`rclone copy --files-from-raw`) through a local staging folder.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, EXIT } from '../cli/errors.ts';
import { checkKey, type Store } from './store.ts';

interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** The rclone binary: CCKIT_RCLONE or `rclone` on PATH. */
function rcloneBin(): string {
  return process.env.CCKIT_RCLONE || 'rclone';
}

function runRclone(args: string[], input?: Uint8Array): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(rcloneBin(), ['-q', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new CliError('ERR_NO_RCLONE', 'rclone is not installed', EXIT.FAILURE, 'install it (Debian: apt-get install rclone) or set CCKIT_RCLONE')
          : e,
      ),
    );
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.on('error', () => {}); // rclone may exit before reading all input; the exit code tells
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

/** rclone's exit code 3 is "directory not found", 4 "file not found". */
const NOT_FOUND = new Set([3, 4]);

/** A store on an rclone remote. */
export class RcloneStore implements Store {
  private staging?: string;
  private fetched?: string;

  constructor(readonly spec: string, private readonly remote: string) {}

  private target(key: string): string {
    return `${this.remote.replace(/\/+$/, '')}/${checkKey(key)}`;
  }

  private fail(what: string, r: RunResult): CliError {
    const line = r.stderr.trim().split('\n').pop() ?? '';
    return new CliError('ERR_STORE', `store ${this.spec}: rclone ${what} failed (exit ${r.code})${line ? `: ${line.replace(/^\S+ \S+ /, '').slice(0, 200)}` : ''}`, EXIT.FAILURE);
  }

  async read(key: string): Promise<Buffer | null> {
    const r = await runRclone(['cat', this.target(key)]);
    if (NOT_FOUND.has(r.code)) return null;
    if (r.code !== 0) throw this.fail('cat', r);
    return r.stdout;
  }

  async write(key: string, data: Uint8Array): Promise<void> {
    const r = await runRclone(['rcat', this.target(key)], data);
    if (r.code !== 0) throw this.fail('rcat', r);
  }

  async list(prefix: string): Promise<string[]> {
    const r = await runRclone(['lsf', '-R', '--files-only', this.target(prefix)]);
    if (NOT_FOUND.has(r.code)) return [];
    if (r.code !== 0) throw this.fail('lsf', r);
    return r.stdout
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => `${prefix}/${l}`)
      .sort();
  }

  async remove(key: string): Promise<void> {
    const r = await runRclone(['deletefile', this.target(key)]);
    if (r.code !== 0 && !NOT_FOUND.has(r.code)) throw this.fail('deletefile', r);
  }

  async removeMany(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const dir = mkdtempSync(join(tmpdir(), 'cckit-rm-'));
    try {
      const list = join(dir, 'files');
      writeFileSync(list, keys.map(checkKey).join('\n') + '\n');
      const r = await runRclone(['delete', '--files-from-raw', list, this.remote]);
      if (r.code !== 0 && !NOT_FOUND.has(r.code)) throw this.fail('delete', r);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private put: string[] = [];

  /** Small objects wait in the staging folder under their keys and go up with the next commit. */
  async putObject(key: string, data: Uint8Array): Promise<void> {
    this.staging ??= mkdtempSync(join(tmpdir(), 'cckit-stage-'));
    const p = join(this.staging, checkKey(key));
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
    this.put.push(key);
  }

  objectRoot(): string {
    this.staging ??= mkdtempSync(join(tmpdir(), 'cckit-stage-'));
    return this.staging; // the writer makes a missing o/aa folder as it needs it
  }

  putDone(keys: string[]): void {
    this.put.push(...keys.map(checkKey));
  }

  stageFile(): string {
    this.staging ??= mkdtempSync(join(tmpdir(), 'cckit-stage-'));
    return join(this.staging, `.tmp-${randomBytes(6).toString('hex')}`);
  }

  async commit(staged: { key: string; path: string }[]): Promise<void> {
    if ((staged.length === 0 && this.put.length === 0) || !this.staging) return;
    for (const s of staged) {
      const p = join(this.staging, checkKey(s.key));
      mkdirSync(dirname(p), { recursive: true });
      renameSync(s.path, p);
    }
    const list = join(this.staging, '.files');
    writeFileSync(list, [...staged.map((s) => s.key), ...this.put].join('\n') + '\n');
    this.put = [];
    const r = await runRclone(['copy', '--no-traverse', '--files-from-raw', list, this.staging, this.remote]);
    if (r.code !== 0) throw this.fail('copy', r);
    rmSync(this.staging, { recursive: true, force: true });
    this.staging = undefined;
  }

  async fetch(keys: string[]): Promise<Map<string, string>> {
    const m = new Map<string, string>();
    if (keys.length === 0) return m;
    this.fetched ??= mkdtempSync(join(tmpdir(), 'cckit-fetch-'));
    const list = join(this.fetched, '.files');
    writeFileSync(list, keys.map(checkKey).join('\n') + '\n');
    const r = await runRclone(['copy', '--no-traverse', '--files-from-raw', list, this.remote, this.fetched]);
    if (r.code !== 0 && !NOT_FOUND.has(r.code)) throw this.fail('copy', r);
    for (const k of keys) {
      const p = join(this.fetched, k);
      if (existsSync(p)) m.set(k, p);
    }
    return m;
  }

  async release(): Promise<void> {
    for (const d of [this.staging, this.fetched]) if (d) rmSync(d, { recursive: true, force: true });
    this.staging = this.fetched = undefined;
  }
}
