/**
 * Creating many small files through libuv's callback API: a push writes
 * thousands of objects, and the promise API's FileHandle objects cost more
 * main-thread time per file than the system calls themselves (profiled).
 * The calls run on the thread pool, beside the main thread's work.
 */
import { writeFile } from 'node:fs';

/** Create `path` (it must not exist) holding `data`, with `mode`. */
export function writeNew(path: string, data: Uint8Array, mode = 0o644): Promise<void> {
  return new Promise((resolve, reject) => writeFile(path, data, { flag: 'wx', mode }, (err) => (err ? reject(err) : resolve())));
}
