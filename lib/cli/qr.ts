/** QR codes for a terminal: what handoff and pairing show a phone or a second screen. */

/** A QR code of `text` for a terminal (npm qrcode, UTF-8 half blocks). */
export async function renderQr(text: string): Promise<string> {
  const QRCode = (await import('qrcode')).default;
  return QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
}
