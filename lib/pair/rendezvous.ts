/**
 * Meeting without a server of ours (DESIGN.md §7): the inviter listens on a
 * fresh ephemeral key and makes itself findable under the topic T (announced
 * on the HyperDHT, or multicast on the LAN, lan.ts); the joiner finds up to 8
 * announcers and gives each one guess. Only T and the ephemeral key are
 * published (with, when the inviter's node is publicly reachable, that node's
 * address, which the DHT knows anyway); nothing derived from the words. The invite's rules (first
 * success ends it, 3 failed guesses burn it, the TTL expires it) live here,
 * whatever carries the bytes.
 */
import { NetNode, NET, ephemeralKeyPair, wipeKeyPair, type Channel, type NetKeyPair } from '../net/node.ts';
import { CliError, EXIT, authError, expiredError, notFound, failure } from '../cli/errors.ts';
import { inviteHandshake, joinHandshake, type Me, type VerifiedPeer } from './handshake.ts';
import type { PairSecret } from './code.ts';

/** Failed confirmations after which an invite is burnt. */
export const MAX_FAILURES = 3;
/** Announcements are refreshed this often (HyperDHT records age out). */
const REANNOUNCE_MS = 4 * 60_000;
/** Handshakes the inviter runs at once (the rest are turned away). */
const MAX_CONCURRENT = 4;

export interface InviteRules {
  secret: PairSecret;
  me: Me;
  ttlMs: number;
  /** Told about each failed attempt (n of MAX_FAILURES). */
  onFailure?: (n: number, err: CliError) => void;
  /** Told once the inviter is findable (so the code is shown only when it works). */
  onReady?: () => void;
}

export interface InviteOptions extends InviteRules {
  node: NetNode;
}

/**
 * How an inviter is reached: given the ephemeral key pair, a handler for
 * accepted channels and whether the invite is over, start listening and
 * announcing; resolve (with what stops both) once a joiner can reach us.
 * Work that may still be finishing then (and fail) reports through `fail`.
 */
export type InviteTransport = (kp: NetKeyPair, onChannel: (ch: Channel) => void, over: () => boolean, fail: (err: Error) => void) => Promise<() => void>;

/** The invite's rules over any transport: resolves with the first peer that pairs. */
export async function serveInvite(opts: InviteRules, transport: InviteTransport): Promise<VerifiedPeer> {
  const kp = ephemeralKeyPair();
  let settled = false;
  let failures = 0;
  let running = 0;
  let resolveDone!: (p: VerifiedPeer) => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<VerifiedPeer>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  const onChannel = (ch: Channel) => {
    if (settled || running >= MAX_CONCURRENT) return ch.destroy();
    running++;
    const state = { guessed: false };
    inviteHandshake(ch, opts.secret, opts.me, state).then(
      (peer) => {
        running--;
        if (settled) return;
        settled = true;
        resolveDone(peer);
      },
      (err: CliError) => {
        running--;
        ch.destroy();
        if (settled || !state.guessed) return;
        failures++;
        opts.onFailure?.(failures, err);
        if (failures >= MAX_FAILURES) {
          settled = true;
          rejectDone(authError('ERR_INVITE_BURNED', `invite burnt after ${MAX_FAILURES} failed attempts`, 'someone may be guessing your code: make a new one and share it privately'));
        }
      },
    );
  };
  const fail = (err: Error) => {
    if (settled) return;
    settled = true;
    rejectDone(err);
  };
  let stop: () => void;
  try {
    stop = await transport(kp, onChannel, () => settled, fail);
  } catch (err) {
    settled = true;
    wipeKeyPair(kp);
    throw err;
  }
  const ttl = setTimeout(() => {
    if (settled) return;
    settled = true;
    rejectDone(expiredError(opts.secret.kind === 'code' ? 'ERR_CODE_EXPIRED' : 'ERR_LINK_EXPIRED', `the ${opts.secret.kind} expired before anyone joined`, 'make a new one'));
  }, opts.ttlMs);
  try {
    opts.onReady?.();
    return await done;
  } finally {
    settled = true;
    clearTimeout(ttl);
    stop();
  }
}

/** The HyperDHT transport: listen on the ephemeral key and announce it under T. */
export function dhtInvite(node: NetNode, topic: Uint8Array): InviteTransport {
  return async (kp, onChannel, over, fail) => {
    // Listening (which announces the key itself) and announcing the topic run
    // side by side. A publicly reachable node names itself in the topic
    // record, and hyperdht routes handshakes for a key from the moment
    // listen() starts (its router entry is set before the key's own
    // announce): a joiner can dial through our node as soon as the topic
    // record is out, so that is when we are ready, and the key's announce
    // finishes meanwhile. Behind a NAT the record names nothing, a joiner
    // must find the key, so its announce must be done too.
    const listening = node.listen(kp, { allow: () => !over() }, onChannel);
    listening.catch(() => {}); // handled below and after ready
    try {
      const { relayed } = await node.announce(topic, kp);
      if (!relayed) await listening;
    } catch (err) {
      await node.unannounce(topic, kp);
      await listening.then((s) => s.close(), () => {});
      throw err;
    }
    let stopped = false;
    let refresh: NodeJS.Timeout | undefined;
    listening.then(
      (srv) => {
        if (stopped) return;
        refresh = setInterval(() => node.announce(topic, kp, srv).catch(() => {}), REANNOUNCE_MS);
      },
      (err: Error) => {
        if (!stopped) fail(err);
      },
    );
    return () => {
      stopped = true;
      clearInterval(refresh);
      // Withdrawing the topic takes a DHT round; node.close() waits for it, the peer need not.
      void node.unannounce(topic, kp).finally(() => wipeKeyPair(kp));
      // Stops new handshakes at once; the DHT side of closing finishes in node.close().
      void listening.then((s) => s.close(), () => {});
    };
  };
}

/** Wait for one joiner on the HyperDHT; ERR_INVITE_BURNED (exit 4) after 3 failures, ERR_CODE_EXPIRED (exit 5) at the TTL. */
export function runInviter(opts: InviteOptions): Promise<VerifiedPeer> {
  return serveInvite(opts, dhtInvite(opts.node, opts.secret.topic));
}

export interface JoinRules {
  secret: PairSecret;
  me: Me;
  /** How long to keep looking for an announcer. */
  waitMs?: number;
}

export interface JoinOptions extends JoinRules {
  node: NetNode;
}

/** One announcer, found by some transport: an id (to try it once) and how to reach it. */
export interface Candidate {
  id: string;
  dial: (kp: NetKeyPair) => Promise<Channel>;
}

/** Where a joiner's candidates come from: one pass of looking (a DHT lookup, a listening window on the LAN). */
export type CandidateSource = () => AsyncGenerator<Candidate>;

/**
 * A peer the joiner paired with, and the channel's closing: the peer is
 * known (and can be stored) once our 'done' is sent; the channel then ends
 * cleanly in the background. Await `closed` before closing the node, so
 * the 'done' is delivered (retransmitted if need be) rather than cut off.
 */
export type JoinedPeer = VerifiedPeer & { closed: Promise<void> };

/**
 * Find the inviter and pair: each candidate gets one guess; the one whose
 * words we have succeeds. ERR_WRONG_CODE (exit 4) when every candidate
 * rejected the code, ERR_NO_INVITER (exit 3) when nobody announced.
 */
export async function joinVia(opts: JoinRules, source: CandidateSource): Promise<JoinedPeer> {
  const tried = new Set<string>();
  let wrong = 0;
  let lastError: CliError | undefined;
  // One guess for one candidate: the paired peer, or the reason it failed.
  const attempt = async (cand: Candidate): Promise<JoinedPeer | undefined> => {
    const kp = ephemeralKeyPair();
    let ch: Channel | undefined;
    try {
      ch = await cand.dial(kp);
      const peer = await joinHandshake(ch, opts.secret, opts.me);
      // Not awaited here: the inviter ends the channel once it has our 'done'
      // (a round trip, and its own store), which need not hold up ours.
      return { ...peer, closed: ch.close() };
    } catch (err) {
      ch?.destroy();
      const e = err as CliError;
      if (e.code === 'ERR_WRONG_CODE') wrong++;
      else if (e.exitCode === EXIT.AUTH) throw e; // a binding or protocol failure is not "try the next one"
      lastError = e;
      return undefined;
    } finally {
      wipeKeyPair(kp);
    }
  };
  const deadline = Date.now() + (opts.waitMs ?? 15_000);
  while (tried.size < 8) {
    // Dial each candidate as soon as it is found. The search stops meanwhile:
    // left running it would compete with the dial and the handshake (for the
    // network, and for the CPU of a small machine); if this guess fails, a
    // fresh pass at once finds the other announcers (tried ones are skipped).
    const stream = source();
    let attempted = false;
    for (;;) {
      let next: IteratorResult<Candidate>;
      try {
        next = await stream.next();
      } catch {
        break; // the search itself failed (no node answered): look again until the deadline
      }
      if (next.done) break;
      if (tried.has(next.value.id) || tried.size >= 8) continue;
      tried.add(next.value.id);
      await stream.return(undefined);
      const peer = await attempt(next.value);
      if (peer) return peer;
      attempted = true;
      break;
    }
    if (Date.now() > deadline) break;
    if (!attempted) await new Promise((r) => setTimeout(r, 500));
  }
  if (wrong > 0) throw authError('ERR_WRONG_CODE', 'wrong code', 'check the code on the other screen; each attempt uses one of its 3 tries');
  if (tried.size === 0) {
    throw notFound('ERR_NO_INVITER', `no inviter is waiting for this ${opts.secret.kind}`, `is cc-pair ${opts.secret.kind === 'code' ? 'code' : 'invite'} still running on the other machine? (it may have expired)`);
  }
  throw lastError?.code?.startsWith('ERR_NET') ? failure(lastError.code, `could not reach the inviter: ${lastError.message}`) : (lastError ?? failure(NET.UNREACHABLE, 'could not reach the inviter'));
}

/** Candidates from a HyperDHT lookup of T, yielded as the DHT names them. */
export function dhtCandidates(node: NetNode, topic: Uint8Array): CandidateSource {
  return async function* () {
    for await (const a of node.lookupStream(topic, 8)) {
      yield { id: Buffer.from(a.publicKey).toString('hex'), dial: (kp) => node.dial(a.publicKey, kp, { relayAddresses: a.relayAddresses, timeoutMs: 15_000 }) };
    }
  };
}

/** Find the inviter on the HyperDHT and pair (await `closed` before closing the node). */
export function runJoiner(opts: JoinOptions): Promise<JoinedPeer> {
  return joinVia(opts, dhtCandidates(opts.node, opts.secret.topic));
}
