import { UsageError } from '../errors.ts';
import type { Socket } from '../model/snapshot.ts';
import { parseStateOrGroup, type TcpState } from '../states/states.ts';
import { addressMatcher } from './address.ts';

/**
 * ss-style socket filters: `--state`/`--exclude` with states or groups, and an expression such as
 * `dport = :443 or ( sport >= :1024 and dst 10.0.0.0/8 )`, plus tcpstate's `--port` and `--process`.
 */
export type SocketPredicate = (socket: Socket) => boolean;

export interface FilterOptions {
  /** States or groups to keep (`established`, `time-wait`, `connected`, `bucket` ...). */
  states?: readonly string[];
  /** States or groups to drop. */
  exclude?: readonly string[];
  /** ss filter expression, as words (`['dport', '=', ':443']`) or one string. */
  expression?: string | readonly string[];
  /** Local or remote port equals. */
  ports?: readonly number[];
  /** Process command or pid contains/equals. */
  process?: string;
}

export function expandStates(words: readonly string[], flag: string): Set<TcpState> {
  const out = new Set<TcpState>();
  for (const word of words) {
    for (const part of word.split(',')) {
      const states = parseStateOrGroup(part.trim());
      if (!states) {
        throw new UsageError(
          `${flag}: unknown state '${part}' (use a state such as time-wait or established, or a group: all, connected, synchronized, bucket, big)`,
        );
      }
      for (const s of states) out.add(s);
    }
  }
  return out;
}

/** Builds one predicate from all filter options; throws UsageError with the offending word. */
export function buildFilter(options: FilterOptions): SocketPredicate {
  const parts: SocketPredicate[] = [];
  if (options.states?.length) {
    const keep = expandStates(options.states, '--state');
    parts.push((s) => keep.has(s.state));
  }
  if (options.exclude?.length) {
    const drop = expandStates(options.exclude, '--exclude');
    parts.push((s) => !drop.has(s.state));
  }
  if (options.ports?.length) {
    const ports = new Set(options.ports);
    parts.push((s) => ports.has(s.local.port ?? -1) || ports.has(s.remote.port ?? -1));
  }
  if (options.process) {
    const wanted = options.process;
    const pid = /^\d+$/.test(wanted) ? Number(wanted) : undefined;
    parts.push((s) => (s.processes ?? []).some((p) => p.pid === pid || p.command.includes(wanted)));
  }
  const expression =
    typeof options.expression === 'string' ? options.expression : options.expression?.join(' ');
  if (expression?.trim()) parts.push(parseExpression(expression));
  return (s) => parts.every((p) => p(s));
}

export function applyFilter<T extends Socket>(sockets: readonly T[], options: FilterOptions): T[] {
  const predicate = buildFilter(options);
  return sockets.filter(predicate);
}

// ---- expression parser --------------------------------------------------------------------------------------

export type Comparison = '=' | '!=' | '<' | '<=' | '>' | '>=';
export const OPERATORS: Record<string, Comparison> = {
  '=': '=',
  '==': '=',
  eq: '=',
  '!=': '!=',
  ne: '!=',
  neq: '!=',
  '<': '<',
  lt: '<',
  '<=': '<=',
  le: '<=',
  '>': '>',
  gt: '>',
  '>=': '>=',
  ge: '>=',
};

export function tokenize(text: string): string[] {
  return text.match(/\(|\)|!=|==|>=|<=|=|<|>|!|[^\s()!=<>]+/g) ?? [];
}

/** How deep `(` and `not` may nest in a filter expression; real ones use a handful. */
export const MAX_FILTER_DEPTH = 100;

/** Parses an ss-style expression; errors name the word where parsing stopped. */
export function parseExpression(text: string): SocketPredicate {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const fail = (what: string): never => {
    const at = tokens[i] === undefined ? 'at the end' : `at '${tokens[i]}' (word ${i + 1})`;
    throw new UsageError(`filter expression: ${what} ${at}: ${text}`);
  };

  // A chain of `and`/`or` is a list checked in a loop, not nested closures: 100,000 terms must not overflow the stack.
  const orExpr = (): SocketPredicate => {
    const terms = [andExpr()];
    while (peek() === 'or' || peek() === '||') {
      next();
      terms.push(andExpr());
    }
    return terms.length === 1 ? terms[0]! : (s) => terms.some((t) => t(s));
  };
  const andExpr = (): SocketPredicate => {
    const terms = [unary()];
    for (;;) {
      const t = peek();
      if (t === undefined || t === ')' || t === 'or' || t === '||') break;
      if (t === 'and' || t === '&&') next();
      terms.push(unary());
    }
    return terms.length === 1 ? terms[0]! : (s) => terms.every((t) => t(s));
  };
  // Each nesting level is a stack frame here and again when the predicate runs: bound it with a clear error.
  let depth = 0;
  const nested = <T>(inner: () => T): T => {
    if (++depth > MAX_FILTER_DEPTH) {
      throw new UsageError(
        `filter expression: nested deeper than ${MAX_FILTER_DEPTH} levels of '(' or 'not' (word ${i + 1})`,
      );
    }
    const out = inner();
    depth--;
    return out;
  };
  const unary = (): SocketPredicate => {
    const t = peek();
    if (t === 'not' || t === '!') {
      next();
      const inner = nested(unary);
      return (s) => !inner(s);
    }
    if (t === '(') {
      next();
      const inner = nested(orExpr);
      if (next() !== ')') fail("expected ')'");
      return inner;
    }
    return predicate();
  };
  const predicate = (): SocketPredicate => {
    const key = next();
    if (key === undefined) return fail('expected a condition');
    switch (key) {
      case 'sport':
      case 'dport': {
        let op: Comparison = '=';
        const maybeOp = peek();
        if (maybeOp !== undefined && OPERATORS[maybeOp]) {
          op = OPERATORS[maybeOp];
          next();
        }
        const value = next();
        const port = value === undefined ? Number.NaN : Number(value.replace(/^:/, ''));
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          i--;
          return fail('expected a port number like :443');
        }
        const side = key === 'sport' ? 'local' : 'remote';
        return (s) => compare(s[side].port, op, port);
      }
      case 'src':
      case 'dst': {
        let negate = false;
        const maybeOp = peek();
        if (maybeOp !== undefined && OPERATORS[maybeOp]) {
          negate = OPERATORS[maybeOp] === '!=';
          next();
        }
        const value = next();
        if (value === undefined) return fail('expected an address');
        const { address, port } = splitAddressPort(value);
        const match = addressMatcher(address);
        if (!match) {
          i--;
          return fail('expected an address or prefix like 10.0.0.0/8 or [::1]');
        }
        const side = key === 'src' ? 'local' : 'remote';
        const p: SocketPredicate = (s) =>
          match(s[side].address) && (port === undefined || s[side].port === port);
        return negate ? (s) => !p(s) : p;
      }
      case 'state': {
        const word = next();
        if (word === undefined) return fail('expected a state');
        const states = new Set(expandStates([word], 'state'));
        return (s) => states.has(s.state);
      }
      default:
        i--;
        return fail('expected sport, dport, src, dst, state, not, or (');
    }
  };

  const result = orExpr();
  if (i < tokens.length) fail('unexpected word');
  return result;
}

function compare(value: number | undefined, op: Comparison, wanted: number): boolean {
  if (value === undefined) return op === '!=';
  switch (op) {
    case '=':
      return value === wanted;
    case '!=':
      return value !== wanted;
    case '<':
      return value < wanted;
    case '<=':
      return value <= wanted;
    case '>':
      return value > wanted;
    case '>=':
      return value >= wanted;
  }
}

/** `10.0.0.1:80`, `[::1]:443`, `10.0.0.0/8`, `::1`, `*:22` → address pattern and optional port. */
function splitAddressPort(value: string): { address: string; port: number | undefined } {
  const bracket = value.match(/^\[([^\]]+)\](?::(\d+|\*))?$/);
  if (bracket) return { address: bracket[1]!, port: portOf(bracket[2]) };
  const colons = (value.match(/:/g) ?? []).length;
  if (colons === 1) {
    const [address, port] = value.split(':') as [string, string];
    return { address: address === '' ? '*' : address, port: portOf(port) };
  }
  return { address: value, port: undefined };
}

function portOf(text: string | undefined): number | undefined {
  if (text === undefined || text === '*' || text === '') return undefined;
  const n = Number(text);
  return Number.isInteger(n) ? n : undefined;
}
