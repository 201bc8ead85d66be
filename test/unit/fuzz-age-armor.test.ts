// Property tests for age's ASCII armor (https://age-encryption.org/v1,
// "ASCII armor"; Go age's armor reader is the reference), streamed as
// cc-open --raw reads it: any input, any read sizes.
// (a) bad input fails only with ERR_ARMOR (exit 4), the same way however
// it is split; (b) encode(decode(x)) is x byte for byte for canonical x.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ARMOR_FOOTER, ARMOR_HEADER, ArmorDecoder, ArmorEncoder, looksArmored } from '../../lib/age/armor.ts';
import { mutated, parsesOrRefuses, property, splitAt } from '../helpers/fuzz.ts';

const CODES = { ERR_ARMOR: 4 };

function encode(data: Uint8Array, cuts: number[]): Buffer {
  const e = new ArmorEncoder();
  return Buffer.concat([...splitAt(data, cuts).flatMap((p) => e.push(p)), ...e.finish()]);
}

function decode(text: Uint8Array, cuts: number[]): Buffer {
  const d = new ArmorDecoder();
  return Buffer.concat([...splitAt(text, cuts).flatMap((p) => d.push(p)), ...d.finish()]);
}

const data = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 400 }), weight: 6 },
  { arbitrary: fc.integer({ min: 0, max: 6 }).map((n) => new Uint8Array(48 * n)), weight: 2 },
  { arbitrary: fc.integer({ min: 48 * 1020, max: 48 * 1030 }).map((n) => new Uint8Array(n).fill(7)), weight: 1 },
);
const cuts = fc.array(fc.nat(), { maxLength: 5 });

/** Armor as a person or a mail program might leave it: CRLF, blank lines around, trailing spaces. */
const variant = fc.tuple(data, fc.boolean(), fc.nat(3), fc.constantFrom('', '\n', '\r\n', '  \n', '\t')).map(([d, crlf, lead, trail]) => {
  let t = encode(d, []).toString('latin1');
  if (crlf) t = t.replace(/\n/g, '\r\n');
  return new Uint8Array(Buffer.from('\n'.repeat(lead) + t + trail, 'latin1'));
});

/** Text near armor: lines of base64, header and footer pieces, odd whitespace. */
const armorish = fc
  .array(
    fc.oneof(
      fc.constantFrom(ARMOR_HEADER, ARMOR_FOOTER, '\n', '\r\n', '\r', ' ', '=', '==', '-----'),
      fc.base64String({ maxLength: 70 }),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => new Uint8Array(Buffer.from(parts.join(''), 'latin1')));

property(
  'armor: encode(decode(x)) reproduces canonical armor byte for byte; encoding is independent of read sizes',
  fc.property(data, cuts, cuts, (d, a, b) => {
    const armored = encode(d, a);
    assert.ok(armored.equals(encode(d, [])));
    const back = decode(armored, b);
    assert.ok(back.equals(Buffer.from(d)));
    assert.ok(encode(back, []).equals(armored));
  }),
);

property(
  'armor: CRLF, leading blank lines and a little trailing whitespace decode to the same bytes',
  fc.property(variant, cuts, (text, c) => {
    const out = parsesOrRefuses(() => decode(text, c), CODES);
    assert.ok(out.ok, 'tolerated variants must decode');
    assert.ok(encode(out.value, []).equals(encode(decode(text, []), [])));
  }),
);

property(
  'armor: any text (random, armor-like, mutated armor) decodes or fails as ERR_ARMOR, the same for any read sizes',
  fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), armorish, data.chain((d) => mutated(encode(d, [])))), cuts, (text, c) => {
    const whole = parsesOrRefuses(() => decode(text, []), CODES);
    const split = parsesOrRefuses(() => decode(text, c), CODES);
    assert.equal(whole.ok, split.ok, 'the verdict must not depend on how the input was read');
    if (whole.ok && split.ok) {
      assert.ok(whole.value.equals(split.value));
      // What decodes came from canonical base64: re-encoding yields armor that decodes to it again.
      assert.ok(decode(encode(whole.value, []), []).equals(whole.value));
    }
    looksArmored(Buffer.from(text));
  }),
);
