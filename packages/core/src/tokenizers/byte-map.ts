/** GPT-2's byte ↔ printable-character map, shared by the byte-level tokenizer and the tokenizer.json checks. */

/** GPT-2's reversible byte → printable-character map used by HF ByteLevel (bytes that print map to themselves). */
export function byteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const out: string[] = new Array(256);
  for (const b of printable) out[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (out[b] === undefined) out[b] = String.fromCodePoint(256 + n++);
  return out;
}
