/**
 * The same encrypted, key-authenticated channels over plain TCP, for links
 * that carry bytes without the DHT (a LAN, a tailnet): a Noise XX handshake
 * from @hyperswarm/secret-stream (what hyperdht itself runs), then the
 * NDJSON Channel. The allow check runs on the authenticated remote key
 * before any application byte, as on HyperDHT.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import { Channel, DEFAULT_MAX_FRAME, type SecretStream } from './channel.ts';
import { NET, netError } from './errors.ts';
import type { NetKeyPair } from './keypair.ts';
import type { AllowFn } from './node.ts';
import { bytesEqual } from '../identity/identity.ts';

type SecretStreamCtor = new (isInitiator: boolean, raw: Socket, opts: { keyPair: NetKeyPair; remotePublicKey?: Buffer }) => SecretStream;

function secretStream(): SecretStreamCtor {
  // CommonJS; loaded on first use so commands that never speak TCP do not pay for it.
  return createRequire(import.meta.url)('@hyperswarm/secret-stream') as SecretStreamCtor;
}

/** A TCP listener handing out authenticated channels. */
export interface TcpServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Listen on host:port (port 0: any free one) as `keyPair`. */
export async function listenTcp(
  keyPair: NetKeyPair,
  opts: { host: string; port?: number; allow: AllowFn; maxFrame?: number },
  onChannel: (ch: Channel, remote: { host: string; port: number }) => void,
): Promise<TcpServer> {
  const NSS = secretStream();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.setTimeout(30_000, () => socket.destroy()); // a silent peer does not hold a slot
    const stream = new NSS(false, socket, { keyPair });
    stream.on('error', () => {});
    Channel.open(stream, opts.maxFrame ?? DEFAULT_MAX_FRAME).then(
      (ch) => {
        socket.setTimeout(0);
        let ok = false;
        try {
          ok = opts.allow(ch.remotePublicKey) === true;
        } catch {
          ok = false;
        }
        if (!ok) return ch.destroy();
        onChannel(ch, { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 });
      },
      () => socket.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(netError(NET.UNREACHABLE, `cannot listen on ${opts.host}:${opts.port ?? 0}: ${(e as NodeJS.ErrnoException).code}`)));
    server.listen(opts.port ?? 0, opts.host, () => resolve());
  });
  const addr = server.address() as { address: string; port: number };
  return {
    host: addr.address,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Dial host:port as `keyPair`; with `expect`, the remote must prove that key. */
export async function dialTcp(host: string, port: number, keyPair: NetKeyPair, opts: { expect?: Uint8Array; timeoutMs?: number; maxFrame?: number } = {}): Promise<Channel> {
  const NSS = secretStream();
  const socket = connect({ host, port });
  socket.on('error', () => {});
  const stream = new NSS(true, socket, { keyPair, ...(opts.expect ? { remotePublicKey: Buffer.from(opts.expect) } : {}) });
  stream.on('error', () => {});
  const timer = setTimeout(() => stream.destroy(), opts.timeoutMs ?? 15_000);
  try {
    const ch = await Channel.open(stream, opts.maxFrame ?? DEFAULT_MAX_FRAME).catch(() => {
      throw netError(NET.UNREACHABLE, `could not connect to ${host}:${port}`);
    });
    if (opts.expect && !bytesEqual(ch.remotePublicKey, opts.expect)) {
      ch.destroy();
      throw netError(NET.REFUSED, `${host}:${port} answered with another key`);
    }
    return ch;
  } finally {
    clearTimeout(timer);
  }
}
