// Shared set-up for the DHT unit tests: a private state/config dir, the
// public-network guard on, and small wrappers that open the transports,
// publish or resolve, and always close what they opened.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, type Identity } from '../../lib/identity/identity.ts';
import { fullName } from '../../lib/dht/pkarr.ts';
import { Network } from '../../lib/dht/network.ts';
import { publish, type PublishResult } from '../../lib/dht/publish.ts';
import { resolveLatest, type ResolveResult } from '../../lib/dht/resolve.ts';
import type { Transport } from '../../lib/dht/transports.ts';

/** Call at the top of a test file, before anything reads the environment. */
export function isolate(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cckit-dht-test-'));
  process.env.CCKIT_TEST_NO_PUBLIC = '1';
  process.env.CCKIT_STATE_DIR = join(dir, 'state');
  process.env.CCKIT_CONFIG_DIR = join(dir, 'config');
  for (const v of ['CCKIT_BOOTSTRAP', 'CCKIT_RELAYS', 'CCKIT_HYPER_BOOTSTRAP', 'CCKIT_TRANSPORT']) delete process.env[v];
  return dir;
}

/** Warnings the library printed, for assertions. */
export const logged: string[] = [];
export const log = (m: string) => void logged.push(m);

export async function withNetwork<T>(transports: Transport[], fn: (net: Network) => Promise<T>): Promise<T> {
  const net = await Network.open(transports, log);
  try {
    return await fn(net);
  } finally {
    await net.close();
  }
}

export function put(identity: Identity, text: string | undefined, opts: { name?: string; transports?: Transport[] } = {}): Promise<PublishResult> {
  return withNetwork(opts.transports ?? ['mainline'], (net) => publish({ identity, name: opts.name ?? '_cclink', text, net, log }));
}

export function get(
  publicKey: Uint8Array,
  opts: { name?: string; transports?: Transport[]; waitMs?: number; any?: boolean } = {},
): Promise<ResolveResult> {
  return withNetwork(opts.transports ?? ['mainline'], (net) =>
    resolveLatest({ net, publicKey, full: opts.any ? undefined : fullName(opts.name ?? '_cclink', publicKey), waitMs: opts.waitMs ?? 0, log }),
  );
}

export { generateIdentity };
