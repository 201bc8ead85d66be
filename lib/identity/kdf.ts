/**
 * Password hashing for the key envelope and PIN records: Argon2id (native
 * `argon2` addon, loaded only when a secret must be stretched) followed by
 * HKDF-SHA256 with a domain-separating label, as cclink does.
 */
import { hkdfSync } from 'node:crypto';
import { CliError, EXIT } from '../cli/errors.ts';

/** Argon2id cost parameters, as stored in the key envelope. */
export interface Argon2Params {
  /** memory in KiB */
  m: number;
  /** iterations */
  t: number;
  /** lanes */
  p: number;
}

/** cclink's parameters for keys and PINs: 64 MiB, 3 passes, 1 lane. */
export const DEFAULT_ARGON2: Argon2Params = { m: 65536, t: 3, p: 1 };

/** Bounds an envelope may ask for: beyond these a file is hostile or corrupt. */
export const ARGON2_LIMITS = { mMax: 1 << 21, tMax: 64, pMax: 16 } as const;

/** Throw ERR_KDF_PARAMS (exit 4) when the parameters are outside ARGON2_LIMITS or m < 8p. */
export function checkArgon2Params(params: Argon2Params): void {
  const { m, t, p } = params;
  const ok =
    p >= 1 && p <= ARGON2_LIMITS.pMax && t >= 1 && t <= ARGON2_LIMITS.tMax && m >= 8 * p && m <= ARGON2_LIMITS.mMax;
  if (!ok) {
    throw new CliError(
      'ERR_KDF_PARAMS',
      `refusing Argon2id parameters m=${m} KiB t=${t} p=${p} (outside sane bounds)`,
      EXIT.AUTH,
      'the key file is corrupt or was not made by cclink/cckit',
    );
  }
}

/** Argon2id(secret, salt) → 32 bytes. */
export async function argon2id(secret: Uint8Array, salt: Uint8Array, params: Argon2Params): Promise<Buffer> {
  checkArgon2Params(params);
  const argon2 = await import('argon2');
  return argon2.hash(Buffer.from(secret), {
    type: argon2.argon2id,
    raw: true,
    salt: Buffer.from(salt),
    memoryCost: params.m,
    timeCost: params.t,
    parallelism: params.p,
    hashLength: 32,
    version: 0x13,
  });
}

/** HKDF-SHA256 with no salt and the given info label → 32 bytes. */
export function hkdf32(ikm: Uint8Array, info: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, new Uint8Array(0), Buffer.from(info, 'utf8'), 32));
}

/** Argon2id then HKDF: the key that becomes an X25519 age identity. */
export async function stretch(secret: Uint8Array, salt: Uint8Array, params: Argon2Params, info: string): Promise<Uint8Array> {
  const raw = await argon2id(secret, salt, params);
  const key = hkdf32(raw, info);
  raw.fill(0);
  return key;
}
