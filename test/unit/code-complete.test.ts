// Tab completion of a pairing code typed at the join prompt (lib/pair/code.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completeCodeLine } from '../../lib/pair/code.ts';

test('a unique prefix completes to its word and the dash before the next one', () => {
  assert.deepEqual(completeCodeLine('4821-mang'), { word: 'mang', candidates: ['mango-'] });
  assert.deepEqual(completeCodeLine('4821 acid mang'), { word: 'mang', candidates: ['mango-'] });
  assert.deepEqual(completeCodeLine('4821-acid-mango-lam'), { word: 'lam', candidates: ['lamp'] }); // the last word: no dash
  assert.deepEqual(completeCodeLine('mang', true), { word: 'mang', candidates: ['mango-'] }); // cc-pair join 4821: words only
  assert.deepEqual(completeCodeLine('acid-mango-lam', true), { word: 'lam', candidates: ['lamp'] });
});

test('an ambiguous prefix offers every word it could be', () => {
  const { word, candidates } = completeCodeLine('4821-ab');
  assert.equal(word, 'ab');
  assert.ok(candidates.length > 3 && candidates.every((w) => w.startsWith('ab') && !w.endsWith('-')));
  assert.ok(completeCodeLine('4821-acid-man').candidates.includes('mango'));
});

test('nothing for the nameplate, an empty word, a word before the nameplate, a link or a non-word', () => {
  for (const line of ['', '48', '4821', '4821-', 'acid', 'cckit://pair#v1.ab', '4821-xq']) {
    assert.deepEqual(completeCodeLine(line).candidates, [], line);
  }
});
