import pc from 'picocolors';
import type { TcpState } from '../states/states.ts';

/** Colours only on a TTY and never with NO_COLOR (picocolors reads both); FORCE_COLOR forces them on. */
export type Colors = ReturnType<typeof pc.createColors>;

export function colorsFor(stream: NodeJS.WriteStream = process.stdout): Colors {
  const env = process.env;
  const enabled =
    env.NO_COLOR === undefined || env.NO_COLOR === ''
      ? env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0'
        ? true
        : Boolean(stream.isTTY) && env.TERM !== 'dumb'
      : false;
  return pc.createColors(enabled);
}

/** One colour per state family: healthy (green), opening (cyan), closing normally (dim), closing stuck (yellow/red). */
export function stateColor(c: Colors, state: TcpState): (text: string) => string {
  switch (state) {
    case 'ESTABLISHED':
      return c.green;
    case 'LISTEN':
      return c.blue;
    case 'SYN_SENT':
    case 'SYN_RECEIVED':
      return c.cyan;
    case 'TIME_WAIT':
    case 'CLOSED':
      return c.dim;
    case 'CLOSE_WAIT':
      return c.red;
    default:
      return c.yellow;
  }
}
