/**
 * One pairing from start to stored peer, for both roles: open a HyperDHT
 * node, meet, run the handshake, optionally compare verifier words, store
 * the peer in peers.toml. cc-pair's code/invite/join are thin wrappers.
 */
import { hostname } from 'node:os';
import { NetNode } from '../net/node.ts';
import { authError } from '../cli/errors.ts';
import { askYesNo, hasTty } from '../cli/tty.ts';
import type { Identity } from '../identity/identity.ts';
import { serveInvite, dhtInvite, joinVia, dhtCandidates, MAX_FAILURES, type InviteTransport, type CandidateSource } from './rendezvous.ts';
import { lanInvite, lanCandidates } from './lan.ts';
import { safeName, type VerifiedPeer } from './handshake.ts';
import { savePeer, type Ability, type Peer, type Via } from './peers.ts';
import type { PairSecret } from './code.ts';
import type { CliError } from '../cli/errors.ts';

export interface FlowOptions {
  identity: Identity;
  secret: PairSecret;
  /** Store the peer under this name instead of the one it suggests. */
  name?: string;
  /** What the new peer may do on our relay (default view). */
  allow?: Ability[];
  /** Show the 3 verifier words and, on a terminal, ask before storing. */
  verify?: boolean;
  /** On the local network only (multicast beacons + TCP), with no DHT at all. */
  lan?: boolean;
  /** Human text (the terminal, else stderr). */
  say: (text: string) => void;
  /** Warnings (wrong attempts, burn). */
  warn: (text: string) => void;
}

/** The name we suggest to the other side: this machine's hostname, made safe. */
export function ownName(): string {
  return safeName(hostname().split('.')[0]);
}

async function finish(peer: VerifiedPeer, opts: FlowOptions, via: Via): Promise<Peer> {
  if (opts.verify) {
    opts.say(`Verification words: ${peer.verifier.join(' ')}  (the other screen must show the same)\n`);
    if (hasTty() && !(await askYesNo('Do the words match?'))) {
      throw authError('ERR_VERIFY_REJECTED', 'verification words rejected: nothing stored', 'pair again; if the words differ again, someone is in the middle');
    }
  }
  return savePeer({ name: opts.name ?? peer.name, pubkey: peer.pubkey, addrs: peer.addrs, paired_at: Math.floor(Date.now() / 1000), via, allow: opts.allow });
}

/** Wait for a joiner (code or link), then store it. `onReady` shows the code once the inviter is findable. */
export async function inviteFlow(opts: FlowOptions & { ttlMs: number; onReady: () => void }): Promise<Peer> {
  const node = opts.lan ? undefined : await NetNode.open();
  const transport: InviteTransport = node ? dhtInvite(node, opts.secret.topic) : lanInvite(opts.secret.topic);
  const stop = () => void (node ? node.close() : Promise.resolve()).finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const peer = await serveInvite(
      {
        secret: opts.secret,
        me: { identity: opts.identity, name: ownName(), addrs: [] },
        ttlMs: opts.ttlMs,
        onReady: opts.onReady,
        onFailure: (n: number, err: CliError) =>
          n < MAX_FAILURES
            ? opts.warn(`a joiner failed to pair (${err.code === 'ERR_WRONG_CODE' ? 'wrong code' : err.message}): attempt ${n} of ${MAX_FAILURES}`)
            : opts.warn(`INVITE BURNT: ${MAX_FAILURES} failed attempts. Someone may be guessing your code; nobody was paired.`),
      },
      transport,
    );
    return await finish(peer, opts, via(opts));
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await node?.close();
  }
}

function via(opts: FlowOptions): Via {
  return opts.lan ? 'lan' : opts.secret.kind === 'link' ? 'link' : 'code';
}

/** Find the inviter for a code or link, pair, and store it. */
export async function joinFlow(opts: FlowOptions): Promise<Peer> {
  const node = opts.lan ? undefined : await NetNode.open();
  const source: CandidateSource = node ? dhtCandidates(node, opts.secret.topic) : lanCandidates(opts.secret.topic);
  try {
    const peer = await joinVia({ secret: opts.secret, me: { identity: opts.identity, name: ownName(), addrs: [] } }, source);
    try {
      return await finish(peer, opts, via(opts));
    } finally {
      await peer.closed; // our 'done' delivered before the node goes
    }
  } finally {
    await node?.close();
  }
}
