/**
 * Code-less pairing over identity keys: `cc-pair listen` answers on the
 * identity key itself, admitting only keys some policy introduced (a
 * project's .cckit/peers.toml, a tailnet); `cc-pair project connect` dials
 * such keys. Either way a person approves on each side (introduce.ts) before
 * anything is stored.
 */
import { NetNode, identityKeyPair, type Channel, type AllowFn } from '../net/node.ts';
import { listenTcp, dialTcp } from '../net/tcp.ts';
import { tailnetCandidates, whois, TAILSCALE_PORT } from './tailscale.ts';
import { CliError, EXIT } from '../cli/errors.ts';
import { bytesEqual, parsePubkey, type Identity } from '../identity/identity.ts';
import { introduce, type Approver, type Introduction } from './introduce.ts';
import { savePeer, type Ability, type Peer, type Via } from './peers.ts';
import { ownName } from './flow.ts';

/** What every code-less listener takes: who approves, what a new peer may do, how long it listens. */
export interface ListenCommon {
  identity: Identity;
  approve: Approver;
  abilities?: Ability[];
  /** Stop after the first pairing. */
  once?: boolean;
  ttlMs: number;
  onPaired: (p: Peer) => void;
  onRefused?: (err: CliError) => void;
}

/** listenForPeers' options: a listener for project peers (or any allow-list). */
export interface ListenOptions extends ListenCommon {
  /** Who may ask at all (checked before any byte). */
  allow: AllowFn;
  /** The name to store a key under, when the introducing policy names it (project file). */
  nameFor?: (remote: Uint8Array) => string | undefined;
  via: Via;
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


/**
 * `cc-pair listen --tailscale`: answer on our tailnet addresses; whoever
 * dials is asked about with `tailscale whois` (same user or tagged, else
 * refused before any application byte), then approved by a person, or
 * automatically for our own tailnet user when `trustUser` says so.
 */
export async function listenTailnet(
  opts: ListenCommon & { tag: string; trustUser: boolean; onReady?: (addrs: string[]) => void },
): Promise<Peer[]> {
  const { self } = await tailnetCandidates(opts.tag);
  if (self.ips.length === 0) throw new CliError('ERR_TAILSCALE', 'this machine has no tailnet IPv4 address', EXIT.FAILURE, 'is tailscale up?');
  const paired: Peer[] = [];
  let queue = Promise.resolve();
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const onChannel = (ch: Channel, remote: { host: string; port: number }) => {
    queue = queue.then(async () => {
      try {
        const w = await whois(`${remote.host.replace(/^::ffff:/, '')}:${remote.port}`);
        const sameUser = w.userId === self.userId;
        if (!sameUser && !w.tags.includes(opts.tag)) throw new CliError('ERR_TAILNET_REFUSED', `${w.node || remote.host} is neither your tailnet user nor tagged ${opts.tag}`, EXIT.AUTH);
        const approve: Approver = opts.trustUser && sameUser ? async () => true : opts.approve;
        const who = await introduce(ch, ownName(), approve);
        const peer = await savePeer({ name: w.node || who.name, pubkey: who.pubkey, addrs: [remote.host.replace(/^::ffff:/, '')], paired_at: Math.floor(Date.now() / 1000), via: 'tailscale', allow: opts.abilities });
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
  const servers = [];
  const kp = identityKeyPair(opts.identity);
  const timer = setTimeout(finish, opts.ttlMs);
  const stop = () => finish();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    for (const ip of self.ips) servers.push(await listenTcp(kp, { host: ip, port: TAILSCALE_PORT, allow: () => true }, onChannel));
    opts.onReady?.(self.ips.map((ip) => `${ip}:${TAILSCALE_PORT}`));
    await done;
    await queue;
    return paired;
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    for (const s of servers) await s.close();
    kp.secretKey.fill(0);
  }
}

/** `cc-pair tailscale`: dial each candidate on its tailnet address and pair with whoever both sides approve. */
export async function connectTailnet(opts: { identity: Identity; tag: string; trustUser: boolean; approve: Approver; abilities?: Ability[] }): Promise<ConnectResult[]> {
  const { self, peers } = await tailnetCandidates(opts.tag);
  const out: ConnectResult[] = [];
  const kp = identityKeyPair(opts.identity);
  try {
    for (const p of peers) {
      let ch: Channel | undefined;
      try {
        ch = await dialTcp(p.ip, TAILSCALE_PORT, kp, { timeoutMs: 10_000 });
        const approve: Approver = opts.trustUser && p.userId === self.userId ? async () => true : opts.approve;
        const who: Introduction = await introduce(ch, ownName(), approve);
        const peer = await savePeer({ name: p.name, pubkey: who.pubkey, addrs: [p.ip], paired_at: Math.floor(Date.now() / 1000), via: 'tailscale', allow: opts.abilities });
        out.push({ name: peer.name, pubkey: peer.pubkey, result: 'paired' });
        await ch.close();
      } catch (err) {
        ch?.destroy();
        const e = err as CliError;
        out.push({ name: p.name, pubkey: '', result: e.exitCode === EXIT.AUTH ? 'rejected' : 'unreachable', error: e.message });
      }
    }
    return out;
  } finally {
    kp.secretKey.fill(0);
  }
}
