/**
 * lib/context/ — context sharing (DESIGN.md §9): a folder shared through a
 * store that sees only ciphertext, signed per-writer logs, authz compiled
 * into zones and grants, the mailbox and the MCP server.
 * May import: age/, dht/, pair/ (and through them identity/, cli/), plus
 * config.ts and secure-file.ts.
 *
 * This module: the opaque names the store sees. Each is a keyed hash so the
 * store learns no path, key or peer from a name.
 */
import { createHash } from 'node:crypto';

/** Hex SHA-256 of some bytes. */
export function sha256hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A domain-separated tag: SHA-256 over length-prefixed parts, 32 hex characters. */
export function tag(domain: string, ...parts: (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of [domain, ...parts]) {
    const b = typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    h.update(len).update(b);
  }
  return h.digest('hex').slice(0, 32);
}

/** The writer tag `H(space ‖ pk ‖ device)`: one signed log per writer device. */
export function writerTag(space: string, writer: string, device: string): string {
  return tag('cckit/ctx/v1/wtag', space, writer, device);
}

/** The grant file name for a peer: `H(space ‖ peer)`. */
export function grantTag(space: string, peer: string): string {
  return tag('cckit/ctx/v1/grant', space, peer);
}

/** The mailbox folder name for a recipient: `H(space ‖ to)`. */
export function mailTag(space: string, to: string): string {
  return tag('cckit/ctx/v1/mail', space, to);
}

/** The store key of an object named by its ciphertext hash. */
export function objectKey(hash: string): string {
  return `o/${hash.slice(0, 2)}/${hash}`;
}

/** The store key of a writer's log batch `seq` (zero-padded so listings sort). */
export function batchKey(wtag: string, seq: number): string {
  return `log/${wtag}/${String(seq).padStart(10, '0')}`;
}
