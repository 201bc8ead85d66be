/**
 * Compiling the authz file into what the store holds (owner side): zones
 * (one per section, plus the root), who reads and writes each, a new epoch
 * for every zone that lost a reader, a new metadata epoch when a member
 * left, then the signed policy and one signed grant per member (revoked
 * members get a signed revocation instead).
 */
import { toZ32 } from '../identity/identity.ts';
import type { Identity } from '../identity/identity.ts';
import { usageError } from '../cli/errors.ts';
import { parseAuthz, rightAt, type AuthzSection } from './authz.ts';
import { latest, newEpochKey, type OwnerKeys } from './owner-keys.ts';
import { peerRecipient, publicOfSecret, type GrantBody, type PolicyBody } from './policy.ts';
import { sealDoc } from './sealed-doc.ts';
import { grantTag, tag } from './tags.ts';
import type { Store } from './store.ts';

/** The result of a compile: new keys plus the documents to publish. */
export interface Compiled {
  keys: OwnerKeys;
  policy: PolicyBody;
  grants: GrantBody[];
  /** z32 of members who lost all access in this compile. */
  removed: string[];
}

/** Resolve every name the authz file uses to a z32 key (throws on unknown names). */
export async function resolveNames(sections: AuthzSection[], resolve: (name: string) => Promise<Uint8Array>): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for (const s of sections) {
    for (const r of s.rules) {
      if (r.who === '*' || m.has(r.who)) continue;
      m.set(r.who, toZ32(await resolve(r.who)));
    }
  }
  return m;
}

/** Compile authz text against the previous keys; pure apart from fresh randomness. */
export function compile(opts: { authz: string; names: Map<string, string>; keys: OwnerKeys; owner: string; space: string; now: number }): Compiled {
  const sections = parseAuthz(opts.authz, '.cckit/authz');
  const keys: OwnerKeys = JSON.parse(JSON.stringify(opts.keys));
  const peers = [...new Set(opts.names.values())].filter((z) => z !== opts.owner);
  const zonePaths = [...new Set(['/', ...sections.map((s) => s.path)])].sort();
  const rights = new Map<string, Map<string, string>>(); // zone path → z32 → right
  for (const zp of zonePaths) {
    const m = new Map<string, string>();
    for (const z of peers) {
      const r = rightAt(sections, zp, (who) => opts.names.get(who) === z);
      if (r) m.set(z, r);
    }
    m.set(opts.owner, 'rw');
    rights.set(zp, m);
  }
  // Epochs: a zone that loses a reader gets a new key; the old one stays in grants of current readers.
  for (const zp of zonePaths) {
    const readers = [...rights.get(zp)!].filter(([, r]) => r.includes('r')).map(([z]) => z);
    const zone = (keys.zones[zp] ??= { id: tag('cckit/ctx/v1/zone', opts.space, zp), epochs: [newEpochKey(1)] });
    const before = keys.readers[zp] ?? [];
    if (before.some((z) => !readers.includes(z))) zone.epochs.push(newEpochKey(latest(zone.epochs).epoch + 1));
    keys.readers[zp] = readers.sort();
  }
  for (const zp of Object.keys(keys.zones)) {
    if (!zonePaths.includes(zp)) {
      delete keys.zones[zp]; // a section removed: its files fall to the parent zone from now on
      delete keys.readers[zp];
    }
  }
  const members = [...new Set([opts.owner, ...peers.filter((z) => zonePaths.some((zp) => rights.get(zp)!.has(z)))])].sort();
  const removed = keys.members.filter((z) => !members.includes(z));
  if (removed.length) keys.meta.push(newEpochKey(latest(keys.meta).epoch + 1));
  keys.members = members;
  keys.revoked = [...new Set([...keys.revoked.filter((z) => !members.includes(z)), ...removed])].sort();
  keys.policy_seq += 1;

  const meta = latest(keys.meta);
  const policy: PolicyBody = {
    v: 1,
    space: opts.space,
    owner: opts.owner,
    seq: keys.policy_seq,
    time: opts.now,
    meta_epoch: meta.epoch,
    meta_recipient: publicOfSecret(meta.secret),
    zones: zonePaths.map((zp) => {
      const z = keys.zones[zp];
      const cur = latest(z.epochs);
      const writers = [...rights.get(zp)!].filter(([, r]) => r.includes('w')).map(([w]) => w).sort();
      const retired = { ...(keys.retired?.[zp] ?? {}) };
      for (const w of keys.writers?.[zp] ?? []) if (!writers.includes(w)) retired[w] = keys.policy_seq;
      for (const w of writers) delete retired[w];
      (keys.writers ??= {})[zp] = writers;
      (keys.retired ??= {})[zp] = retired;
      return { id: z.id, path: zp, epoch: cur.epoch, recipient: publicOfSecret(cur.secret), writers, ...(Object.keys(retired).length ? { retired } : {}) };
    }),
    ...(keys.snapshot ? { snapshot: keys.snapshot } : {}),
  };
  const grants: GrantBody[] = members.map((peer) => ({
    v: 1,
    space: opts.space,
    owner: opts.owner,
    peer,
    seq: keys.policy_seq,
    meta: keys.meta,
    read: zonePaths.filter((zp) => rights.get(zp)!.get(peer)?.includes('r')).map((zp) => ({ id: keys.zones[zp].id, epochs: keys.zones[zp].epochs })),
    write: zonePaths.filter((zp) => rights.get(zp)!.get(peer)?.includes('w')).map((zp) => keys.zones[zp].id),
  }));
  for (const peer of keys.revoked) {
    grants.push({ v: 1, space: opts.space, owner: opts.owner, peer, seq: keys.policy_seq, revoked: true, meta: [], read: [], write: [] });
  }
  return { keys, policy, grants, removed };
}

/** Write the grants, then the policy (a reader that sees the new policy finds its new grant). */
export async function publishPolicy(store: Store, c: Compiled, owner: Identity): Promise<void> {
  for (const g of c.grants) {
    await store.write(`grant/${grantTag(c.policy.space, g.peer)}`, sealDoc('grant', g, owner, [peerRecipient(g.peer)]));
  }
  const meta = Buffer.from(c.policy.meta_recipient, 'base64');
  await store.write('policy/head', sealDoc('policy', c.policy, owner, [meta, peerRecipient(c.policy.owner)]));
}

/** Refuse a grant to the owner's own key (the owner always has rw). */
export function checkNotOwner(z: string, owner: string): void {
  if (z === owner) throw usageError('the owner always has rw on the whole space', 'grant to a peer instead');
}
