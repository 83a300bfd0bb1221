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

/**
 * Wraps text to `width` columns. Latin text breaks at spaces; CJK text may break between any two characters
 * (but not before closing punctuation).
 */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  let lineWidth = 0;
  // Tokens: a run of non-space Latin characters, a single wide character, or a space.
  const tokens = text.match(/[^\s\u2e80-\ua4cf\uff00-\uff60]+|[\u2e80-\ua4cf\uff00-\uff60]|\s+/g) ?? [];
  for (const token of tokens) {
    if (/^\s+$/.test(token)) {
      if (line) {
        line += ' ';
        lineWidth += 1;
      }
      continue;
    }
    const w = displayWidth(token);
    const closing = /^[，。、；：！？）》」』]$/.test(token);
    if (lineWidth + w > width && line.trim() && !closing) {
      lines.push(line.trimEnd());
      line = '';
      lineWidth = 0;
    }
    line += token;
    lineWidth += w;
  }
  if (line.trim()) lines.push(line.trimEnd());
  return lines.length ? lines : [''];
}

/** Wraps and indents every line after the first by `indent` spaces (for "label: text" blocks). */
export function wrapIndented(text: string, width: number, indent: number): string {
  return wrap(text, Math.max(20, width - indent))
    .map((l, i) => (i === 0 ? l : ' '.repeat(indent) + l))
    .join('\n');
}
