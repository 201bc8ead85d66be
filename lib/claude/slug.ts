/**
 * Claude Code's project folder name ("slug") for a working directory:
 * `${CLAUDE_CONFIG_DIR}/projects/<slug>/<session-id>.jsonl`.
 *
 * Rule (checked against claude 2.1.x, see test/cli/claude-real.bats): take
 * the realpath of the cwd, replace every UTF-16 code unit outside
 * [A-Za-z0-9] with '-' (so an emoji, two code units, becomes "--"). A slug
 * longer than 200 characters is cut to 200 and suffixed with '-' and the
 * base-36 absolute value of a Java-style 32-bit hash of the path.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';

/** Longest slug Claude Code keeps as is; longer ones are cut to this and suffixed with a hash. */
export const MAX_SLUG_LENGTH = 200;

/** Java's String.hashCode: h = 31*h + c over UTF-16 code units, wrapped to int32. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = ((h << 5) - h + s.charCodeAt(i)) | 0;
  return h;
}

/** The slug of an absolute path that is already resolved (no symlinks). */
export function projectSlug(path: string): string {
  const slug = path.replace(/[^A-Za-z0-9]/g, '-');
  if (slug.length <= MAX_SLUG_LENGTH) return slug;
  return `${slug.slice(0, MAX_SLUG_LENGTH)}-${Math.abs(javaStringHash(path)).toString(36)}`;
}

/**
 * The path Claude Code would record for `dir`: its realpath, or the plain
 * absolute path when it does not exist here (a project deleted since, or one
 * named by a record from another machine).
 */
export function canonicalDir(dir: string): string {
  const abs = resolve(dir);
  try {
    return realpathSync.native(abs);
  } catch {
    return abs;
  }
}
