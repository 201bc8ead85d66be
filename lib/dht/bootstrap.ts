/**
 * Where each transport starts: Mainline bootstrap nodes, pkarr relay URLs,
 * HyperDHT bootstrap nodes. Flags beat environment beat config.toml beat the
 * built-in defaults (DESIGN.md §2).
 *
 * CCKIT_TEST_NO_PUBLIC=1 (set by the test helpers) turns any non-loopback
 * address into a loud error, so a test that forgot to point at its local
 * testnet fails instead of quietly talking to the public DHT.
 */
import { setting } from '../config.ts';
import { CliError, EXIT } from '../cli/errors.ts';

/** Public Mainline routers: defaults only, never used when CCKIT_BOOTSTRAP or config say otherwise. */
export const PUBLIC_ROUTERS = [
  'router.bittorrent.com:6881',
  'dht.transmissionbt.com:6881',
  'router.utorrent.com:6881',
  'dht.libtorrent.org:25401',
];

/** A UDP node address; `host` has no IPv6 brackets. */
export interface HostPort {
  host: string;
  port: number;
}

/** The nodes a DHT client starts from, whether they are all on loopback, and a key naming the set. */
export interface Bootstrap {
  nodes: HostPort[];
  /** Every node is on the loopback interface: bind our sockets there too. */
  local: boolean;
  /** A stable key for this set, so cached routing tables never cross networks. */
  key: string;
}

/** Parse `host:port,host:port` (whitespace allowed). */
export function parseHostPorts(list: string, what: string): HostPort[] {
  const out: HostPort[] = [];
  for (const raw of list.split(/[,\s]+/)) {
    if (raw === '') continue;
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(raw);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535) {
      throw new CliError('ERR_BAD_BOOTSTRAP', `bad address '${raw}' in ${what}`, EXIT.USAGE, `${what} is a comma-separated list of host:port`);
    }
    out.push({ host: m[1].replace(/^\[|\]$/g, ''), port });
  }
  return out;
}

/** True for 127.0.0.0/8 dotted quads, `localhost` and `::1`; no DNS lookup is made. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === 'localhost' || h === '::1';
}

/** True under CCKIT_TEST_NO_PUBLIC=1, when only loopback addresses may be contacted. */
export function noPublicNetwork(): boolean {
  return process.env.CCKIT_TEST_NO_PUBLIC === '1';
}

/** The test guard: refuse non-loopback addresses under CCKIT_TEST_NO_PUBLIC=1. */
export function assertLocalOnly(what: string, hosts: string[], fix: string): void {
  if (!noPublicNetwork()) return;
  const outside = hosts.filter((h) => !isLoopbackHost(h));
  if (outside.length === 0) return;
  throw new CliError(
    'ERR_PUBLIC_NETWORK',
    `refusing to contact ${what} ${outside.slice(0, 3).join(', ')}: CCKIT_TEST_NO_PUBLIC=1 allows 127.0.0.1 only`,
    EXIT.FAILURE,
    fix,
  );
}

function describe(nodes: HostPort[]): string {
  return nodes.map((n) => `${n.host}:${n.port}`).join(',');
}

/** Mainline bootstrap: CCKIT_BOOTSTRAP, then config `dht.bootstrap`, then the public routers. */
export async function mainlineBootstrap(): Promise<Bootstrap> {
  const configured = await setting(undefined, 'CCKIT_BOOTSTRAP', 'dht.bootstrap');
  const nodes = parseHostPorts(configured ?? PUBLIC_ROUTERS.join(','), configured ? 'CCKIT_BOOTSTRAP / dht.bootstrap' : 'the default routers');
  if (nodes.length === 0) {
    throw new CliError('ERR_BAD_BOOTSTRAP', 'no Mainline bootstrap nodes configured', EXIT.USAGE, 'set CCKIT_BOOTSTRAP=host:port[,host:port…]');
  }
  assertLocalOnly('public DHT bootstrap nodes', nodes.map((n) => n.host), 'set CCKIT_BOOTSTRAP to a local testnet (cc-testnet prints one)');
  return { nodes, local: nodes.every((n) => isLoopbackHost(n.host)), key: describe(nodes) };
}

/** pkarr relays: CCKIT_RELAYS, then config `dht.relays`. No default: a relay is someone's server. */
export async function relayUrls(): Promise<string[]> {
  const configured = await setting(undefined, 'CCKIT_RELAYS', 'dht.relays');
  const urls = (configured ?? '').split(/[,\s]+/).filter((u) => u !== '');
  if (urls.length === 0) {
    throw new CliError(
      'ERR_NO_RELAYS',
      'no pkarr relays configured for --transport relay',
      EXIT.USAGE,
      'set CCKIT_RELAYS=https://relay.example[,…] or dht.relays in config.toml',
    );
  }
  const hosts: string[] = [];
  for (const u of urls) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new CliError('ERR_BAD_RELAY', `bad relay URL '${u}'`, EXIT.USAGE, 'a relay is an http:// or https:// URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new CliError('ERR_BAD_RELAY', `bad relay URL '${u}'`, EXIT.USAGE, 'a relay is an http:// or https:// URL');
    }
    hosts.push(url.hostname.replace(/^\[|\]$/g, ''));
  }
  assertLocalOnly('pkarr relays', hosts, 'set CCKIT_RELAYS to a local test relay');
  return urls.map((u) => u.replace(/\/+$/, ''));
}

/** HyperDHT bootstrap: CCKIT_HYPER_BOOTSTRAP, then config `hyper.bootstrap`, then hyperdht's own defaults. */
export async function hyperBootstrap(): Promise<Bootstrap | undefined> {
  const configured = await setting(undefined, 'CCKIT_HYPER_BOOTSTRAP', 'hyper.bootstrap');
  if (!configured) {
    assertLocalOnly('the public HyperDHT bootstrap nodes', ['hyperdht-defaults'], 'set CCKIT_HYPER_BOOTSTRAP to a local testnet (cc-testnet --hyper prints one)');
    return undefined;
  }
  const nodes = parseHostPorts(configured, 'CCKIT_HYPER_BOOTSTRAP / hyper.bootstrap');
  assertLocalOnly('HyperDHT bootstrap nodes', nodes.map((n) => n.host), 'set CCKIT_HYPER_BOOTSTRAP to a local testnet (cc-testnet --hyper prints one)');
  return { nodes, local: nodes.every((n) => isLoopbackHost(n.host)), key: describe(nodes) };
}
