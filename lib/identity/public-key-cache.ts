/**
 * The public key of an encrypted key file, remembered from the last unlock
 * so a pickup can start its DHT lookup while Argon2id is still running
 * (issue 7 item 12): with an encrypted key the public key is only known after
 * the ~0.5 s unlock, and looking up one's own handoff needs it first.
 *
 * A public key is public (the DHT serves it), so the file holds nothing
 * secret. It is a hint, never trusted: it is used only while the key file is
 * the same file (device, inode, size, mtime), and the porcelain checks it
 * against the unlocked seed before anything is opened with it.
 * Lives in the state dir (safe to lose), 0600.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stateDir } from '../config.ts';
import { writeFileAtomic } from '../secure-file.ts';

interface Entry {
  path: string;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  pubkey: string;
}

function cacheFile(): string {
  return join(stateDir(), 'key-public.json');
}

function identify(keyFile: string): Omit<Entry, 'pubkey'> | undefined {
  try {
    const st = statSync(keyFile);
    return { path: resolve(keyFile), dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

/** The `pk:…` remembered for this key file, if the file is unchanged since. */
export function rememberedPublicKey(keyFile: string): string | undefined {
  const id = identify(keyFile);
  if (!id) return undefined;
  try {
    const e = JSON.parse(readFileSync(cacheFile(), 'utf8')) as Partial<Entry>;
    const same = e.path === id.path && e.dev === id.dev && e.ino === id.ino && e.size === id.size && e.mtimeMs === id.mtimeMs;
    return same && typeof e.pubkey === 'string' && /^pk:[ybndrfg8ejkmcpqxot1uwisza345h769]{52}$/.test(e.pubkey) ? e.pubkey : undefined;
  } catch {
    return undefined;
  }
}

/** Remember `pubkey` (pk:…) for this key file. Best effort: a state dir we cannot write only costs speed. */
export function rememberPublicKey(keyFile: string, pubkey: string): void {
  const id = identify(keyFile);
  if (!id || rememberedPublicKey(keyFile) === pubkey) return;
  try {
    writeFileAtomic(cacheFile(), Buffer.from(JSON.stringify({ ...id, pubkey }) + '\n'), { mode: 0o600, overwrite: true });
  } catch {
    // not worth a warning: the next pickup unlocks first, as without the cache
  }
}
