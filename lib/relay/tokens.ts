/**
 * Device tokens for the HTTP/WebSocket surface (phone page, `claude cc://`
 * clients): 32 random bytes, shown once, stored only as SHA-256 hashes in
 * tokens.json (0600, state dir) with a name and an allow list. The file is
 * re-read when it changes, so `token rm` revokes at once, live sockets too.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, EXIT, notFound, usageError } from '../cli/errors.ts';
import { writeFileAtomic } from '../secure-file.ts';
import { ALL_CAPS, type Cap } from './protocol.ts';

export interface TokenRecord {
  name: string;
  /** hex SHA-256 of the token */
  hash: string;
  allow: Cap[];
  created: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The tokens file of a relay state dir. */
export function tokensPath(dir: string): string {
  return join(dir, 'tokens.json');
}

/** Parse an allow list such as "view,send,approve". */
export function parseCaps(list: string): Cap[] {
  const out: Cap[] = [];
  for (const w of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(ALL_CAPS as string[]).includes(w)) throw usageError(`unknown ability '${w.slice(0, 30)}'`, `abilities are ${ALL_CAPS.join(', ')}`);
    if (!out.includes(w as Cap)) out.push(w as Cap);
  }
  if (out.length === 0) throw usageError('--allow needs at least one ability', `abilities are ${ALL_CAPS.join(', ')}`);
  return out;
}

const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/** Every token record (none when there is no file). */
export function readTokens(dir: string): TokenRecord[] {
  let text: string;
  try {
    text = readFileSync(tokensPath(dir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CliError('ERR_TOKENS_FILE', `cannot read ${tokensPath(dir)}: ${(err as NodeJS.ErrnoException).code}`, EXIT.FAILURE);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new CliError('ERR_TOKENS_FILE', `${tokensPath(dir)} is not valid JSON`, EXIT.FAILURE, 'fix or remove the file (every token is then revoked)');
  }
  const list = Array.isArray((doc as { tokens?: unknown })?.tokens) ? (doc as { tokens: unknown[] }).tokens : [];
  return list.filter(
    (t): t is TokenRecord =>
      !!t && typeof (t as TokenRecord).name === 'string' && /^[0-9a-f]{64}$/.test(String((t as TokenRecord).hash)) && Array.isArray((t as TokenRecord).allow),
  ).map((t) => ({ ...t, allow: t.allow.filter((c) => (ALL_CAPS as string[]).includes(c)) }));
}

function writeTokens(dir: string, tokens: TokenRecord[]): void {
  writeFileAtomic(tokensPath(dir), Buffer.from(JSON.stringify({ v: 1, tokens }, null, 2) + '\n'), { overwrite: true });
}

/** Create a token; returns the secret (shown once, never stored). */
export function addToken(dir: string, name: string, allow: Cap[]): { token: string; record: TokenRecord } {
  if (!NAME.test(name)) throw usageError(`not a token name: '${name.slice(0, 40)}'`, 'letters, digits, . _ -, up to 64');
  const tokens = readTokens(dir);
  if (tokens.some((t) => t.name === name)) throw new CliError('ERR_EXISTS', `a token named ${name} exists`, EXIT.FAILURE, `remove it first: cc-relay token rm ${name}`);
  const token = randomBytes(32).toString('base64url');
  const record: TokenRecord = { name, hash: hashOf(token), allow, created: Math.floor(Date.now() / 1000) };
  writeTokens(dir, [...tokens, record]);
  return { token, record };
}

/** Revoke a token by name. */
export function removeToken(dir: string, name: string): TokenRecord {
  const tokens = readTokens(dir);
  const hit = tokens.find((t) => t.name === name);
  if (!hit) throw notFound('ERR_NO_TOKEN', `no token named ${name.slice(0, 64)}`, 'see cc-relay token list');
  writeTokens(dir, tokens.filter((t) => t !== hit));
  return hit;
}

/** Verifies tokens against the file, re-reading it when its mtime changes. */
export class TokenStore {
  private mtime = -1;
  private tokens: TokenRecord[] = [];
  constructor(private readonly dir: string) {}

  private refresh(): void {
    let m = 0;
    try {
      m = statSync(tokensPath(this.dir)).mtimeMs;
    } catch {
      m = 0;
    }
    if (m === this.mtime) return;
    this.mtime = m;
    try {
      this.tokens = readTokens(this.dir);
    } catch {
      this.tokens = []; // an unreadable file admits nobody
    }
  }

  /** The record a presented token belongs to, or undefined. */
  verify(token: unknown): TokenRecord | undefined {
    if (typeof token !== 'string' || token.length === 0 || token.length > 200) return undefined;
    this.refresh();
    const h = Buffer.from(hashOf(token), 'hex');
    return this.tokens.find((t) => timingSafeEqual(Buffer.from(t.hash, 'hex'), h));
  }

  /** The current record of a token name (undefined once revoked). */
  current(name: string, hash: string): TokenRecord | undefined {
    this.refresh();
    return this.tokens.find((t) => t.name === name && t.hash === hash);
  }
}
