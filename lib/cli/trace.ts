/**
 * An opt-in timing trace for finding where a pipeline's time goes:
 * CCKIT_TRACE=1 makes every command print `cc-NAME: trace: <phase> <ms>` on
 * stderr at the points it names. <ms> counts from the process start, or from
 * CCKIT_TRACE_T0 (Unix epoch milliseconds) when set, so that the stages of a
 * pipeline (which inherit the environment) share one clock. The first line
 * of each process is `start`: when node began, before any of our code ran.
 * Off (the default) it costs one environment read per process.
 */
import { basename } from 'node:path';

const on = process.env.CCKIT_TRACE === '1';
let started = false;

function origin(): number {
  const t0 = Number(process.env.CCKIT_TRACE_T0);
  return Number.isFinite(t0) && t0 > 0 ? t0 : performance.timeOrigin;
}

/** Print one trace line for `phase` (nothing unless CCKIT_TRACE=1). */
export function trace(phase: string): void {
  if (!on) return;
  const name = basename(process.argv[1] ?? 'node').replace(/\.c?js$/, '');
  const t0 = origin();
  if (!started) {
    started = true;
    process.stderr.write(`${name}: trace: start ${(performance.timeOrigin - t0).toFixed(0)}\n`);
  }
  process.stderr.write(`${name}: trace: ${phase} ${(performance.timeOrigin + performance.now() - t0).toFixed(0)}\n`);
}
