/**
 * Which paths of a working folder changed, as inotify reports them: node's
 * fs.watch on every folder (one inotify watch per folder, none per file, as
 * chokidar does), so `cc-context watch` pushes only what it was told about
 * instead of listing 10,000 files. A new folder is watched before it is
 * listed, so nothing written into it in between is missed; a folder that is
 * gone or renamed away drops its watches. `.cckit` is not watched: the
 * push's own index writes land there.
 */
import { lstatSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import { CliError, EXIT } from '../cli/errors.ts';

/** Space paths (`/a/b`; `''` is the whole folder) that changed since the last take(). */
export class FolderWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly pending = new Set<string>();

  /** `onChange` runs on every event (the caller debounces); a watch that cannot be set up throws. */
  constructor(
    readonly dir: string,
    private readonly onChange: () => void,
  ) {}

  /** Watch the folder and every folder under it. */
  start(): void {
    this.add('');
  }

  /** How many folders are watched. */
  get folders(): number {
    return this.watchers.size;
  }

  /** The paths seen since the last call, and forget them. */
  take(): string[] {
    const paths = [...this.pending];
    this.pending.clear();
    return paths;
  }

  /** Put paths back (a push of them failed and is tried again). */
  putBack(paths: Iterable<string>): void {
    for (const p of paths) this.pending.add(p);
  }

  close(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private add(rel: string): void {
    if (rel === '/.cckit' || this.watchers.has(rel)) return;
    let w: FSWatcher;
    try {
      w = watch(this.dir + rel, { persistent: true }, (_event, name) => this.event(rel, name));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EMFILE') {
        throw new CliError('ERR_CTX_WATCH_LIMIT', `cannot watch ${this.dir + rel}: the system's inotify limit is reached (${this.watchers.size} folders watched)`, EXIT.FAILURE, 'raise fs.inotify.max_user_watches (sysctl), or run cc-context push from cron instead');
      }
      if (rel === '') throw new CliError('ERR_CTX_WATCH', `cannot watch ${this.dir}: ${(err as Error).message}`, EXIT.FAILURE);
      return; // gone again already: the parent's event covers it
    }
    // A folder removed under us: its watch ends, and the parent's event lists what is left.
    w.on('error', () => this.drop(rel));
    this.watchers.set(rel, w);
    let entries;
    try {
      entries = readdirSync(this.dir + rel, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) this.add(`${rel}/${e.name}`);
  }

  /** Stop watching `rel` and every folder under it. */
  private drop(rel: string): void {
    for (const [p, w] of this.watchers) {
      if (p === rel || p.startsWith(rel + '/')) {
        w.close();
        this.watchers.delete(p);
      }
    }
  }

  private event(rel: string, name: string | Buffer | null): void {
    if (name === null || name === undefined) {
      this.pending.add(rel); // inotify did not say which entry: the whole folder
    } else {
      const path = `${rel}/${name}`;
      if (path === '/.cckit' || path.startsWith('/.cckit/')) return;
      this.pending.add(path);
      let dir = false;
      try {
        dir = lstatSync(this.dir + path).isDirectory();
      } catch {
        /* gone: a deletion (or a folder renamed away) */
      }
      if (dir) {
        try {
          this.add(path);
        } catch (err) {
          this.failure = err as CliError;
        }
      } else if (this.watchers.has(path)) this.drop(path);
    }
    this.onChange();
  }

  /** A watch that could not be set up for a new folder (the inotify limit): the caller stops on it. */
  failure?: CliError;
}
