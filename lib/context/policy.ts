/**
 * The owner-signed policy and per-peer grant bundles (DESIGN.md §9) and
 * how a peer loads and checks them. The policy (zones, their current epoch
 * recipients and writers) is sealed to the metadata key; each grant (the
 * metadata keys, the zone secrets a peer may read, the zones it may write)
 * is sealed to that peer's own key. Both are signed by the owner, so peers
 * trust them while the owner is offline.
 */
import { authError, expiredError, notFound } from '../cli/errors.ts';
import { formatPubkey, parsePubkey, toZ32, x25519Public, x25519Secret } from '../identity/identity.ts';
import { x25519PublicOf } from '../identity/ed25519.ts';
import { checkSigner, openDoc } from './sealed-doc.ts';
import { grantTag } from './tags.ts';
import type { Store } from './store.ts';
import type { SnapshotRef } from './snapshot.ts';

/** A zone as the policy describes it. */
export interface PolicyZone {
  id: string;
  path: string;
  epoch: number;
  recipient: string; // base64 raw X25519
  writers: string[]; // z32
  /** Former writers → the policy seq that removed them: their batches written under an older policy stay valid. */
  retired?: Record<string, number>;
}

/** The signed policy body. */
export interface PolicyBody {
  v: 1;
  space: string;
  owner: string;
  seq: number;
  time: number;
  meta_epoch: number;
  meta_recipient: string;
  zones: PolicyZone[];
  /** The latest compaction (revoke --reencrypt): readers take the log up to its cut from it. */
  snapshot?: SnapshotRef;
}

/** The signed grant body for one peer. */
export interface GrantBody {
  v: 1;
  space: string;
  owner: string;
  peer: string;
  seq: number;
  revoked?: boolean;
  meta: { epoch: number; secret: string }[];
  read: { id: string; epochs: { epoch: number; secret: string }[] }[];
  write: string[];
}

/** A peer's verified view of the space: policy plus its own grant. */
export interface Access {
  policy: PolicyBody;
  grant: GrantBody;
  metaSecrets: Uint8Array[];
  /** zone id → epoch → X25519 secret, for the zones this peer may read. */
  readKeys: Map<string, Map<number, Uint8Array>>;
  /** zone id → its current recipient, for the zones this peer may write. */
  writeZones: Map<string, PolicyZone>;
}

/** The zone a space path falls in: the longest zone path that contains it. */
export function zoneFor(zones: PolicyZone[], path: string): PolicyZone {
  let best: PolicyZone | undefined;
  for (const z of zones) {
    const inside = z.path === '/' || path === z.path || path.startsWith(z.path + '/');
    if (inside && (!best || z.path.length > best.path.length)) best = z;
  }
  if (!best) throw authError('ERR_CTX_POLICY', 'the policy has no root zone');
  return best;
}

/** Is `writer` (z32) allowed to write into `zone`? The owner always is. */
export function mayWrite(policy: PolicyBody, zone: PolicyZone, writer: string, writtenUnder = policy.seq): boolean {
  if (writer === policy.owner || zone.writers.includes(writer)) return true;
  const cut = zone.retired?.[writer];
  return cut !== undefined && writtenUnder < cut;
}

/**
 * Fetch and verify the grant for `me` and the policy it unlocks, checking
 * owner signatures, the space id, that grant and policy belong together
 * and that the policy did not go back in time (`minSeq`).
 */
export async function loadAccess(store: Store, space: string, owner: Uint8Array, me: { publicKey: Uint8Array; seed: Uint8Array }, minSeq = 0): Promise<Access> {
  const ownerZ = toZ32(owner);
  const meZ = toZ32(me.publicKey);
  const mySecret = x25519Secret(me.seed);
  const grantFile = await store.read(`grant/${grantTag(space, meZ)}`);
  if (!grantFile) {
    throw authError('ERR_CTX_NO_GRANT', `no grant for ${formatPubkey(me.publicKey)} in this space`, `ask the owner (${formatPubkey(owner)}) to run: cc-context grant ${formatPubkey(me.publicKey)} /PATH r`);
  }
  const g = openDoc(grantFile, [mySecret], 'the grant', 'grant');
  checkSigner(g, owner, 'the grant');
  const grant = g.body as unknown as GrantBody;
  if (grant.space !== space || grant.peer !== meZ || grant.owner !== ownerZ) throw authError('ERR_CTX_GRANT', 'the grant is for another space or peer', 'the store may have swapped it');
  if (grant.revoked) throw expiredError('ERR_CTX_REVOKED', `access to this space was revoked by ${formatPubkey(owner)}`);
  if (!Number.isSafeInteger(grant.seq) || grant.seq < minSeq) throw authError('ERR_CTX_ROLLBACK', `the grant went back in time (seq ${grant.seq} < ${minSeq})`, 'the store is serving old data');
  const metaSecrets = (grant.meta ?? []).map((m) => Buffer.from(m.secret, 'base64'));
  const policyFile = await store.read('policy/head');
  if (!policyFile) throw notFound('ERR_CTX_WITHHELD', 'the policy is missing from the store (withheld)');
  const p = openDoc(policyFile, metaSecrets, 'the policy', 'policy');
  checkSigner(p, owner, 'the policy');
  const policy = p.body as unknown as PolicyBody;
  if (policy.space !== space || policy.owner !== ownerZ) throw authError('ERR_CTX_POLICY', 'the policy is for another space');
  if (policy.seq < minSeq) throw authError('ERR_CTX_ROLLBACK', `the policy went back in time (seq ${policy.seq} < ${minSeq})`, 'the store is serving old data');
  if (policy.seq !== grant.seq) {
    throw authError('ERR_CTX_ROLLBACK', `policy (seq ${policy.seq}) and grant (seq ${grant.seq}) disagree`, 'the store may be serving an old one; if the owner is updating the space right now, retry');
  }
  const readKeys = new Map<string, Map<number, Uint8Array>>();
  for (const r of grant.read ?? []) {
    readKeys.set(r.id, new Map(r.epochs.map((e) => [e.epoch, Buffer.from(e.secret, 'base64')])));
  }
  const writeZones = new Map<string, PolicyZone>();
  for (const z of policy.zones) if (mayWrite(policy, z, meZ)) writeZones.set(z.id, z);
  return { policy, grant, metaSecrets, readKeys, writeZones };
}

/** The metadata recipient (raw X25519) named by a policy. */
export function metaRecipient(policy: PolicyBody): Uint8Array {
  return Buffer.from(policy.meta_recipient, 'base64');
}

/** Raw X25519 public key for a base64 secret. */
export function publicOfSecret(secretB64: string): string {
  return x25519PublicOf(Buffer.from(secretB64, 'base64')).toString('base64');
}

/** X25519 recipient of a z32 identity. */
export function peerRecipient(z: string): Uint8Array {
  return x25519Public(parsePubkey(z));
}

