/**
 * Pairing on the local network with no DHT at all (DESIGN.md §7): the
 * inviter listens on TCP with its ephemeral key and multicasts
 * `{magic:"cckp", v:1, t: T[0..8] hex, port, eph}` every 2 s; the joiner
 * listens for beacons whose t matches its code's topic and dials over TCP
 * wrapped in @hyperswarm/secret-stream, expecting the beacon's key. A beacon
 * carries no secret: T[0..8] comes from the public nameplate (or, for a
 * link, from its secret through BLAKE2b, which does not reveal it).
 */
import { createSocket, type Socket } from 'node:dgram';
import z32 from 'z32';
import { listenTcp, dialTcp } from '../net/tcp.ts';
import { NET, netError } from '../net/errors.ts';
import type { Candidate, CandidateSource, InviteTransport } from './rendezvous.ts';

/** The multicast group and port of pairing beacons (site-local scope). */
export const LAN_GROUP = process.env.CCKIT_LAN_GROUP || '239.255.67.75';
export const LAN_PORT = Number(process.env.CCKIT_LAN_PORT || 47387);
const BEACON_EVERY_MS = 2000;
const MAX_BEACON = 512;

/** What an inviter multicasts. */
export interface Beacon {
  magic: 'cckp';
  v: 1;
  t: string;
  port: number;
  eph: string;
}

/** The beacon for topic T, a TCP port and an ephemeral key. */
export function makeBeacon(topic: Uint8Array, port: number, eph: Uint8Array): Beacon {
  return { magic: 'cckp', v: 1, t: Buffer.from(topic.subarray(0, 8)).toString('hex'), port, eph: z32.encode(eph) };
}

/** Parse a datagram as a beacon for `topic`; undefined for anything else (hostile input is dropped). */
export function readBeacon(data: Buffer, topic: Uint8Array): { port: number; eph: Uint8Array } | undefined {
  if (data.length > MAX_BEACON) return undefined;
  let b: Record<string, unknown>;
  try {
    b = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof b !== 'object' || b === null || b.magic !== 'cckp' || b.v !== 1) return undefined;
  if (b.t !== Buffer.from(topic.subarray(0, 8)).toString('hex')) return undefined;
  if (!Number.isInteger(b.port) || (b.port as number) < 1 || (b.port as number) > 65535) return undefined;
  if (typeof b.eph !== 'string' || !/^[ybndrfg8ejkmcpqxot1uwisza345h769]{52}$/.test(b.eph)) return undefined;
  return { port: b.port as number, eph: new Uint8Array(z32.decode(b.eph)) };
}

/** The LAN transport for an inviter: TCP on every interface, beacons every 2 s. */
export function lanInvite(topic: Uint8Array): InviteTransport {
  return async (kp, onChannel, over) => {
    const server = await listenTcp(kp, { host: '0.0.0.0', allow: () => !over() }, (ch) => onChannel(ch));
    const sock = createSocket({ type: 'udp4', reuseAddr: true });
    sock.on('error', () => {});
    await new Promise<void>((resolve) => sock.bind(0, () => resolve()));
    sock.setMulticastTTL(1); // this link only
    const beacon = Buffer.from(JSON.stringify(makeBeacon(topic, server.port, kp.publicKey)));
    const send = () => sock.send(beacon, LAN_PORT, LAN_GROUP, () => {});
    send();
    const timer = setInterval(send, BEACON_EVERY_MS);
    return () => {
      clearInterval(timer);
      sock.close();
      void server.close();
    };
  };
}

/** Candidates from beacons heard for `windowMs` (one pass; the joiner looks again until its deadline). */
export function lanCandidates(topic: Uint8Array, windowMs = 5000): CandidateSource {
  return async function* () {
    const sock: Socket = createSocket({ type: 'udp4', reuseAddr: true });
    const queue: Candidate[] = [];
    let wake: (() => void) | undefined;
    let closed = false;
    sock.on('error', () => {
      closed = true;
      wake?.();
    });
    sock.on('message', (msg, rinfo) => {
      const b = readBeacon(msg, topic);
      if (!b) return;
      queue.push({
        id: `${rinfo.address}:${b.port}:${Buffer.from(b.eph).toString('hex')}`,
        dial: (kp) => dialTcp(rinfo.address, b.port, kp, { expect: b.eph, timeoutMs: 10_000 }),
      });
      wake?.();
    });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', (e) => reject(netError(NET.UNREACHABLE, `cannot listen for LAN beacons on port ${LAN_PORT}: ${(e as NodeJS.ErrnoException).code}`)));
      sock.bind(LAN_PORT, () => resolve());
    });
    try {
      sock.addMembership(LAN_GROUP);
    } catch (e) {
      sock.close();
      throw netError(NET.UNREACHABLE, `cannot join the LAN beacon group ${LAN_GROUP}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, undefined, 'is there a network interface with multicast (a route for 224.0.0.0/4)?');
    }
    const end = Date.now() + windowMs;
    const timer = setTimeout(() => {
      closed = true;
      wake?.();
    }, windowMs);
    try {
      while (!closed || queue.length > 0) {
        if (queue.length === 0) {
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
          continue;
        }
        yield queue.shift()!;
        if (Date.now() > end) closed = true;
      }
    } finally {
      clearTimeout(timer);
      sock.close();
    }
  };
}
