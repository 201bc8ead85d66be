// Untrusted text (DESIGN.md §2): control characters, escape sequences and
// Unicode reordering tricks from a record or a peer are shown, never obeyed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonForTerminal, showUntrusted } from '../../lib/cli/untrusted-text.ts';

test('ESC, CR, LF, BEL and the rest of C0 are shown in caret notation', () => {
  const hostile = 'laptop in /x? [y/N] y\r\n\u001b[31mred\u001b]0;title\u0007';
  const shown = showUntrusted(hostile);
  assert.equal(shown, 'laptop in /x? [y/N] y^M^J^[[31mred^[]0;title^G');
  assert.equal(showUntrusted('\u0000\t\u001f'), '^@^I^_');
  assert.doesNotMatch(shown, /[\u0000-\u001f\u007f]/);
});

test('DEL and C1 controls (a one-byte CSI U+009B) are made visible', () => {
  assert.equal(showUntrusted('a\u007fb'), 'a^?b');
  assert.equal(showUntrusted('\u009b31m\u0085'), '<U+009B>31m<U+0085>');
});

test('bidi overrides, isolates, line separators, zero-width characters and the BOM are made visible', () => {
  assert.equal(showUntrusted('abc\u202edcba'), 'abc<U+202E>dcba');
  assert.equal(showUntrusted('\u2066x\u2069'), '<U+2066>x<U+2069>');
  assert.equal(showUntrusted('a\u2028b\u2029c'), 'a<U+2028>b<U+2029>c');
  assert.equal(showUntrusted('\u200b\u200d\ufeff\u061c'), '<U+200B><U+200D><U+FEFF><U+061C>');
});

test('ordinary text, accents, CJK and emoji pass unchanged; lone surrogates do not', () => {
  for (const s of ['laptop.local', '/home/zoë/projet', '東京のマシン', 'ship it 🚀', '']) assert.equal(showUntrusted(s), s);
  assert.equal(showUntrusted('a\ud800b'), 'a<U+D800>b');
  assert.equal(showUntrusted('a\udc00'), 'a<U+DC00>');
});

test('nothing a terminal acts on survives, for every code unit below U+0100 and the known tricks', () => {
  let all = '';
  for (let c = 0; c < 0x100; c++) all += String.fromCharCode(c);
  assert.doesNotMatch(showUntrusted(all), /[\u0000-\u001f\u007f-\u009f]/);
});

test('jsonForTerminal escapes C1 and bidi characters and keeps the same JSON value', () => {
  const value = { h: 'x\u009b\u202e\u2028y\ud800', s: 'plain é' };
  const text = jsonForTerminal(JSON.stringify(value));
  assert.doesNotMatch(text, /[\u007f-\u009f\u202e\u2028]/);
  assert.deepEqual(JSON.parse(text), value);
  assert.match(text, /plain é/);
});
