/**
 * The engine's answers to user calls it refuses, and the errors it signals when a connection ends under the user,
 * are typed (as smoltcp's ConnectError/SendError/RecvError are), with RFC 9293 §3.10's text kept in `message`.
 */
import { describe, expect, it } from 'vitest';
import { newTcb, PROFILES, step, type Tcb, type TcpEvent } from '../../src/fsm/index.ts';
import type { TcpState } from '../../src/states/states.ts';

const inState = (state: TcpState, extra: Partial<Tcb> = {}): Tcb => ({
  ...newTcb(PROFILES.rfc),
  state,
  ...extra,
});
const call = (user: Extract<TcpEvent, { kind: 'user' }>['user']): TcpEvent => ({ kind: 'user', user });

describe('typed user-call errors (RFC 9293 §3.10.1-§3.10.6)', () => {
  it.each([
    [
      'LISTEN',
      { call: 'OPEN', mode: 'passive' },
      'connection-already-exists',
      'error: connection already exists',
    ],
    [
      'ESTABLISHED',
      { call: 'OPEN', mode: 'active' },
      'connection-already-exists',
      'error: connection already exists',
    ],
    [
      'CLOSED',
      { call: 'OPEN', mode: 'active', remote: false },
      'remote-socket-unspecified',
      'error: remote socket unspecified',
    ],
    ['CLOSED', { call: 'SEND', bytes: 10 }, 'connection-does-not-exist', 'error: connection does not exist'],
    ['LISTEN', { call: 'SEND', bytes: 10 }, 'remote-socket-unspecified', 'error: remote socket unspecified'],
    ['FIN_WAIT_1', { call: 'SEND', bytes: 10 }, 'connection-closing', 'error: connection closing'],
    ['CLOSED', { call: 'RECEIVE' }, 'connection-does-not-exist', 'error: connection does not exist'],
    ['CLOSE_WAIT', { call: 'RECEIVE' }, 'connection-closing', 'error: connection closing'],
    ['CLOSED', { call: 'CLOSE' }, 'connection-does-not-exist', 'error: connection does not exist'],
    ['TIME_WAIT', { call: 'CLOSE' }, 'connection-closing', 'error: connection closing'],
    ['CLOSED', { call: 'ABORT' }, 'connection-does-not-exist', 'error: connection does not exist'],
    ['CLOSED', { call: 'STATUS' }, 'connection-does-not-exist', 'error: connection does not exist'],
  ] as const)('%s %j: %s', (state, user, error, message) => {
    const r = step(inState(state), call(user as never), 0);
    expect(r.callError).toEqual({ call: user.call, error });
    expect(r.message).toBe(message);
    expect(r.connectionError).toBeUndefined();
  });

  it('a call the state allows has no error', () => {
    const r = step(inState('CLOSED'), call({ call: 'OPEN', mode: 'passive' }), 0);
    expect(r.callError).toBeUndefined();
    expect(step(inState('ESTABLISHED'), call({ call: 'STATUS' }), 0).callError).toBeUndefined();
  });
});

describe('typed connection errors', () => {
  it('a user timeout aborts the connection', () => {
    const r = step(inState('ESTABLISHED'), { kind: 'timeout', timer: 'USER_TIMEOUT' }, 0);
    expect(r.connectionError).toBe('user-timeout');
    expect(r.message).toBe('error: connection aborted due to user timeout');
    expect(r.tcb.state).toBe('CLOSED');
  });

  it('an acceptable RST in SYN-SENT resets the connection', () => {
    const tcb = inState('SYN_SENT', { iss: 100, sndUna: 100, sndNxt: 101 });
    const r = step(
      tcb,
      {
        kind: 'segment',
        segment: { seq: 0, ack: 101, flags: { rst: true, ack: true }, len: 0, wnd: 0 },
      } as TcpEvent,
      0,
    );
    expect(r.connectionError).toBe('connection-reset');
    expect(r.tcb.state).toBe('CLOSED');
  });

  it('an unanswered connect times out', () => {
    const r = step(inState('SYN_SENT'), { kind: 'timeout', timer: 'CONN_ESTABLISH' }, 0);
    expect(r.connectionError).toBe('connection-timed-out');
    expect(r.message).toBe('error: connection timed out');
  });
});
