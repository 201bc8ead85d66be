// Shared plumbing for the property tests (test/unit/fuzz-*.test.ts, issue 7
// item 16): every property runs at least FUZZ_RUNS cases from a fixed seed,
// reports its case count as a test diagnostic, and on failure prints the
// seed, the shrunk counterexample and how to replay it.
//
//   CCKIT_FUZZ_SEED=N   another seed (default a fixed one, so `make test` is repeatable)
//   CCKIT_FUZZ_RUNS=N   more cases (never fewer than 10,000)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CliError } from '../../lib/cli/errors.ts';

export const FUZZ_RUNS = Math.max(10_000, Number(process.env.CCKIT_FUZZ_RUNS) || 0);
const envSeed = Number(process.env.CCKIT_FUZZ_SEED);
export const FUZZ_SEED = process.env.CCKIT_FUZZ_SEED && Number.isSafeInteger(envSeed) ? envSeed : 0x7cc17;

/** One property as one node:test test, named with its case count. */
export function property(name: string, prop: fc.IRawProperty<any, boolean>, runs = FUZZ_RUNS): void {
  assert.ok(runs >= 10_000, 'every property runs at least 10,000 cases');
  test(`${name} [${runs} cases]`, async (t) => {
    const details = await fc.check(prop, { numRuns: runs, seed: FUZZ_SEED });
    if (details.failed) {
      const report = fc.defaultReportMessage(details) ?? 'property failed';
      throw new Error(`${report}\nreplay: CCKIT_FUZZ_SEED=${FUZZ_SEED} (path ${details.counterexamplePath})`);
    }
    t.diagnostic(`${details.numRuns} cases passed, seed ${FUZZ_SEED}`);
  });
}

/** Which codes a parser may fail with, and the exit status each one carries. */
export type ErrorCodes = Record<string, number>;

/**
 * The contract for bad input (DESIGN.md §2): a CliError with one of the
 * parser's stable codes and that code's exit status. Anything else (a
 * TypeError, a RangeError, a stack) fails the property. (Control characters
 * from hostile input are made visible where the text is printed, issue 7
 * item 2, so messages are not checked for them here.)
 */
export function assertOurError(err: unknown, codes: ErrorCodes): asserts err is CliError {
  if (!(err instanceof CliError)) {
    throw new Error(`expected a CliError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, { cause: err });
  }
  assert.ok(err.code in codes, `unexpected error code ${err.code} (${err.message})`);
  assert.equal(err.exitCode, codes[err.code], `${err.code} must exit ${codes[err.code]}`);
}

/** Run `fn`; a result is returned, a thrown error must satisfy assertOurError. */
export function parsesOrRefuses<T>(fn: () => T, codes: ErrorCodes): { ok: true; value: T } | { ok: false; error: CliError } {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    assertOurError(err, codes);
    return { ok: false, error: err };
  }
}

/** The async form of parsesOrRefuses. */
export async function parsesOrRefusesAsync<T>(fn: () => Promise<T>, codes: ErrorCodes): Promise<{ ok: true; value: T } | { ok: false; error: CliError }> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    assertOurError(err, codes);
    return { ok: false, error: err };
  }
}

/**
 * Bytes near `valid`: flipped bits, a truncation, an insertion or a
 * deletion, stacked. Hostile input is mostly almost-right input, which
 * random bytes rarely are.
 */
export function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.constantFrom(0x00, 0x0a, 0x0d, 0x20, 0x2d, 0x3d, 0x3e, 0x7f, 0xff) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let b = Buffer.from(valid);
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % (b.length + 1);
      if (e.kind === 'flip' && b.length > 0) {
        const i = e.at % b.length;
        b = Buffer.from(b);
        b[i] ^= 1 << e.bit;
      } else if (e.kind === 'truncate') b = b.subarray(0, at);
      else if (e.kind === 'insert') b = Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
      else if (e.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.n)]);
      else if (e.kind === 'set' && b.length > 0) {
        b = Buffer.from(b);
        b[e.at % b.length] = e.byte;
      }
    }
    return new Uint8Array(b);
  });
}

/** Cut `data` into pieces at the given (sorted, deduplicated) offsets: a stream's arbitrary reads. */
export function splitAt(data: Uint8Array, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (data.length === 0 ? 0 : c % (data.length + 1))))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(Buffer.from(data.subarray(prev, p)));
    prev = p;
  }
  out.push(Buffer.from(data.subarray(prev)));
  return out;
}

/** Strings as they reach us from outside: any code points (lone surrogates too), control characters, escapes. */
export const hostileString = (maxLength = 40) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: fc.constantFrom('\x1b', '[', ']', '\x07', '\r', '\n', '\0', '\\', '"', '\u2028', '\ud800', 'a', ' '), maxLength }),
    fc.string({ maxLength }),
  );
