/**
 * The local transport: a unix socket in the state dir (mode 0600 inside a
 * 0700 folder), so the same ops work on the host with PEER `-`. Whoever can
 * open it is the user: it gets every capability.
 */
import { chmodSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { stateDir } from '../config.ts';
import { CliError, EXIT } from '../cli/errors.ts';
import { ensurePrivateDir } from '../secure-file.ts';
import { readFrames, streamSink } from './frames.ts';
import type { SessionManager } from './manager.ts';
import { ALL_CAPS, Connection, MAX_FRAME } from './protocol.ts';

/** The relay's state folder: logs, metadata, the socket, tokens. */
export function relayDir(): string {
  return join(stateDir(), 'relay');
}

/** Where the local server listens. */
export function socketPath(): string {
  return process.env.CCKIT_RELAY_SOCKET || join(relayDir(), 'relay.sock');
}

/** Resolves true when a server answers on `path`. */
function answering(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Listen on the unix socket; refuses when another server already does. */
export async function listenUnix(manager: SessionManager, path = socketPath()): Promise<Server> {
  ensurePrivateDir(dirname(path));
  if (await answering(path)) {
    throw new CliError('ERR_RUNNING', `a relay server already listens on ${path}`, EXIT.FAILURE, 'stop it first, or set CCKIT_STATE_DIR for a second one');
  }
  try {
    unlinkSync(path); // a stale socket from a server that died
  } catch {
    /* none */
  }
  const socks = new Set<import('node:net').Socket>();
  const server = createServer((sock) => {
    socks.add(sock);
    sock.on('close', () => socks.delete(sock));
    const conn = new Connection(manager, streamSink(sock), 'local', [...ALL_CAPS], null);
    readFrames(sock, MAX_FRAME, (line) => conn.receive(line), () => {
      sock.end(JSON.stringify({ id: null, ok: false, error: { code: 'too_large', message: 'frame too large' } }) + '\n');
      sock.destroy();
    });
    sock.on('error', () => undefined);
    sock.on('close', () => conn.detach());
  });
  const old = process.umask(0o177); // the socket is created 0600, not widened by a loose umask
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  } finally {
    process.umask(old);
  }
  chmodSync(path, 0o600);
  // close() also ends live clients (a following tail never ends by itself).
  const close = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    close(cb);
    for (const s of socks) s.destroy();
    return server;
  }) as typeof server.close;
  return server;
}
