/**
 * Code-less pairing over identity keys: `cc-pair listen` answers on the
 * identity key itself, admitting only keys some policy introduced (a
 * project's .cckit/peers.toml, a tailnet); `cc-pair project connect` dials
 * such keys. Either way a person approves on each side (introduce.ts) before
 * anything is stored.
 */
import { NetNode, identityKeyPair, type Channel, type AllowFn } from '../net/node.ts';
import { CliError, EXIT } from '../cli/errors.ts';
import { bytesEqual, parsePubkey, type Identity } from '../identity/identity.ts';
import { introduce, type Approver } from './introduce.ts';
import { savePeer, type Ability, type Peer, type Via } from './peers.ts';
import { ownName } from './flow.ts';

export interface ListenOptions {
  identity: Identity;
  /** Who may ask at all (checked before any byte). */
  allow: AllowFn;
  /** The name to store a key under, when the introducing policy names it (project file). */
  nameFor?: (remote: Uint8Array) => string | undefined;
  approve: Approver;
  via: Via;
  abilities?: Ability[];
  /** Stop after the first pairing. */
  once?: boolean;
  ttlMs: number;
  onPaired: (p: Peer) => void;
  onRefused?: (err: CliError) => void;
  /** Told once the server is listening. */
  onReady?: () => void;
}

/** Listen until the TTL (or the first pairing with `once`); resolves with everyone paired. */
export async function listenForPeers(opts: ListenOptions): Promise<Peer[]> {
  const node = await NetNode.open();
  const paired: Peer[] = [];
  let queue = Promise.resolve();
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  // One approval at a time: a person answers one question, not several at once.
  const onChannel = (ch: Channel) => {
    queue = queue.then(async () => {
      try {
        const who = await introduce(ch, ownName(), opts.approve);
        const peer = await savePeer({ name: opts.nameFor?.(ch.remotePublicKey) ?? who.name, pubkey: who.pubkey, addrs: [], paired_at: Math.floor(Date.now() / 1000), via: opts.via, allow: opts.abilities });
        paired.push(peer);
        opts.onPaired(peer);
        if (opts.once) finish();
      } catch (err) {
        opts.onRefused?.(err as CliError);
      } finally {
        await ch.close().catch(() => {});
      }
    });
  };
  const timer = setTimeout(finish, opts.ttlMs);
  const stop = () => finish();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await node.listen(identityKeyPair(opts.identity), { allow: opts.allow }, onChannel);
    opts.onReady?.();
    await done;
    await queue;
    return paired;
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await node.close();
  }
}

/** The outcome of dialling one introduced key. */
export interface ConnectResult {
  name: string;
  pubkey: string;
  result: 'paired' | 'rejected' | 'unreachable';
  error?: string;
}

/** Dial each key (by identity), ask for approval on both sides, store who agreed. */
export async function connectPeers(opts: {
  identity: Identity;
  targets: { name: string; pubkey: string }[];
  approve: Approver;
  via: Via;
  abilities?: Ability[];
}): Promise<ConnectResult[]> {
  const node = await NetNode.open();
  const out: ConnectResult[] = [];
  try {
    for (const t of opts.targets) {
      const key = parsePubkey(t.pubkey);
      if (bytesEqual(key, opts.identity.publicKey)) continue; // ourselves, listed in the team file
      let ch: Channel | undefined;
      try {
        ch = await node.dial(key, identityKeyPair(opts.identity), { timeoutMs: 15_000 });
        const who = await introduce(ch, ownName(), opts.approve);
        await savePeer({ name: t.name, pubkey: who.pubkey, addrs: [], paired_at: Math.floor(Date.now() / 1000), via: opts.via, allow: opts.abilities });
        out.push({ name: t.name, pubkey: who.pubkey, result: 'paired' });
        await ch.close();
      } catch (err) {
        ch?.destroy();
        const e = err as CliError;
        out.push({ name: t.name, pubkey: t.pubkey, result: e.exitCode === EXIT.AUTH ? 'rejected' : 'unreachable', error: e.message });
      }
    }
    return out;
  } finally {
    await node.close();
  }
}

