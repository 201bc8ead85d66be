import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, logPath } from '../../lib/relay/event-log.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'relay-log-'));
const seqs = (lines: string[]) => lines.map((l) => JSON.parse(l).seq);

test('seq starts at 1 without gaps; the file is 0600; subscribers see events after they are written', () => {
  const d = dir();
  const log = new EventLog(d, 's1');
  const seen: number[] = [];
  log.subscribe((line, seq) => {
    // Written before anyone sees it: the line is already in the file.
    assert.ok(readFileSync(log.path, 'utf8').includes(line));
    seen.push(seq);
  });
  for (let i = 0; i < 5; i++) log.append('input', { text: `m${i}` });
  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  assert.equal(statSync(log.path).mode & 0o777, 0o600);
  assert.deepEqual(seqs(log.readAfter(2)), [3, 4, 5]);
  log.close();
});

test('readAfter serves old events from the file (past the ring) exactly, across index steps', () => {
  const d = dir();
  const log = new EventLog(d, 's2');
  for (let i = 0; i < 5000; i++) log.append('claude', { msg: { i, pad: 'x'.repeat(i % 97) } });
  for (const since of [0, 1, 255, 256, 257, 1000, 2951, 4999]) {
    const got = log.readAfter(since, 300);
    assert.equal(got[0] && JSON.parse(got[0]).seq, since + 1, `since ${since}`);
    assert.deepEqual(seqs(got), Array.from({ length: Math.min(300, 5000 - since) }, (_, k) => since + 1 + k));
  }
  assert.deepEqual(log.readAfter(5000), []);
  log.close();
});

test('a restart recovers the last seq; a torn last line (crash mid-write) is cut off', () => {
  const d = dir();
  const log = new EventLog(d, 's3');
  for (let i = 0; i < 300; i++) log.append('input', { i });
  log.close();
  appendFileSync(logPath(d, 's3'), '{"seq":301,"t":1,"kind":"inp');
  const replayed: number[] = [];
  const again = new EventLog(d, 's3', (ev) => replayed.push(ev.seq));
  assert.equal(again.lastSeq, 300);
  assert.equal(replayed.length, 300);
  assert.equal(again.append('input', {}).seq, 301);
  assert.deepEqual(seqs(again.readAfter(298)), [299, 300, 301]);
  assert.ok(readFileSync(logPath(d, 's3'), 'utf8').endsWith('\n'));
  again.close();
});

test('a log edited by something else (a gap, garbage) is refused with exit 4, not served', () => {
  const d = dir();
  writeFileSync(logPath(d, 'g'), '{"seq":1,"t":1,"kind":"x"}\n{"seq":3,"t":1,"kind":"x"}\n');
  assert.throws(() => new EventLog(d, 'g'), (e: Error & { exitCode?: number }) => e.exitCode === 4 && /expected seq 2/.test(e.message));
  writeFileSync(logPath(d, 'h'), '{"seq":1,"t":1,"kind":"x"}\nnot json\n');
  assert.throws(() => new EventLog(d, 'h'), (e: Error & { exitCode?: number }) => e.exitCode === 4);
  truncateSync(logPath(d, 'h'), 0);
  assert.equal(new EventLog(d, 'h').lastSeq, 0);
});
