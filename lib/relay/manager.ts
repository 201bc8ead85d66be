/**
 * All sessions a relay server hosts: spawning (new or adopting an existing
 * Claude Code session with --resume), the --root-dir check, and reloading
 * every session's log and metadata after a restart.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { findSessionFile, isUuid, projectsDir, readSessionMeta } from '../claude/sessions.ts';
import { writeFileAtomic } from '../secure-file.ts';
import { OpError, Session, type SessionEnv, type SessionMeta } from './session.ts';

export interface ManagerOptions extends SessionEnv {
  /** Where logs and metadata live ($XDG_STATE_HOME/cckit/relay). */
  dir: string;
  /** Sessions may only run in this directory or below (by realpath). */
  rootDir?: string;
  /** Whether spawn may ask for bypassPermissions. */
  allowBypass: boolean;
}

const MODES = new Set(['default', 'acceptEdits', 'plan', 'bypassPermissions', 'dontAsk']);

/**
 * Whether `dir` is `root` or inside it, comparing realpaths with a trailing
 * separator so that `/srv/root-secret` is not inside `/srv/root` and a
 * symlink pointing out of root is outside.
 */
export function insideRoot(root: string, dir: string): boolean {
  const r = realpathSync(root);
  let d: string;
  try {
    d = realpathSync(dir);
  } catch {
    return false;
  }
  return d === r || d.startsWith(r.endsWith(sep) ? r : r + sep);
}

/** The session registry. */
export class SessionManager {
  private sessions = new Map<string, Session>();

  constructor(private readonly opts: ManagerOptions) {
    this.load();
  }

  /** Sessions from earlier runs: their logs stay readable, a send resumes them. */
  private load(): void {
    let names: string[] = [];
    try {
      names = readdirSync(this.opts.dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -'.json'.length);
      if (!isUuid(id)) continue;
      try {
        const meta = JSON.parse(readFileSync(join(this.opts.dir, name), 'utf8')) as SessionMeta;
        if (meta.id !== id || typeof meta.cwd !== 'string') continue;
        this.sessions.set(id, new Session(meta, this.opts.dir, this.opts));
      } catch {
        /* a metadata file we cannot read is skipped, its log left alone */
      }
    }
  }

  list(): Session[] {
    return [...this.sessions.values()].sort((a, b) => b.meta.created - a.meta.created);
  }

  /** A session by id, or a not_found error. */
  get(id: unknown): Session {
    const s = typeof id === 'string' ? this.sessions.get(id.toLowerCase()) : undefined;
    if (!s) throw new OpError('not_found', `no session ${typeof id === 'string' ? id.slice(0, 80) : ''}`.trim(), 3, 'see the list op');
    return s;
  }

  /** Start a session: new in `cwd`, or `resume` an existing Claude Code session. */
  spawn(by: string, req: { cwd?: unknown; resume?: unknown; permission_mode?: unknown }): Session {
    const mode = req.permission_mode;
    if (mode !== undefined && (typeof mode !== 'string' || !MODES.has(mode))) throw new OpError('bad_request', `unknown permission mode`, 2);
    if (mode === 'bypassPermissions' && !this.opts.allowBypass) {
      throw new OpError('forbidden', 'this server does not allow bypassPermissions', 4, 'start cc-relay serve with --allow-bypass');
    }
    let id: string;
    let cwd: string | undefined = typeof req.cwd === 'string' && req.cwd !== '' ? req.cwd : undefined;
    let resume = false;
    if (req.resume !== undefined) {
      if (!isUuid(req.resume)) throw new OpError('bad_request', 'resume needs a session id (a UUID)', 2);
      id = req.resume.toLowerCase();
      const existing = this.sessions.get(id);
      if (existing) {
        if (!existing.alive) existing.start({ resume: true });
        return existing;
      }
      const file = findSessionFile(projectsDir(), id);
      if (!file) throw new OpError('not_found', `no Claude Code session ${id} on this host`, 3);
      cwd ??= readSessionMeta(file.file, file.folder).cwd;
      if (!cwd) throw new OpError('not_found', `session ${id} records no project directory`, 3, 'pass cwd');
      resume = true;
    } else {
      if (!cwd) throw new OpError('bad_request', 'spawn needs cwd (an absolute directory)', 2);
      id = randomUUID();
    }
    if (!cwd.startsWith('/')) throw new OpError('bad_request', 'cwd must be an absolute path', 2);
    let isDir = false;
    try {
      isDir = statSync(cwd).isDirectory();
    } catch {
      /* below */
    }
    if (!isDir) throw new OpError('not_found', `no such directory: ${cwd.slice(0, 200)}`, 3);
    if (this.opts.rootDir && !insideRoot(this.opts.rootDir, cwd)) {
      throw new OpError('forbidden', `${cwd.slice(0, 200)} is outside the server's root directory`, 4);
    }
    const meta: SessionMeta = { id, cwd: realpathSync(cwd), created: Date.now(), by, ...(mode ? { permission_mode: mode as string } : {}), ...(resume ? { adopted: true } : {}) };
    writeFileAtomic(join(this.opts.dir, `${id}.json`), Buffer.from(JSON.stringify(meta) + '\n'), { overwrite: true });
    const session = new Session(meta, this.opts.dir, this.opts);
    this.sessions.set(id, session);
    session.start({ resume });
    return session;
  }

  /** Stop every running session and flush every log (SIGTERM). */
  async shutdown(graceMs = 5000): Promise<void> {
    await Promise.all(
      this.list().map(async (s) => {
        if (s.alive) {
          if (s.state === 'running') await s.interrupt('cc-relay').catch(() => undefined);
          await s.stop(graceMs);
        }
        s.log.close();
      }),
    );
  }
}
