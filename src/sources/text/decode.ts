import { isAscii, isUtf8 as nodeIsUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { ParseError } from '../../errors.ts';

/** Encodings `--encoding` accepts besides anything iconv-lite knows. */
export const COMMON_ENCODINGS = [
  'utf8',
  'utf16le',
  'utf16be',
  'cp850',
  'cp437',
  'cp1252',
  'gbk',
  'latin1',
] as const;

export interface Decoded {
  text: string;
  /** The encoding used: declared by a BOM, given, or guessed. */
  encoding: string;
}

/**
 * Turns input bytes into text. A BOM decides (UTF-8, UTF-16 LE/BE); then valid UTF-8 is UTF-8; otherwise it is a
 * Windows console code page: GBK when the bytes read as Chinese, CP850 when high bytes sit where cp850 puts
 * umlauts (`ABHÖREN` = `ABH\x99REN`), else CP1252. Throws a ParseError for binary input.
 */
export function decodeInput(bytes: Uint8Array, source: string, encoding?: string): Decoded {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (encoding !== undefined) {
    if (!iconv.encodingExists(encoding)) throw new ParseError(`unknown encoding '${encoding}'`, { source });
    return { text: iconv.decode(buf, encoding), encoding };
  }
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf)
    return { text: buf.toString('utf8', 3), encoding: 'utf8' };
  if (buf[0] === 0xff && buf[1] === 0xfe)
    return { text: iconv.decode(buf.subarray(2), 'utf16le'), encoding: 'utf16le' };
  if (buf[0] === 0xfe && buf[1] === 0xff)
    return { text: iconv.decode(buf.subarray(2), 'utf16be'), encoding: 'utf16be' };
  const bomless = utf16WithoutBom(buf);
  if (bomless) return { text: iconv.decode(buf, bomless), encoding: bomless };
  checkNotBinary(buf, source);
  // Pure ASCII (most listings) decodes fastest as latin1, to the same text.
  if (isAscii(buf)) return { text: buf.toString('latin1'), encoding: 'utf8' };
  if (isUtf8(buf)) return { text: buf.toString('utf8'), encoding: 'utf8' };
  const gbk = iconv.decode(buf, 'gbk');
  if (/[\u4e00-\u9fff]{2}/.test(gbk) && !gbk.includes('\ufffd')) return { text: gbk, encoding: 'gbk' };
  // cp850 puts Ä Ö Ü ä ö ü ß at 0x8e 0x99 0x9a 0x84 0x94 0x81 0xe1; cp1252 uses 0x80-0x9f for punctuation.
  let oem = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (
      b === 0x8e ||
      b === 0x99 ||
      b === 0x9a ||
      b === 0x84 ||
      b === 0x94 ||
      b === 0x81 ||
      b === 0x82 ||
      b === 0x8a
    )
      oem++;
  }
  if (oem > 0) return { text: iconv.decode(buf, 'cp850'), encoding: 'cp850' };
  return { text: iconv.decode(buf, 'cp1252'), encoding: 'cp1252' };
}

function isUtf8(buf: Buffer): boolean {
  return nodeIsUtf8(buf);
}

/** PowerShell `>` without a BOM: ASCII text in UTF-16 has a NUL in every other byte. */
function utf16WithoutBom(buf: Buffer): 'utf16le' | 'utf16be' | undefined {
  const n = Math.min(buf.length, 4096) & ~1;
  if (n < 8) return undefined;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (buf[i] === 0) evenNul++;
    if (buf[i + 1] === 0) oddNul++;
  }
  const pairs = n / 2;
  if (oddNul > pairs * 0.9 && evenNul < pairs * 0.05) return 'utf16le';
  if (evenNul > pairs * 0.9 && oddNul < pairs * 0.05) return 'utf16be';
  return undefined;
}

/** How much of the input the binary check looks at. */
export const HEAD_BYTES = 65536;

/**
 * The binary check decodeInput makes, on the first bytes alone: a stream (stdin, a FIFO, /dev/zero) is refused as
 * soon as they are in, not after reading it to the size cap. Text with a BOM, UTF-16 without one, or a named
 * encoding passes.
 */
export function checkHead(head: Buffer, source: string, encoding?: string): void {
  if (encoding !== undefined) return;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return;
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return;
  if (utf16WithoutBom(head)) return;
  checkNotBinary(head, source);
}

/**
 * Text listings hold no NULs and few control bytes; a capture, archive or executable does. Random bytes have
 * ~10% control bytes, right at the line, so a NUL lowers it: a text file with a stray NUL still has almost none.
 */
function checkNotBinary(buf: Buffer, source: string): void {
  const n = Math.min(buf.length, HEAD_BYTES);
  let control = 0;
  let firstNul = -1;
  for (let i = 0; i < n; i++) {
    const b = buf[i]!;
    if (b === 0 && firstNul < 0) firstNul = i;
    if (b < 9 || (b > 13 && b < 32 && b !== 27)) control++;
  }
  if (n > 0 && control / n > (firstNul >= 0 ? 0.02 : 0.1))
    throw new ParseError(
      `binary data, not a netstat/ss/sockstat listing (${control} control bytes in the first ${n}${firstNul >= 0 ? `, NUL at byte ${firstNul}` : ''})`,
      { source },
    );
}
