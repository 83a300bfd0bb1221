import { type Comparison, type FilterOptions, OPERATORS, tokenize } from '../../analysis/filter.ts';
import { os } from '../../internal/platform.ts';

/**
 * `--port` and the port conditions of `-f` as an INET_DIAG_REQ_BYTECODE program, which the kernel runs on each
 * socket of a dump so that only the matching ones are copied out (`ss` does the same: ssfilter_bytecompile in
 * iproute2's misc/ss.c, whose layout and jumps this follows).
 *
 * The program is a superset filter: what the kernel keeps still goes through the JavaScript filter, so the result is
 * the same with or without it. Conditions it cannot express (addresses, states inside the expression, --process)
 * count as "keep all", and so does a `not` of anything but an exact condition (the complement of a superset would be
 * a subset). Listeners are not asked through it (their remote port is `*`
 * to the JavaScript filter and 0 to the kernel): the reader dumps them apart.
 *
 * A fragment accepts by running off its end and rejects by jumping 4 bytes past it; each op is
 * {code u8, yes u8, no u16}, a port comparison followed by a second op whose `no` holds the port.
 */

const JMP = 1;
const S_GE = 2;
const S_LE = 3;
const D_GE = 4;
const D_LE = 5;

/** A compiled condition; `exact` when it keeps exactly what the JavaScript filter keeps (else a superset). */
interface Fragment {
  ops: number[][];
  exact: boolean;
}
/** Keeps everything: a condition with no bytecode. */
type Compiled = Fragment | 'all';

/** Bigger programs are left to JavaScript (the jumps are 16-bit; real filters are tens of bytes). */
const MAX_BYTES = 4096;

const len = (f: Fragment) => f.ops.length * 4;

function portOp(code: number, port: number): Fragment {
  return {
    ops: [
      [code, 8, 12],
      [0, 0, port],
    ],
    exact: true,
  };
}

/** `a and b`: a's rejects jump past b (ssfilter_patch); a's accept runs into b. */
function and(a: Compiled, b: Compiled): Compiled {
  if (a === 'all') return b === 'all' ? 'all' : { ops: b.ops, exact: false };
  if (b === 'all') return { ops: a.ops, exact: false };
  const l2 = len(b);
  const ops = a.ops.map((op) => [...op]);
  // Walk a op by op (each op's `yes` steps to the next): a `no` that lands 4 past a's end is a reject.
  let at = 0;
  let left = len(a);
  while (left > 0) {
    const op = ops[at / 4]!;
    if (op[2] === left + 4) op[2] += l2;
    left -= op[1]!;
    at += op[1]!;
  }
  return { ops: [...ops, ...b.ops], exact: a.exact && b.exact };
}

/** `a or b`: a's accept jumps over b to the end; a's reject lands on b. */
function or(a: Compiled, b: Compiled): Compiled {
  if (a === 'all' || b === 'all') return 'all';
  return { ops: [...a.ops, [JMP, 4, len(b) + 4], ...b.ops], exact: a.exact && b.exact };
}

/** `not a`: swaps accept and reject; for an inexact a, keep all (the complement of a superset is a subset). */
function not(a: Compiled): Compiled {
  if (a === 'all' || !a.exact) return 'all';
  return { ops: [...a.ops, [JMP, 4, 8]], exact: true };
}

function comparePort(side: 'sport' | 'dport', op: Comparison, port: number): Compiled {
  const ge = side === 'sport' ? S_GE : D_GE;
  const le = side === 'sport' ? S_LE : D_LE;
  const eq = () => and(portOp(ge, port), portOp(le, port)) as Fragment;
  switch (op) {
    case '=':
      return eq();
    case '!=':
      return not(eq());
    case '>=':
      return portOp(ge, port);
    case '<=':
      return portOp(le, port);
    // Past the last port or below the first: no socket (`not` of a comparison every port passes).
    case '>':
      return port >= 65535 ? not(portOp(ge, 0)) : portOp(ge, port + 1);
    case '<':
      return port <= 0 ? not(portOp(ge, 0)) : portOp(le, port - 1);
  }
}

/** Parses an expression as analysis/filter.ts does, into bytecode; undefined where it does not parse (that filter
 * reports the error). */
function compileExpression(text: string): Compiled | undefined {
  const tokens = tokenize(text);
  let i = 0;
  let failed = false;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const orExpr = (): Compiled => {
    let out = andExpr();
    while (peek() === 'or' || peek() === '||') {
      next();
      out = or(out, andExpr());
    }
    return out;
  };
  const andExpr = (): Compiled => {
    let out = unary();
    for (;;) {
      const t = peek();
      if (t === undefined || t === ')' || t === 'or' || t === '||' || failed) break;
      if (t === 'and' || t === '&&') next();
      out = and(out, unary());
    }
    return out;
  };
  const unary = (): Compiled => {
    const t = peek();
    if (t === 'not' || t === '!') {
      next();
      return not(unary());
    }
    if (t === '(') {
      next();
      const inner = orExpr();
      if (next() !== ')') failed = true;
      return inner;
    }
    return condition();
  };
  const condition = (): Compiled => {
    const key = next();
    if (key === 'sport' || key === 'dport') {
      let op: Comparison = '=';
      const maybe = peek();
      if (maybe !== undefined && OPERATORS[maybe]) {
        op = OPERATORS[maybe];
        next();
      }
      const port = Number((next() ?? '').replace(/^:/, ''));
      if (!Number.isInteger(port) || port < 0 || port > 65535) failed = true;
      return failed ? 'all' : comparePort(key, op, port);
    }
    if (key === 'src' || key === 'dst') {
      // Addresses (prefixes, v4-mapped, `*`) stay with the JavaScript matcher: keep all here.
      if (peek() !== undefined && OPERATORS[peek()!]) next();
      if (next() === undefined) failed = true;
      return 'all';
    }
    if (key === 'state') {
      if (next() === undefined) failed = true;
      return 'all';
    }
    failed = true;
    return 'all';
  };
  const out = orExpr();
  if (failed || i < tokens.length) return undefined;
  return out;
}

/**
 * The bytecode for these filter options, or undefined when nothing of them can go to the kernel (no port condition
 * it can express, or a program too big). States go in idiag_states instead.
 */
export function filterBytecode(options: {
  ports?: readonly number[] | undefined;
  expression?: FilterOptions['expression'] | undefined;
}): Uint8Array | undefined {
  let program: Compiled = 'all';
  if (options.ports?.length) {
    let any: Compiled | undefined;
    for (const port of options.ports) {
      if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
      const one = or(comparePort('sport', '=', port), comparePort('dport', '=', port));
      any = any === undefined ? one : or(any, one);
    }
    program = any!;
  }
  const text = typeof options.expression === 'string' ? options.expression : options.expression?.join(' ');
  if (text?.trim()) {
    const expression = compileExpression(text);
    if (expression === undefined) return program === 'all' ? undefined : encode(program);
    program = and(program, expression);
  }
  return program === 'all' ? undefined : encode(program);
}

function encode(program: Fragment): Uint8Array | undefined {
  const bytes = len(program);
  if (bytes > MAX_BYTES) return undefined;
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  program.ops.forEach(([code, yes, no], k) => {
    view.setUint8(k * 4, code!);
    view.setUint8(k * 4 + 1, yes!);
    // The kernel reads these u16 fields in its own byte order.
    view.setUint16(k * 4 + 2, no!, os.littleEndian);
  });
  return out;
}
