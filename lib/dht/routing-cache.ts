/**
 * The Mainline routing table kept between runs (state dir, safe to lose), so
 * a warm lookup starts from nodes that answered last time instead of from
 * the bootstrap routers. One file per bootstrap set: a test's private
 * testnet and the public DHT never share entries. Our node id is kept too,
 * so the table's buckets still fit when the nodes are loaded back.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { stateDir } from '../config.ts';
import { writeFileAtomic } from '../secure-file.ts';
import { isLoopbackHost, noPublicNetwork } from './bootstrap.ts';

/** A routing table entry kept between runs: 20-byte node id, host and port. */
export interface CachedNode {
  id: Buffer;
  host: string;
  port: number;
}

/** A loaded routing cache: our last node id (when kept) and its nodes. */
export interface RoutingCache {
  id?: Buffer;
  nodes: CachedNode[];
}

/** Enough for a warm start; the DHT relearns the rest during the lookup. */
const MAX_NODES = 256;
const VERSION = 1;

/** The cache file for a bootstrap set: `<state dir>/dht-routing-<first 12 hex of SHA-256(key)>.json`. */
export function routingCachePath(bootstrapKey: string): string {
  const tag = createHash('sha256').update(bootstrapKey).digest('hex').slice(0, 12);
  return join(stateDir(), `dht-routing-${tag}.json`);
}

const HEX_ID = /^[0-9a-f]{40}$/;

/** Load the cached table for this bootstrap set; anything unreadable counts as empty. */
export function loadRoutingCache(bootstrapKey: string): RoutingCache {
  let doc: { version?: number; bootstrap?: string; id?: string; nodes?: { id?: string; host?: string; port?: number }[] };
  try {
    doc = JSON.parse(readFileSync(routingCachePath(bootstrapKey), 'utf8'));
  } catch {
    return { nodes: [] };
  }
  if (doc?.version !== VERSION || doc.bootstrap !== bootstrapKey || !Array.isArray(doc.nodes)) return { nodes: [] };
  const nodes: CachedNode[] = [];
  for (const n of doc.nodes) {
    if (typeof n?.id !== 'string' || !HEX_ID.test(n.id) || typeof n.host !== 'string' || !Number.isInteger(n.port)) continue;
    if (n.port! < 1 || n.port! > 65535) continue;
    if (noPublicNetwork() && !isLoopbackHost(n.host)) continue;
    nodes.push({ id: Buffer.from(n.id, 'hex'), host: n.host, port: n.port! });
    if (nodes.length >= MAX_NODES) break;
  }
  const id = typeof doc.id === 'string' && HEX_ID.test(doc.id) ? Buffer.from(doc.id, 'hex') : undefined;
  return { id, nodes };
}

/** Save the table; failures are ignored (it is only a cache). */
export function saveRoutingCache(bootstrapKey: string, id: Buffer, nodes: CachedNode[]): void {
  const doc = {
    version: VERSION,
    bootstrap: bootstrapKey,
    saved_at: Math.floor(Date.now() / 1000),
    id: id.toString('hex'),
    nodes: nodes.slice(0, MAX_NODES).map((n) => ({ id: n.id.toString('hex'), host: n.host, port: n.port })),
  };
  try {
    writeFileAtomic(routingCachePath(bootstrapKey), Buffer.from(JSON.stringify(doc) + '\n'), { mode: 0o600, overwrite: true });
  } catch {
    /* a read-only or full state dir must not fail a publish */
  }
}
