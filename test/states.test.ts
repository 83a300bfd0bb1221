import { describe, expect, it } from 'vitest';
import { NAME_STYLES, parseState, parseStateOrGroup, stateName, TCP_STATES } from '../src/states/states.ts';

describe('states', () => {
  it('has the eleven RFC 9293 states', () => {
    expect(TCP_STATES).toHaveLength(11);
  });

  it('reads back every display style it prints', () => {
    for (const style of NAME_STYLES) {
      for (const state of TCP_STATES) expect(parseState(stateName(state, style))).toBe(state);
    }
  });

  it.each([
    ['ESTAB', 'ESTABLISHED'],
    ['SYN_RCVD', 'SYN_RECEIVED'],
    ['syn-recv', 'SYN_RECEIVED'],
    ['FIN_WAIT1', 'FIN_WAIT_1'],
    ['LISTENING', 'LISTEN'],
    ['ABHÖREN', 'LISTEN'],
    ['ABH�REN', 'LISTEN'],
    ['ABH™REN', 'LISTEN'],
    ['HERGESTELLT', 'ESTABLISHED'],
    ['WARTEND', 'TIME_WAIT'],
    ['SCHLIESSEN_WARTEN', 'CLOSE_WAIT'],
    ['FIN_WARTEN_2', 'FIN_WAIT_2'],
    ['VERBUNDEN', 'ESTABLISHED'],
    ['POSLEDNÍ ACK', 'LAST_ACK'],
    ['ÚLTIMO_ACK', 'LAST_ACK'],
    ['TimeWait', 'TIME_WAIT'],
    ['CLOSE', 'CLOSED'],
  ])('reads %s as %s', (word, state) => {
    expect(parseState(word)).toBe(state);
  });

  it('rejects words that are not states', () => {
    expect(parseState('UNKNOWN')).toBeUndefined();
    expect(parseState('')).toBeUndefined();
    expect(parseState('BOUND')).toBeUndefined();
  });

  it('expands ss state groups', () => {
    expect(parseStateOrGroup('bucket')).toEqual(['SYN_RECEIVED', 'TIME_WAIT']);
    expect(parseStateOrGroup('connected')).not.toContain('LISTEN');
    expect(parseStateOrGroup('synchronized')).not.toContain('SYN_SENT');
    expect(parseStateOrGroup('time-wait')).toEqual(['TIME_WAIT']);
  });
});
