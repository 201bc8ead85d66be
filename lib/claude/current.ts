/**
 * The session `cc-session` calls current (without an id): the one Claude
 * Code runs us in, the one the SessionStart hook recorded, or the newest of
 * the project. In one place, so the porcelain can start work on the same
 * answer before cc-session gives it (cc-handoff --carry packs it meanwhile,
 * and checks it is what cc-session then names).
 */
import { canonicalDir } from './slug.ts';
import { findCurrent, projectsDir, type Current } from './sessions.ts';
import { readHookRecord } from './hook.ts';

/** cc-session's current session for `project` (default: this directory, or the nearest parent below HOME with sessions). */
export function currentSession(project?: string): Current | undefined {
  const dir = canonicalDir(project ?? process.cwd());
  const home = process.env.HOME ? canonicalDir(process.env.HOME) : undefined;
  return findCurrent(projectsDir(), {
    dir,
    walkUp: project === undefined,
    stopAt: home,
    // Inside Claude Code its session is the current one, unless another project was named.
    envSessionId: project === undefined ? process.env.CLAUDE_CODE_SESSION_ID : undefined,
    recordFor: readHookRecord,
  });
}
