import { RFC_NAME } from '../../fsm/engine.ts';
import type { Segment, TcpState, TimerName } from '../../fsm/types.ts';

/** `SYN,ACK seq=5000 ack=1001` — flags, then the numbers a textbook figure shows. */
export function segmentLabel(seg: Segment): string {
  const f: string[] = [];
  if (seg.flags.syn) f.push('SYN');
  if (seg.flags.fin) f.push('FIN');
  if (seg.flags.rst) f.push('RST');
  if (seg.flags.ack) f.push('ACK');
  let text = `${f.join(',') || '(none)'} seq=${seg.seq}`;
  if (seg.flags.ack) text += ` ack=${seg.ack}`;
  if (seg.len > 0) text += ` len=${seg.len}`;
  return text;
}

export function stateLabel(state: TcpState): string {
  return RFC_NAME[state];
}

const TIMER_LABEL: Record<TimerName, string> = {
  RETRANSMISSION: 'RTO',
  CONN_ESTABLISH: 'conn-establish',
  FIN_WAIT_2: 'FIN-WAIT-2 timer',
  TIME_WAIT: '2MSL',
  USER_TIMEOUT: 'user timeout',
};

export function timerLabel(timer: TimerName): string {
  return TIMER_LABEL[timer];
}

/** 1500 → "1.5 s", 240000 → "4 min", 40 → "40 ms". */
export function durationLabel(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000 || ms % 60_000 !== 0) return `${Number((ms / 1000).toFixed(3))} s`;
  return `${ms / 60_000} min`;
}

/** Virtual time column: "0.010 s". */
export function clockLabel(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}
