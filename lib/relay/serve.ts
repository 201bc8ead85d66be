/**
 * `cc-relay serve`: the session manager behind the transports, started and
 * stopped as one process. SIGTERM/SIGINT interrupt running turns, stop every
 * claude, flush every log and remove the socket before exiting 0.
 */
import { unlinkSync } from 'node:fs';
import { writeJson } from '../cli/io.ts';
import { SessionManager } from './manager.ts';
import { listenUnix, relayDir, socketPath } from './unix-server.ts';

export interface ServeOptions {
  /** The command's name for messages. */
  name: string;
  bin: string;
  rootDir?: string;
  approvalTimeoutMs: number;
  approvalDefault: 'allow' | 'deny';
  leaseIdleMs: number;
  allowBypass: boolean;
}

/** Run the server until a signal ends it; resolves with the exit status. */
export async function serve(opts: ServeOptions): Promise<number> {
  const dir = relayDir();
  const manager = new SessionManager({
    dir,
    bin: opts.bin,
    rootDir: opts.rootDir,
    allowBypass: opts.allowBypass,
    leaseIdleMs: opts.leaseIdleMs,
    approvalTimeoutMs: opts.approvalTimeoutMs,
    approvalDefault: opts.approvalDefault,
  });
  const path = socketPath();
  const unix = await listenUnix(manager, path);
  // One line on stdout when ready: scripts and units wait for it.
  writeJson({ socket: path, state_dir: dir, pid: process.pid, sessions: manager.list().length, root_dir: opts.rootDir ?? null });
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      unix.close();
      try {
        unlinkSync(path);
      } catch {
        /* already gone */
      }
      manager.shutdown().finally(() => resolve(0));
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', stop);
  });
}
