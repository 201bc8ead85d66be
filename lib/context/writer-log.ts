/**
 * Per-writer signed logs (DESIGN.md §9). Each writer device appends
 * immutable batches `log/<wtag>/<seq>` — `{seq, prev, entries}` chained by
 * the SHA-256 of the previous batch file — and then rewrites its single
 * head `head/<wtag>` = `{seq, batch hash}`. Both are signed by the writer and
 * sealed to the space's metadata key, so the store sees neither who wrote
 * nor what.
 */
import { authError, notFound } from '../cli/errors.ts';
import { formatPubkey, parsePubkey, type Identity } from '../identity/identity.ts';
import { checkSigner, openDoc, sealDoc } from './sealed-doc.ts';
import { batchKey, sha256hex, writerTag } from './tags.ts';
import type { Store } from './store.ts';

/** One file version in a batch: zone id, zone epoch, object hash, object size. */
export interface BatchEntry {
  z: string;
  e: number;
  o: string;
  n: number;
}

/** The signed batch body. */
export interface BatchBody {
  v: 1;
  space: string;
  writer: string;
  device: string;
  wtag: string;
  seq: number;
  prev: string | null;
  policy: number;
  time: number;
  entries: BatchEntry[];
}

/** The signed head body. */
export interface HeadBody {
  v: 1;
  space: string;
  writer: string;
  device: string;
  wtag: string;
  seq: number;
  batch: string;
  time: number;
}

/** Append a batch and move the head to it; returns the batch file's hash. */
export async function appendBatch(store: Store, me: Identity, body: BatchBody, meta: Uint8Array): Promise<string> {
  const file = sealDoc('batch', body, me, [meta]);
  const hash = sha256hex(file);
  await store.write(batchKey(body.wtag, body.seq), file);
  const head: HeadBody = { v: 1, space: body.space, writer: body.writer, device: body.device, wtag: body.wtag, seq: body.seq, batch: hash, time: body.time };
  await store.write(`head/${body.wtag}`, sealDoc('head', head, me, [meta]));
  return hash;
}

/** Open and check a head file: signed by the writer it names, under the tag it is filed at. */
export function checkHead(file: Uint8Array, wtag: string, space: string, metaSecrets: Uint8Array[]): HeadBody {
  const what = `head ${wtag.slice(0, 8)}`;
  const doc = openDoc(file, metaSecrets, what, 'head');
  const h = doc.body as unknown as HeadBody;
  if (typeof h.writer !== 'string' || typeof h.device !== 'string' || !Number.isSafeInteger(h.seq) || h.seq < 1 || typeof h.batch !== 'string') {
    throw authError('ERR_CTX_MALFORMED', `${what} is malformed`);
  }
  let writer: Uint8Array;
  try {
    writer = parsePubkey(h.writer);
  } catch {
    throw authError('ERR_CTX_MALFORMED', `${what} names no valid writer`);
  }
  checkSigner(doc, writer, what);
  if (h.space !== space || h.wtag !== wtag || writerTag(space, h.writer, h.device) !== wtag) {
    throw authError('ERR_CTX_SWAPPED', `${what} is filed under the wrong writer or space`, 'the store may have swapped it');
  }
  return h;
}

/** Fetch and check batch `seq` of a writer: signature, place in the chain, and (when given) the hash a head names. */
export async function fetchBatch(store: Store, head: HeadBody, seq: number, prev: string | null, metaSecrets: Uint8Array[], wantHash?: string): Promise<{ body: BatchBody; hash: string }> {
  const who = `${formatPubkey(parsePubkey(head.writer))}`;
  const file = await store.read(batchKey(head.wtag, seq));
  if (!file) throw notFound('ERR_CTX_WITHHELD', `batch ${seq} of writer ${who} is missing from the store (withheld)`, 'the store is withholding data; try again later or another copy of the store');
  const hash = sha256hex(file);
  const what = `batch ${seq} of ${who}`;
  const doc = openDoc(file, metaSecrets, what, 'batch');
  checkSigner(doc, parsePubkey(head.writer), what);
  const b = doc.body as unknown as BatchBody;
  if (b.space !== head.space || b.wtag !== head.wtag || b.writer !== head.writer || b.device !== head.device) {
    throw authError('ERR_CTX_SWAPPED', `${what} belongs to another writer or space`, 'the store may have swapped it');
  }
  if (b.seq !== seq || (b.prev ?? null) !== prev) {
    throw authError('ERR_CTX_REPLAY', `${what} is out of place in the writer's chain (replayed or reordered)`, 'the store is serving old or reordered data');
  }
  if (wantHash !== undefined && hash !== wantHash) {
    throw authError('ERR_CTX_FORK', `${what} is not the one its head names`, 'the store is serving a different history');
  }
  if (!Array.isArray(b.entries)) throw authError('ERR_CTX_MALFORMED', `${what} is malformed`);
  return { body: b, hash };
}
