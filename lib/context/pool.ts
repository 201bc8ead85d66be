/**
 * A bounded pool for file I/O: thousands of small files are latency-bound
 * (create, write, rename each wait on the disk), so several in flight at once
 * is what makes a push or pull of 10,000 files keep pace with rclone, which
 * works the same way. Memory stays bounded by `limit` jobs.
 */

/** Run `job` over `items` with at most `limit` in flight; results in input order; the first error wins. */
export async function inPool<T, R>(items: T[], limit: number, job: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        out[i] = await job(items[i], i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
  return out;
}
