// Turns the QR code a command printed to a terminal (npm qrcode's "small"
// renderer: UTF-8 half blocks with ANSI colours) back into an image, so
// zbarimg decodes exactly what a person would have scanned. Reads the
// command's output on stdin, writes a PBM (P1) on stdout, 8 px per module.
import { readFileSync } from 'node:fs';

const text = readFileSync(0, 'utf8');
// Which halves of a character cell are drawn in the foreground colour.
const halves = { ' ': [0, 0], '▀': [1, 0], '▄': [0, 1], '█': [1, 1] };
const rows = [];
for (const line of text.split('\n')) {
  let fgBlack = false;
  const top = [];
  const bottom = [];
  let sawBlock = false;
  for (let i = 0; i < line.length; ) {
    const esc = /^\x1b\[([0-9;]*)m/.exec(line.slice(i));
    if (esc) {
      for (const code of esc[1].split(';')) {
        if (code === '30') fgBlack = true;
        else if (code === '37' || code === '0' || code === '') fgBlack = false;
      }
      i += esc[0].length;
      continue;
    }
    const ch = line[i++];
    if (!(ch in halves)) {
      top.length = 0; // not a QR line
      break;
    }
    if (ch !== ' ') sawBlock = true;
    // A half drawn in black is a dark module; anything else is light.
    top.push(halves[ch][0] && fgBlack ? 1 : 0);
    bottom.push(halves[ch][1] && fgBlack ? 1 : 0);
  }
  if (sawBlock && top.length > 0) rows.push(top, bottom);
}
if (rows.length === 0) {
  console.error('qr-text-to-pbm: no QR code in the input');
  process.exit(1);
}
const width = Math.max(...rows.map((r) => r.length));
const scale = 8;
const quiet = 4;
const out = ['P1', `${(width + 2 * quiet) * scale} ${(rows.length + 2 * quiet) * scale}`];
for (let y = -quiet; y < rows.length + quiet; y++) {
  const row = [];
  for (let x = -quiet; x < width + quiet; x++) {
    const dark = rows[y]?.[x] ?? 0;
    for (let i = 0; i < scale; i++) row.push(dark);
  }
  const line = row.join(' ');
  for (let i = 0; i < scale; i++) out.push(line);
}
process.stdout.write(out.join('\n') + '\n');
