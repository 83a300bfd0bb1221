/**
 * The port filter as inet_diag bytecode (src/sources/netlink/bytecode.ts), run here by a copy of the kernel's
 * interpreter (inet_diag_bc_run and the jump checks of inet_diag_bc_audit, net/ipv4/inet_diag.c) on random sockets
 * and compared with the JavaScript filter: the kernel must keep every socket the filter keeps (a superset), and
 * exactly those when every condition is a port condition. Against the real kernel and `ss`: test/live/netlink.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFilter } from '../../src/analysis/filter.ts';
import { os } from '../../src/internal/platform.ts';
import type { Socket } from '../../src/model/snapshot.ts';
import { filterBytecode } from '../../src/sources/netlink/bytecode.ts';

const le = os.littleEndian;

/** The kernel's checks on each op: jumps a multiple of 4, forward, to an op boundary or the end (+4 rejects). */
function audit(bc: Uint8Array): void {
  const v = new DataView(bc.buffer, bc.byteOffset, bc.byteLength);
  const boundaries = new Set<number>();
  for (let at = 0; at < bc.length; ) {
    boundaries.add(at);
    const code = v.getUint8(at);
    const yes = v.getUint8(at + 1);
    const no = v.getUint16(at + 2, le);
    const min = code >= 2 && code <= 5 ? 8 : 4;
    const left = bc.length - at;
    if (yes < min || yes > left + 4 || yes % 4) throw new Error(`bad yes ${yes} at ${at}`);
    if (no < min || no > left + 4 || no % 4) throw new Error(`bad no ${no} at ${at}`);
    at += min;
  }
  for (let at = 0; at < bc.length; ) {
    const code = v.getUint8(at);
    const min = code >= 2 && code <= 5 ? 8 : 4;
    for (const jump of [v.getUint8(at + 1), v.getUint16(at + 2, le)]) {
      const to = at + jump;
      if (to < bc.length && !boundaries.has(to)) throw new Error(`jump into an op at ${at}`);
    }
    at += min;
  }
}

/** inet_diag_bc_run for the ops the compiler emits. */
function run(bc: Uint8Array, sport: number, dport: number): boolean {
  const v = new DataView(bc.buffer, bc.byteOffset, bc.byteLength);
  let len = bc.length;
  let at = 0;
  while (len > 0) {
    const code = v.getUint8(at);
    const arg = () => v.getUint16(at + 6, le);
    let yes = true;
    if (code === 1) yes = false;
    else if (code === 2) yes = sport >= arg();
    else if (code === 3) yes = sport <= arg();
    else if (code === 4) yes = dport >= arg();
    else if (code === 5) yes = dport <= arg();
    else if (code !== 0) throw new Error(`unexpected op ${code}`);
    const step = yes ? v.getUint8(at + 1) : v.getUint16(at + 2, le);
    len -= step;
    at += step;
  }
  return len === 0;
}

function socket(sport: number, dport: number, address = '10.0.0.1'): Socket {
  return {
    protocol: 'tcp',
    family: 'inet',
    state: 'ESTABLISHED',
    local: { address: '10.0.0.2', port: sport },
    remote: { address, port: dport },
    recvQ: 0,
    sendQ: 0,
  } as Socket;
}

const port = fc.oneof(
  fc.constantFrom(0, 1, 80, 443, 1023, 1024, 65534, 65535),
  fc.integer({ min: 0, max: 65535 }),
);
const op = fc.constantFrom('=', '!=', '<', '<=', '>', '>=', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', '==');
const cond: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom('sport', 'dport'), op, port).map(([k, o, p]) => `${k} ${o} :${p}`),
  port.map((p) => `dport :${p}`),
  fc.constantFrom('dst 10.0.0.0/8', 'src 10.0.0.2', 'state established', 'dst 192.168.1.1'),
);
const expr: fc.Arbitrary<string> = fc.letrec((tie) => ({
  e: fc.oneof(
    { depthSize: 'small' },
    cond,
    fc
      .tuple(tie('e'), fc.constantFrom('and', 'or', '&&', '||', ''), tie('e'))
      .map(([a, o, b]) => `( ${a} ) ${o} ( ${b} )`),
    tie('e').map((a) => `not ( ${a} )`),
  ),
})).e as fc.Arbitrary<string>;

describe('port filters as inet_diag bytecode', () => {
  it('keeps every socket the JavaScript filter keeps, and only those when all conditions are on ports', () => {
    fc.assert(
      fc.property(
        expr,
        fc.array(fc.tuple(port, port, fc.constantFrom('10.0.0.1', '192.168.1.1')), {
          minLength: 1,
          maxLength: 30,
        }),
        (text, sockets) => {
          const bc = filterBytecode({ expression: text });
          const keep = buildFilter({ expression: text });
          const onlyPorts = !/dst|src|state/.test(text);
          if (bc === undefined) {
            // Nothing pushed down: only when no condition can be expressed (or all sit under a `not` of the rest).
            return;
          }
          audit(bc);
          for (const [sp, dp, address] of sockets) {
            const js = keep(socket(sp, dp, address));
            const kernel = run(bc, sp, dp);
            if (js) expect(kernel, `${text} on ${sp}->${dp} ${address}`).toBe(true);
            if (onlyPorts) expect(kernel, `${text} on ${sp}->${dp}`).toBe(js);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('--port keeps a socket with the port on either side, combined with -f by and', () => {
    const bc = filterBytecode({ ports: [80, 443], expression: 'dport > :1000 or sport < :100' })!;
    audit(bc);
    expect(run(bc, 80, 2000)).toBe(true);
    expect(run(bc, 5000, 443)).toBe(false); // 443 is not > 1000 and 5000 is not < 100
    expect(run(bc, 80, 50)).toBe(true); // sport 80 < 100
    expect(run(bc, 5000, 6000)).toBe(false); // neither port
  });

  it('pushes nothing when no condition is on a port, or the expression does not parse', () => {
    expect(filterBytecode({})).toBeUndefined();
    expect(filterBytecode({ expression: 'dst 10.0.0.0/8' })).toBeUndefined();
    expect(filterBytecode({ expression: 'not dst 10.0.0.0/8 and state established' })).toBeUndefined();
    expect(filterBytecode({ expression: 'dport = :99999' })).toBeUndefined();
    expect(filterBytecode({ expression: 'sport = :80 )' })).toBeUndefined();
    // A port condition beside an address one still goes down (the address is checked in JavaScript).
    expect(filterBytecode({ expression: 'dst 10.0.0.0/8 and dport = :443' })).toBeDefined();
  });

  it('leaves a program too big for the kernel’s 16-bit jumps to JavaScript', () => {
    const many = Array.from({ length: 2000 }, (_, i) => `dport = :${i}`).join(' or ');
    expect(filterBytecode({ expression: many })).toBeUndefined();
  });
});
