/**
 * HyperDHT key pairs. hyperdht (libsodium) derives an Ed25519 key pair from a
 * 32-byte seed exactly as we do, so an identity's `pk:` IS its dialable
 * HyperDHT address: the secret key in sodium's form is seed ‖ public key.
 */
import { generateIdentity, type Identity } from '../identity/identity.ts';

/** A key pair in the shape hyperdht and Noise want. */
export interface NetKeyPair {
  publicKey: Buffer;
  secretKey: Buffer;
}

/** The identity's own HyperDHT key pair (its public key is the identity's pk:). */
export function identityKeyPair(identity: Identity): NetKeyPair {
  return {
    publicKey: Buffer.from(identity.publicKey),
    secretKey: Buffer.concat([Buffer.from(identity.seed), Buffer.from(identity.publicKey)]),
  };
}

/** A fresh key pair that is nobody's identity (rendezvous, one-off dials). */
export function ephemeralKeyPair(): NetKeyPair {
  const id = generateIdentity();
  const kp = identityKeyPair(id);
  id.seed.fill(0);
  return kp;
}

/** Zero a key pair's secret half once it is no longer needed. */
export function wipeKeyPair(kp: NetKeyPair): void {
  kp.secretKey.fill(0);
}
