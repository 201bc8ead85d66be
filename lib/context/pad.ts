/**
 * Size padding for objects (Padmé, Nikitin et al. 2019): a length is rounded
 * up so that only its top bits survive, leaking O(log log n) bits of the size
 * with at most 12 % overhead. The store sees bucket sizes, never exact ones.
 */

/** The padded length for a plaintext of `len` bytes (at least 4 KiB: most context files are small, and look alike). */
export function padmeLength(len: number): number {
  const l = Math.max(len, 4096);
  const e = Math.floor(Math.log2(l));
  const s = Math.floor(Math.log2(e)) + 1;
  const lastBits = e - s;
  const mask = 2 ** lastBits - 1;
  return Math.ceil(l / (mask + 1)) * (mask + 1);
}
