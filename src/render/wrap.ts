/** Display width: CJK and full-width characters take two terminal columns. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text.replace(/\x1b\[[0-9;]*m/g, '')) {
    const cp = ch.codePointAt(0) ?? 0;
    width += isWide(cp) ? 2 : 1;
  }
  return width;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6)
  );
}

/** A line may not end with these (kinsoku): opening brackets and quotes. */
const OPENING = /[（《「『“‘〔【〈([{]$/;
/** A line may not start with these (kinsoku): closing brackets and quotes, and punctuation. */
const CLOSING = /^[，。、；：！？）》」』”’〕】〉・…]/;

/**
 * Wraps text to `width` columns. Latin text breaks at spaces; CJK text may break between any two characters, but
 * never after an opening bracket or quote, nor before closing punctuation (the usual kinsoku rule): such a
 * character moves to the next line together with its neighbour.
 */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line: string[] = [];
  const widthOf = (tokens: readonly string[]) => displayWidth(tokens.join(''));
  // Tokens: a run of non-space Latin characters, a single wide character, or a space.
  const tokens = text.match(/[^\s\u2e80-\ua4cf\uff00-\uff60]+|[\u2e80-\ua4cf\uff00-\uff60]|\s+/g) ?? [];
  const flush = (keep: string[]) => {
    const done = line.join('').trimEnd();
    if (done) lines.push(done);
    line = keep;
  };
  for (const token of splitLong(tokens, width)) {
    if (/^\s+$/.test(token)) {
      if (line.length) line.push(' ');
      continue;
    }
    if (widthOf(line) + displayWidth(token) <= width || !line.join('').trim()) {
      line.push(token);
      continue;
    }
    // Break here. Carry over the tail that may not end a line, or whose follower may not start one.
    let cut = line.length;
    if (CLOSING.test(token)) {
      // Carry the character before it, and before any closing run ("算）。" stays together).
      cut -= 1;
      while (cut > 0 && CLOSING.test(line[cut] ?? '')) cut -= 1;
    }
    while (cut > 0 && /^\s+$/.test(line[cut - 1] ?? '')) cut -= 1;
    while (cut > 0 && OPENING.test(line[cut - 1] ?? '')) cut -= 1;
    const head = line.slice(0, cut);
    if (!head.join('').trim()) {
      // Nothing would be left on the line: keep it whole (overflowing) rather than loop.
      line.push(token);
      continue;
    }
    const carried = line.slice(cut);
    while (carried.length && /^\s+$/.test(carried[0] ?? '')) carried.shift();
    line = head;
    flush([...carried, token]);
  }
  flush([]);
  return lines.length ? lines : [''];
}

/** Cuts a Latin run wider than a line (a long path, a long name) into pieces a line long; colour codes stay whole. */
function splitLong(tokens: readonly string[], width: number): string[] {
  const out: string[] = [];
  for (const token of tokens) {
    if (width < 1 || displayWidth(token) <= width) {
      out.push(token);
      continue;
    }
    let piece = '';
    let w = 0;
    for (const part of token.match(/\x1b\[[0-9;]*m|[\s\S]/gu) ?? []) {
      const pw = displayWidth(part);
      if (w + pw > width && w > 0) {
        out.push(piece);
        piece = '';
        w = 0;
      }
      piece += part;
      w += pw;
    }
    if (piece) out.push(piece);
  }
  return out;
}

/** Wraps and indents every line after the first by `indent` spaces (for "label: text" blocks). */
export function wrapIndented(text: string, width: number, indent: number): string {
  return wrap(text, Math.max(20, width - indent))
    .map((l, i) => (i === 0 ? l : ' '.repeat(indent) + l))
    .join('\n');
}
