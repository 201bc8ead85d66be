// Session semantics with a stand-in claude (test/helpers/fake-claude-stream.mjs);
// the same flows run against the real claude CLI in test/cli/cc-relay-*.bats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SessionManager, insideRoot } from '../../lib/relay/manager.ts';
import { Connection, type FrameSink } from '../../lib/relay/protocol.ts';
import type { Session } from '../../lib/relay/session.ts';

const FAKE = fileURLToPath(new URL('../helpers/fake-claude-stream.mjs', import.meta.url));
const work = () => mkdtempSync(join(tmpdir(), 'relay-session-'));
const manager = (dir: string, extra: Partial<ConstructorParameters<typeof SessionManager>[0]> = {}) =>
  new SessionManager({ dir: join(dir, 'state'), bin: FAKE, allowBypass: false, leaseIdleMs: 60_000, approvalTimeoutMs: 0, approvalDefault: 'deny', ...extra });

function until(s: Session, pred: (ev: Record<string, unknown>) => boolean, ms = 10_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const check = () => s.log.readAfter(0, 100000).map((l) => JSON.parse(l)).find(pred);
    const hit = check();
    if (hit) return resolve(hit);
    const timer = setTimeout(() => {
      off();
      reject(new Error('timed out'));
    }, ms);
    const off = s.log.subscribe(() => {
      const h = check();
      if (h) {
        clearTimeout(timer);
        off();
        resolve(h);
      }
    });
  });
}

test('one writer: another sender is busy until it forces the lease; an idle lease lapses', async () => {
  const d = work();
  const m = manager(d, { leaseIdleMs: 300 });
  const s = m.spawn('a', { cwd: d });
  await s.send('alice', 'one');
  await assert.rejects(s.send('bob', 'two'), /busy: held by alice/);
  s.leaseOp('bob', 'take', true);
  await assert.rejects(s.send('alice', 'three'), /busy: held by bob/);
  await new Promise((r) => setTimeout(r, 400)); // bob's lease lapses
  await s.send('alice', 'four');
  const leases = s.log.readAfter(0).map((l) => JSON.parse(l)).filter((e) => e.kind === 'lease');
  assert.deepEqual(leases.map((e) => [e.who, e.taken_from ?? null]), [['alice', null], ['bob', 'alice'], ['alice', null]]);
  await m.shutdown(1000);
});

test('first decision wins; the loser learns who decided; the deadline applies the default', async () => {
  const d = work();
  const m = manager(d, { approvalTimeoutMs: 200, approvalDefault: 'deny' });
  const s = m.spawn('a', { cwd: d });
  await s.send('alice', 'ask Bash');
  const p = await until(s, (e) => e.kind === 'permission');
  assert.equal(p.default, 'deny');
  assert.ok(typeof p.deadline === 'number');
  await s.decide(String(p.request_id), 'allow', 'alice');
  await assert.rejects(s.decide(String(p.request_id), 'deny', 'bob'), /already decided by alice/);
  await until(s, (e) => e.kind === 'claude' && (e.msg as { result?: string }).result?.includes('"behavior":"allow"') === true);
  // A second request nobody answers: the deadline denies it, by 'deadline'.
  await s.send('alice', 'ask Write');
  const late = await until(s, (e) => e.kind === 'decision' && e.who === 'deadline');
  assert.equal(late.behavior, 'deny');
  await m.shutdown(1000);
});

test('a send with a known localId is not applied twice, across a restart', async () => {
  const d = work();
  let m = manager(d);
  const s = m.spawn('a', { cwd: d });
  const first = await s.send('alice', 'hello', 'id-1');
  const again = await s.send('alice', 'hello', 'id-1');
  assert.deepEqual(again, { seq: first.seq, duplicate: true });
  await m.shutdown(1000);
  m = manager(d);
  const reloaded = m.get(s.meta.id);
  assert.equal(reloaded.state, 'exited');
  assert.deepEqual(await reloaded.send('alice', 'hello', 'id-1'), { seq: first.seq, duplicate: true });
  await m.shutdown(1000);
});

test('the protocol: hello, caps gate ops, unknown ops and versions are errors, tails end', async () => {
  const d = work();
  const m = manager(d);
  const s = m.spawn('a', { cwd: d });
  const frames: Record<string, unknown>[] = [];
  const sink: FrameSink = { write: (f) => (frames.push(JSON.parse(f)), true), onDrain: () => undefined, close: () => undefined };
  const conn = new Connection(m, sink, 'viewer', ['view'], 'pk:test');
  assert.deepEqual(frames[0], { v: 1, server: 'pk:test', who: 'viewer', caps: ['view'] });
  const ask = async (req: Record<string, unknown>) => {
    const before = frames.length;
    conn.receive(JSON.stringify(req));
    for (let i = 0; i < 100 && !frames.slice(before).some((f) => f.id === req.id && ('ok' in f || 'end' in f)); i++) await new Promise((r) => setTimeout(r, 10));
    return frames.slice(before);
  };
  assert.equal((await ask({ id: 1, op: 'send', session: s.meta.id, text: 'x' }))[0].ok, false);
  assert.match(JSON.stringify(await ask({ id: 2, op: 'launch' })), /unknown_op/);
  assert.match(JSON.stringify(await ask({ id: 3, v: 2, op: 'list' })), /unsupported_version/);
  conn.receive('not json');
  assert.match(JSON.stringify(frames.at(-1)), /bad_request/);
  const tail = await ask({ id: 4, op: 'tail', session: s.meta.id, since: 0 });
  assert.equal(tail.at(-1)!.end, true);
  assert.deepEqual(tail.filter((f) => f.ev).map((f) => (f.ev as { seq: number }).seq), Array.from({ length: s.log.lastSeq }, (_, i) => i + 1));
  conn.detach();
  await m.shutdown(1000);
});

test('--root-dir: inside by realpath with a trailing separator', () => {
  const d = work();
  mkdirSync(join(d, 'root/in'), { recursive: true });
  mkdirSync(join(d, 'root-secret'));
  symlinkSync(join(d, 'root-secret'), join(d, 'root/out'));
  assert.equal(insideRoot(join(d, 'root'), join(d, 'root/in')), true);
  assert.equal(insideRoot(join(d, 'root'), join(d, 'root')), true);
  assert.equal(insideRoot(join(d, 'root'), join(d, 'root-secret')), false);
  assert.equal(insideRoot(join(d, 'root'), join(d, 'root/out')), false);
  assert.equal(insideRoot(join(d, 'root'), join(d, 'nope')), false);
});

test('a session that never had a message starts afresh after a restart (nothing to --resume yet)', async () => {
  const d = work();
  let m = manager(d);
  const s = m.spawn('a', { cwd: d });
  await m.shutdown(1000);
  m = manager(d);
  const again = m.get(s.meta.id);
  await again.send('alice', 'first words');
  const start = again.log.readAfter(0).map((l) => JSON.parse(l)).filter((e) => e.kind === 'state' && e.state === 'starting');
  assert.deepEqual(start.map((e) => e.resume), [false, false]);
  await until(again, (e) => e.kind === 'claude' && (e.msg as { type?: string }).type === 'result');
  await m.shutdown(1000);
});
