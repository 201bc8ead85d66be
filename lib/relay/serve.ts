/**
 * `cc-relay serve`: the session manager behind the transports, started and
 * stopped as one process. SIGTERM/SIGINT interrupt running turns, stop every
 * claude, flush every log and remove the socket before exiting 0.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { warn } from '../cli/run.ts';
import { writeJson } from '../cli/io.ts';
import { keyFilePath } from '../config.ts';
import { loadMyIdentity } from '../identity/unlock.ts';
import { listenHyper, type HyperRelay } from './hyper-server.ts';
import { isLoopback, listenHttp, parseAddr, type HttpRelay } from './http-server.ts';
import { TokenStore } from './tokens.ts';
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
  /** Serve paired peers over HyperDHT (needs the identity key). */
  hyper: boolean;
  passphraseFd?: number;
  /** --http ADDR and TLS files. */
  http?: string;
  tlsCert?: string;
  tlsKey?: string;
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
  let hyper: HyperRelay | undefined;
  if (opts.hyper && !existsSync(keyFilePath())) {
    warn(opts.name, `no identity key at ${keyFilePath()}: serving this host only (create one with 'cc-key init', or pass --no-hyper)`);
  } else if (opts.hyper) {
    try {
      const identity = await loadMyIdentity(opts.passphraseFd);
      hyper = await listenHyper(manager, identity);
      identity.seed.fill(0);
    } catch (err) {
      unix.close();
      await manager.shutdown();
      throw err;
    }
  }
  let http: HttpRelay | undefined;
  if (opts.http !== undefined) {
    const { host } = parseAddr(opts.http);
    if (!isLoopback(host) && !opts.tlsCert) {
      warn(opts.name, `--http ${opts.http} is not a loopback address and has no TLS: device tokens and sessions cross the network in clear`);
      process.stderr.write(`${opts.name}: hint: add --tls-cert/--tls-key, or keep --http on 127.0.0.1 behind 'tailscale serve'\n`);
    }
    try {
      http = await listenHttp(manager, new TokenStore(dir), { addr: opts.http, tlsCert: opts.tlsCert, tlsKey: opts.tlsKey, defaultCwd: opts.rootDir, server: hyper?.publicKey ?? null });
    } catch (err) {
      unix.close();
      await hyper?.close();
      await manager.shutdown();
      throw err;
    }
  }
  // One line on stdout when ready: scripts and units wait for it.
  writeJson({ socket: path, state_dir: dir, pid: process.pid, pubkey: hyper?.publicKey ?? null, http: http?.url ?? null, sessions: manager.list().length, root_dir: opts.rootDir ?? null });
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
      // Unannounce first: peers stop reaching a server that is going away.
      Promise.all([hyper?.close(), http?.close()])
        .catch(() => undefined)
        .then(() => manager.shutdown())
        .finally(() => resolve(0));
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', stop);
  });
}
