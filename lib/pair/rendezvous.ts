/**
 * Meeting without a server of ours (DESIGN.md §7): the inviter listens on a
 * fresh ephemeral HyperDHT key and announces it under the topic T; the
 * joiner looks T up and gives each of up to 8 announcers one guess. Only T
 * and the ephemeral key are published; nothing derived from the words.
 */
import { NetNode, NET, ephemeralKeyPair, wipeKeyPair, type Channel } from '../net/node.ts';
import { CliError, EXIT, authError, expiredError, notFound, failure } from '../cli/errors.ts';
import { inviteHandshake, joinHandshake, type Me, type VerifiedPeer } from './handshake.ts';
import type { PairSecret } from './code.ts';

/** Failed confirmations after which an invite is burnt. */
export const MAX_FAILURES = 3;
/** Announcements are refreshed this often (HyperDHT records age out). */
const REANNOUNCE_MS = 4 * 60_000;
/** Handshakes the inviter runs at once (the rest wait for the next connection). */
const MAX_CONCURRENT = 4;

export interface InviteOptions {
  node: NetNode;
  secret: PairSecret;
  me: Me;
  ttlMs: number;
  /** Told about each failed attempt (n of MAX_FAILURES). */
  onFailure?: (n: number, err: CliError) => void;
  /** Told once the announcement is out (so the code can be shown only when it works). */
  onReady?: () => void;
}

/** Wait for one joiner to pair; ERR_INVITE_BURNED (exit 4) after 3 failures, ERR_CODE_EXPIRED (exit 5) at the TTL. */
export async function runInviter(opts: InviteOptions): Promise<VerifiedPeer> {
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
  const server = await opts.node.listen(kp, { allow: () => !settled }, onChannel);
  const ttl = setTimeout(() => {
    if (settled) return;
    settled = true;
    rejectDone(expiredError(opts.secret.kind === 'code' ? 'ERR_CODE_EXPIRED' : 'ERR_LINK_EXPIRED', `the ${opts.secret.kind} expired before anyone joined`, 'make a new one'));
  }, opts.ttlMs);
  let refresh: NodeJS.Timeout | undefined;
  try {
    await opts.node.announce(opts.secret.topic, kp, server);
    opts.onReady?.();
    refresh = setInterval(() => opts.node.announce(opts.secret.topic, kp, server).catch(() => {}), REANNOUNCE_MS);
    return await done;
  } finally {
    settled = true;
    clearTimeout(ttl);
    if (refresh) clearInterval(refresh);
    await opts.node.unannounce(opts.secret.topic, kp);
    await server.close();
    wipeKeyPair(kp);
  }
}

export interface JoinOptions {
  node: NetNode;
  secret: PairSecret;
  me: Me;
  /** How long to keep looking for an announcer. */
  waitMs?: number;
}

/**
 * Find the inviter and pair: each announcer gets one guess; the one whose
 * words we have succeeds. ERR_WRONG_CODE (exit 4) when every announcer
 * rejected the code, ERR_NO_INVITER (exit 3) when nobody announced.
 */
export async function runJoiner(opts: JoinOptions): Promise<VerifiedPeer> {
  const tried = new Set<string>();
  let wrong = 0;
  let lastError: CliError | undefined;
  const deadline = Date.now() + (opts.waitMs ?? 15_000);
  for (;;) {
    const found = await opts.node.lookup(opts.secret.topic, 8).catch(() => []);
    for (const cand of found) {
      const id = Buffer.from(cand.publicKey).toString('hex');
      if (tried.has(id) || tried.size >= 8) continue;
      tried.add(id);
      const kp = ephemeralKeyPair();
      let ch: Channel | undefined;
      try {
        ch = await opts.node.dial(cand.publicKey, kp, { relayAddresses: cand.relayAddresses, timeoutMs: 15_000 });
        const peer = await joinHandshake(ch, opts.secret, opts.me);
        await ch.close();
        return peer;
      } catch (err) {
        ch?.destroy();
        const e = err as CliError;
        if (e.code === 'ERR_WRONG_CODE') wrong++;
        else if (e.exitCode === EXIT.AUTH) throw e; // a binding or protocol failure is not "try the next one"
        lastError = e;
      } finally {
        wipeKeyPair(kp);
      }
    }
    if (Date.now() > deadline || tried.size >= 8) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  if (wrong > 0) throw authError('ERR_WRONG_CODE', 'wrong code', 'check the code on the other screen; each attempt uses one of its 3 tries');
  if (tried.size === 0) {
    throw notFound('ERR_NO_INVITER', `no inviter is waiting for this ${opts.secret.kind}`, `is cc-pair ${opts.secret.kind === 'code' ? 'code' : 'invite'} still running on the other machine? (it may have expired)`);
  }
  throw lastError?.code?.startsWith('ERR_NET') ? failure(lastError.code, `could not reach the inviter: ${lastError.message}`) : (lastError ?? failure(NET.UNREACHABLE, 'could not reach the inviter'));
}
