// Type declarations for untyped dependencies used outside lib/dht/: only the
// parts of each API that cckit calls.

declare module 'z32' {
  const z32: {
    encode(data: Uint8Array): string;
    decode(text: string): Uint8Array;
    ALPHABET: string;
  };
  export default z32;
}

declare module 'qrcode' {
  const QRCode: {
    toString(text: string, opts: { type: 'terminal' | 'utf8' | 'svg'; small?: boolean; errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H' }): Promise<string>;
    toBuffer(text: string, opts: { type: 'png'; errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H' }): Promise<Buffer>;
  };
  export default QRCode;
}
