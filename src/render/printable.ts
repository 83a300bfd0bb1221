/**
 * Text as it may be shown on a terminal: C0 controls (ESC, BEL, newline, tab ...), DEL, C1 controls and the bidi
 * overrides become visible escapes (`\x1b`, `\u202e`). Names come from processes (which may call themselves
 * anything) and from pasted listings; printed raw, `\e[2J\e]0;PWN\a` clears the screen and sets the title of the
 * operator's terminal. Machine formats (JSON, CSV) keep the exact bytes; every text view goes through this.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  UNSAFE.lastIndex = 0;
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE, (ch) => {
    const code = ch.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
