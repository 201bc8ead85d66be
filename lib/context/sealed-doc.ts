/**
 * Signed, encrypted documents: policy, grants, log batches, heads and mail
 * envelopes all travel as an age file (to the readers' X25519 keys) of
 * `{k, b, s}` — kind, the body as a JSON string (so the signed bytes are
 * exactly the stored bytes; no canonicalisation) and an Ed25519 signature
 * over `cckit/ctx/v1/<kind>\n<body>`. The store sees neither the signer
 * nor the body.
 */
import { openBytes, sealBytes } from '../age/stream.ts';
import { authError } from '../cli/errors.ts';
import { parsePubkey, sign, verify, formatPubkey, type Identity } from '../identity/identity.ts';

function signable(kind: string, body: string): Buffer {
  return Buffer.from(`cckit/ctx/v1/${kind}\n${body}`, 'utf8');
}

/** Sign `body` as `kind` and encrypt the result to X25519 `recipients`. */
export function sealDoc(kind: string, body: unknown, signer: Identity, recipients: Uint8Array[]): Buffer {
  const b = JSON.stringify(body);
  const s = Buffer.from(sign(signer, signable(kind, b))).toString('base64');
  return sealBytes(Buffer.from(JSON.stringify({ k: kind, b, s }), 'utf8'), recipients);
}

/** What a sealed document holds once decrypted, before its signature is checked. */
export interface OpenedDoc {
  kind: string;
  body: Record<string, unknown>;
  raw: string;
  sig: Buffer;
}

/** Decrypt a sealed document (exit 4 if no secret fits or it is malformed). */
export function openDoc(file: Uint8Array, secrets: Uint8Array[], what: string, kind: string): OpenedDoc {
  const plain = openBytes(file, secrets, what);
  let doc: { k?: unknown; b?: unknown; s?: unknown };
  let body: unknown;
  try {
    doc = JSON.parse(plain.toString('utf8'));
    body = typeof doc.b === 'string' ? JSON.parse(doc.b) : undefined;
  } catch {
    throw authError('ERR_CTX_MALFORMED', `${what} is malformed`);
  }
  if (doc.k !== kind || typeof doc.b !== 'string' || typeof doc.s !== 'string' || !body || typeof body !== 'object' || Array.isArray(body)) {
    throw authError('ERR_CTX_MALFORMED', `${what} is not a ${kind}`);
  }
  return { kind, body: body as Record<string, unknown>, raw: doc.b, sig: Buffer.from(doc.s, 'base64') };
}

/** Check a document's signature against `signer` (a pk: string or raw key); exit 4 otherwise. */
export function checkSigner(doc: OpenedDoc, signer: string | Uint8Array, what: string): void {
  const key = typeof signer === 'string' ? parsePubkey(signer) : signer;
  if (doc.sig.length !== 64 || !verify(key, signable(doc.kind, doc.raw), doc.sig)) {
    throw authError('ERR_CTX_SIGNATURE', `${what} has a bad signature (expected ${formatPubkey(key)})`, 'the store may have tampered with it');
  }
}
