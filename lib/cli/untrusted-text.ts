/**
 * Text that came from outside (a record, a peer, a session file, a store,
 * Claude's output) must never drive the terminal it is printed on
 * (DESIGN.md §2, "untrusted text"): an escape sequence could recolour a
 * prompt, move the cursor over it, set the window title, or a carriage
 * return could overwrite "[y/N]" with a forged question. These helpers make
 * every such character visible instead, so what the person reads is what
 * the string holds.
 */

/**
 * Characters that reorder or hide text without being control characters:
 * bidi embeddings/overrides/isolates (the "Trojan Source" trick), the
 * Unicode line and paragraph separators, zero-width characters and the BOM.
 */
const INVISIBLE = /[\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

/** `\x1b` → `^[`, other C0 and DEL in caret notation; C1, bidi and friends as <U+XXXX>; lone surrogates likewise. */
export function showUntrusted(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20) out += '^' + String.fromCharCode(c + 0x40);
    else if (c === 0x7f) out += '^?';
    else if (c >= 0x80 && c <= 0x9f) out += uplus(c);
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += s[i] + s[i + 1];
        i++;
      } else out += uplus(c);
    } else if (c >= 0xdc00 && c <= 0xdfff) out += uplus(c);
    else if (INVISIBLE.test(s[i])) out += uplus(c);
    else out += s[i];
  }
  return out;
}

function uplus(c: number): string {
  return `<U+${c.toString(16).toUpperCase().padStart(4, '0')}>`;
}

/**
 * JSON text for a terminal: JSON.stringify already escapes C0 controls, but
 * leaves C1, bidi and separator characters raw. Escaping them as \uXXXX
 * keeps the JSON equal in value and harmless on screen.
 */
export function jsonForTerminal(json: string): string {
  return json.replace(/[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (ch) =>
    `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
