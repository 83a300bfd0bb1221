import { buildFilter, type FilterOptions } from '../analysis/filter.ts';
import { parseSortKey, type SortKey } from '../analysis/sort.ts';
import { isTcpstateError, QueryError } from '../errors.ts';
import { parseState, type TcpState } from '../states/states.ts';

export type Params = Map<string, string[]>;

/** Reads the query string, refusing parameters the endpoint does not know (a typo must not silently match all). */
export function readParams(url: URL, known: readonly string[]): Params {
  const params: Params = new Map();
  for (const [key, value] of url.searchParams) {
    if (!known.includes(key)) {
      const list = known.length ? known.join(', ') : 'none';
      throw new QueryError(`unknown query parameter '${key}' (this endpoint takes: ${list})`);
    }
    const list = params.get(key) ?? [];
    list.push(value);
    params.set(key, list);
  }
  return params;
}

/** A parameter that may be given at most once. */
export function singleParam(params: Params, key: string): string | undefined {
  const values = params.get(key);
  if (!values) return undefined;
  if (values.length > 1) throw new QueryError(`'${key}' may be given once`);
  return values[0];
}

export function intParam(params: Params, key: string, min: number, max: number): number | undefined {
  const text = singleParam(params, key);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new QueryError(`'${key}' must be a whole number from ${min} to ${max}, not '${text}'`);
  }
  return n;
}

export function stateParam(text: string): TcpState {
  const state = parseState(text);
  if (!state)
    throw new QueryError(`unknown TCP state '${text}' (e.g. TIME_WAIT, time-wait, ESTAB, SYN_RECV)`);
  return state;
}

export interface SnapshotQuery {
  filter: FilterOptions;
  predicate: ReturnType<typeof buildFilter>;
  sort?: SortKey;
  top: number;
  limit: number;
  /** Canonical form, for the per-sample response cache. */
  key: string;
  /** Whether any filter parameter was given. */
  filtered: boolean;
}

export const SNAPSHOT_PARAMS = [
  'state',
  'exclude',
  'port',
  'process',
  'filter',
  'sort',
  'top',
  'limit',
] as const;
/** Sockets returned by default; `limit` goes up to MAX_LIMIT (the summary counts always cover every socket). */
export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 200_000;

/** The CLI's filter flags as query parameters: `?state=time-wait&port=443&filter=dport = :443&sort=recv-q`. */
export function snapshotQuery(url: URL): SnapshotQuery {
  const params = readParams(url, SNAPSHOT_PARAMS);
  const filter: FilterOptions = {};
  const split = (key: string) =>
    (params.get(key) ?? [])
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter(Boolean);
  const states = split('state');
  const exclude = split('exclude');
  if (states.length) filter.states = states;
  if (exclude.length) filter.exclude = exclude;
  const ports = split('port').map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 0 || n > 65535)
      throw new QueryError(`'port' must be 0-65535, not '${p}'`);
    return n;
  });
  if (ports.length) filter.ports = ports;
  const process = singleParam(params, 'process');
  if (process !== undefined) {
    if (!process.trim()) throw new QueryError("'process' is empty");
    filter.process = process;
  }
  const expression = singleParam(params, 'filter');
  if (expression !== undefined) {
    if (expression.length > 1000) throw new QueryError("'filter' is longer than 1000 characters");
    filter.expression = expression;
  }
  let predicate: SnapshotQuery['predicate'];
  let sort: SortKey | undefined;
  try {
    predicate = buildFilter(filter);
    const sortText = singleParam(params, 'sort');
    if (sortText !== undefined) sort = parseSortKey(sortText);
  } catch (error) {
    // The CLI's UsageError messages name the flag (`--state: unknown state 'x'`); say it as a parameter.
    if (error instanceof QueryError) throw error;
    if (isTcpstateError(error)) throw new QueryError(error.message.replace(/^--/, ''));
    throw error;
  }
  const top = intParam(params, 'top', 1, 1000) ?? 10;
  const limit = intParam(params, 'limit', 0, MAX_LIMIT) ?? DEFAULT_LIMIT;
  const key = JSON.stringify([states, exclude, ports, process, expression, sort, top, limit]);
  const filtered = Boolean(
    states.length || exclude.length || ports.length || process !== undefined || expression,
  );
  const query: SnapshotQuery = { filter, predicate, top, limit, key, filtered };
  if (sort) query.sort = sort;
  return query;
}
