// CPACE-RISTR255-SHA512 against every vector in the shared file
// (draft-irtf-cfrg-cpace-21 B.3 + the key-confirmation tags of DESIGN.md §7),
// including the two points that must abort; and a full run between two sides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  generatorString, calculateGenerator, scalarMult, scalarMultVfy, transcriptIr, transcriptOc,
  deriveIsk, sidOutput, confirmationTag, cpaceStart, cpaceFinish, tagsEqual, lvCat, prependLen, sampleScalar,
} from '../../lib/pair/cpace.ts';

const V = JSON.parse(readFileSync(new URL('../vectors/cpace-ristretto255.json', import.meta.url), 'utf8').toString()) as Record<string, any>;
const h = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('generator string, its hash and the generator g', () => {
  assert.equal(hex(generatorString(h(V.PRS), h(V.CI), h(V.sid))), V.generator_string);
  const g = calculateGenerator(h(V.PRS), h(V.CI), h(V.sid));
  assert.equal(hex(g.toBytes()), V.g);
});

test('Ya, Yb, K, transcripts, ISKs, sid outputs and tags', () => {
  const g = calculateGenerator(h(V.PRS), h(V.CI), h(V.sid));
  const Ya = scalarMult(h(V.ya), g);
  const Yb = scalarMult(h(V.yb), g);
  assert.equal(hex(Ya), V.Ya);
  assert.equal(hex(Yb), V.Yb);
  const Ka = scalarMultVfy(h(V.ya), Yb);
  assert.equal(hex(Ka), V.K);
  assert.equal(hex(scalarMultVfy(h(V.yb), Ya)), V.K);
  const tir = transcriptIr(Ya, h(V.ADa), Yb, h(V.ADb));
  assert.equal(hex(tir), V.transcript_ir);
  assert.equal(hex(deriveIsk(h(V.sid), Ka, tir)), V.ISK_IR);
  const toc = transcriptOc(Ya, h(V.ADa), Yb, h(V.ADb));
  assert.equal(hex(toc), V.transcript_oc);
  assert.equal(hex(transcriptOc(Yb, h(V.ADb), Ya, h(V.ADa))), V.transcript_oc, 'ordered concatenation is symmetric');
  assert.equal(hex(deriveIsk(h(V.sid), Ka, toc)), V.ISK_SY);
  assert.equal(hex(sidOutput(tir)), V.sid_output_ir);
  assert.equal(hex(sidOutput(toc)), V.sid_output_oc);
  assert.equal(hex(confirmationTag(h(V.sid), h(V.ISK_IR), Ya, h(V.ADa))), V.Ta);
  assert.equal(hex(confirmationTag(h(V.sid), h(V.ISK_IR), Yb, h(V.ADb))), V.Tb);
});

test('scalar_mult_vfy: the valid case, and both invalid points abort with exit 4', () => {
  const { valid, invalid_must_return_identity_and_abort: bad } = V.scalar_mult_vfy;
  assert.equal(hex(scalarMultVfy(h(valid.s), h(valid.X))), valid.result);
  assert.equal(bad.length, 2);
  for (const b of bad) {
    assert.throws(() => scalarMultVfy(h(valid.s), h(b.Y)), (e: { code?: string; exitCode?: number }) => e.code === 'ERR_CPACE_BAD_POINT' && e.exitCode === 4, b.why);
  }
});

test('a full run: same PRS agrees, a different PRS does not, tags tell them apart', () => {
  const ci = lvCat(new TextEncoder().encode('ci'));
  const sid = new Uint8Array(32).fill(9);
  const ADa = new TextEncoder().encode('cckit-pair/1;join');
  const ADb = new TextEncoder().encode('cckit-pair/1;invite');
  const pw = new TextEncoder().encode('4821-acid-mango-lamp');
  const a = cpaceStart(pw, ci, sid);
  const b = cpaceStart(pw, ci, sid);
  const Ya = a.Y;
  const Yb = b.Y;
  const ra = cpaceFinish(a, Yb, 'initiator', ADa, ADb, sid);
  const rb = cpaceFinish(b, Ya, 'responder', ADa, ADb, sid);
  assert.ok(tagsEqual(ra.isk, rb.isk) && tagsEqual(ra.Tb, rb.Tb) && tagsEqual(ra.Ta, rb.Ta));
  assert.equal(hex(ra.Ta), hex(confirmationTag(sid, ra.isk, Ya, ADa)), "cpaceFinish's tags are the draft's");
  assert.equal(hex(ra.Tb), hex(confirmationTag(sid, ra.isk, Yb, ADb)));
  const c = cpaceStart(new TextEncoder().encode('4821-acid-mango-lime'), ci, sid);
  const d = cpaceStart(pw, ci, sid);
  const rc = cpaceFinish(c, d.Y, 'initiator', ADa, ADb, sid);
  const rd = cpaceFinish(d, c.Y, 'responder', ADa, ADb, sid);
  assert.ok(!tagsEqual(rc.Tb, rd.Tb) && !tagsEqual(rc.isk, rd.isk));
  assert.equal(prependLen(new Uint8Array(200)).slice(0, 2).join(','), '200,1', 'LEB128 lengths');
});

test('sampleScalar: 32 bytes, little-endian, in [1, ℓ), fresh each time', () => {
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const y = sampleScalar();
    assert.equal(y.length, 32);
    const n = BigInt('0x' + Buffer.from(y).reverse().toString('hex'));
    assert.ok(n > 0n && n < L);
    seen.add(hex(y));
  }
  assert.equal(seen.size, 200);
});
