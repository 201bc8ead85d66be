/**
 * Tailscale as an introducer (DESIGN.md §7): candidates come from
 * `tailscale status --json` (Online, not ShareeNode, the same user or
 * carrying the tag), dialled on their tailnet address; the listener asks
 * `tailscale whois --json` who dialled. The tailnet only carries bytes:
 * cckit keys still authenticate (Noise over TCP, lib/net/tcp.ts), and a
 * person approves unless the caller explicitly trusts the tailnet user.
 * Field names are tailscale's ipnstate.Status / apitype.WhoIsResponse.
 */
import { execFile } from 'node:child_process';
import { CliError, EXIT } from '../cli/errors.ts';

/** The port `cc-pair listen --tailscale` answers on (on tailnet addresses only). */
export const TAILSCALE_PORT = Number(process.env.CCKIT_TAILSCALE_PORT || 47388);

/** A tailnet peer worth dialling. */
export interface TailnetPeer {
  name: string;
  ip: string;
  userId: number;
  tags: string[];
}

/** Who we are on the tailnet. */
export interface TailnetSelf {
  userId: number;
  ips: string[];
}

function run(args: string[]): Promise<string> {
  const bin = process.env.CCKIT_TAILSCALE || 'tailscale';
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: 10_000, maxBuffer: 8 << 20 }, (err, stdout) => {
      if (err) {
        const e = err as NodeJS.ErrnoException;
        reject(
          e.code === 'ENOENT'
            ? new CliError('ERR_NO_TAILSCALE', `'${bin}' not found`, EXIT.NOT_FOUND, 'install Tailscale, or set CCKIT_TAILSCALE to its CLI')
            : new CliError('ERR_TAILSCALE', `tailscale ${args[0]} failed`, EXIT.FAILURE, 'is tailscaled running and are you logged in?'),
        );
      } else resolve(stdout);
    });
  });
}

function parse(text: string, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* below */
  }
  throw new CliError('ERR_TAILSCALE', `tailscale ${what} did not print a JSON object`, EXIT.FAILURE);
}

const ipv4 = (ips: unknown): string[] => (Array.isArray(ips) ? ips.filter((x): x is string => typeof x === 'string' && /^\d{1,3}(\.\d{1,3}){3}$/.test(x)) : []);
const safe = (s: unknown): string => (typeof s === 'string' ? s.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 63) : '');

/** Parse `tailscale status --json`: ourselves and the candidates (Online, not shared in, same user or tagged). */
export function candidatesFromStatus(status: Record<string, unknown>, tag: string): { self: TailnetSelf; peers: TailnetPeer[] } {
  const s = (status.Self ?? {}) as Record<string, unknown>;
  const self: TailnetSelf = { userId: Number(s.UserID), ips: ipv4(s.TailscaleIPs) };
  const peers: TailnetPeer[] = [];
  const map = (status.Peer ?? {}) as Record<string, Record<string, unknown>>;
  for (const p of Object.values(map)) {
    if (typeof p !== 'object' || p === null) continue;
    if (p.Online !== true || p.ShareeNode === true) continue;
    const tags = Array.isArray(p.Tags) ? p.Tags.filter((t): t is string => typeof t === 'string') : [];
    const userId = Number(p.UserID);
    if (userId !== self.userId && !tags.includes(tag)) continue;
    const ip = ipv4(p.TailscaleIPs)[0];
    if (!ip) continue;
    peers.push({ name: safe(p.HostName) || safe(String(p.DNSName ?? '').split('.')[0]) || 'peer', ip, userId, tags });
  }
  return { self, peers };
}

/** Ourselves and the candidates from the local tailscale. */
export async function tailnetCandidates(tag: string): Promise<{ self: TailnetSelf; peers: TailnetPeer[] }> {
  return candidatesFromStatus(parse(await run(['status', '--json']), 'status'), tag);
}

/** Who is behind a tailnet address: the user id and the node's tags (`tailscale whois --json`). */
export async function whois(addr: string): Promise<{ userId: number; login: string; tags: string[]; node: string }> {
  const w = parse(await run(['whois', '--json', addr]), 'whois');
  const node = (w.Node ?? {}) as Record<string, unknown>;
  const user = (w.UserProfile ?? {}) as Record<string, unknown>;
  return {
    userId: Number(user.ID),
    login: safe(user.LoginName),
    tags: Array.isArray(node.Tags) ? node.Tags.filter((t): t is string => typeof t === 'string') : [],
    node: safe(String(node.Name ?? '').split('.')[0]),
  };
}
