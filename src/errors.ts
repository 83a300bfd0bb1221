/**
 * Every error tcpstate throws on purpose is a TcpstateError, so the CLI can print one clear line
 * (and never a stack trace) and library users can tell our errors from bugs.
 */
export class TcpstateError extends Error {
  override name = 'TcpstateError';
  /** A short stable code for scripts, e.g. `E_PARSE`. */
  readonly code: string;
  /** Suggested process exit code when this error ends the CLI. */
  readonly exitCode: number;

  constructor(message: string, options?: { code?: string; exitCode?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = options?.code ?? 'E_TCPSTATE';
    this.exitCode = options?.exitCode ?? 1;
  }

  /** True for errors from this package, also across module copies (instanceof may fail there). */
  get isTcpstateError(): true {
    return true;
  }
}

export function isTcpstateError(value: unknown): value is TcpstateError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { isTcpstateError?: unknown }).isTcpstateError === true
  );
}

/** Bad command-line usage: unknown values, conflicting flags. */
export class UsageError extends TcpstateError {
  override name = 'UsageError';
  constructor(message: string) {
    super(message, { code: 'E_USAGE', exitCode: 2 });
  }
}

/** Text input that cannot be read. `source` names the input (a path or `stdin`), `line` is 1-based. */
export class ParseError extends TcpstateError {
  override name = 'ParseError';
  readonly source: string;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(message: string, where: { source: string; line?: number; column?: number }) {
    const at = where.line === undefined ? where.source : `${where.source}:${where.line}`;
    super(`${at}: ${message}`, { code: 'E_PARSE' });
    this.source = where.source;
    this.line = where.line;
    this.column = where.column;
  }
}

/** A capture file that is not what it claims to be. `offset` is the byte offset of the bad block. */
export class CaptureFormatError extends TcpstateError {
  override name = 'CaptureFormatError';
  readonly source: string;
  readonly offset: number;
  /** The message without the source and offset in front. */
  readonly detail: string;

  constructor(message: string, where: { source: string; offset: number }) {
    super(`${where.source}: byte ${where.offset}: ${message}`, { code: 'E_CAPTURE' });
    this.source = where.source;
    this.offset = where.offset;
    this.detail = message;
  }
}

/** Reading the live system failed in a way the user must know about (missing /proc, no permission). */
export class SourceError extends TcpstateError {
  override name = 'SourceError';
  readonly source: string;

  constructor(message: string, source: string, cause?: unknown) {
    super(`${source}: ${message}`, { code: 'E_SOURCE', cause });
    this.source = source;
  }
}

/** A bad query parameter of the HTTP API (the server answers 400 with this message). */
export class QueryError extends TcpstateError {
  override name = 'QueryError';
  constructor(message: string) {
    super(message, { code: 'E_QUERY', exitCode: 2 });
  }
}

/** Something this build or this host cannot do (the server answers 501; the CLI exits 3, "not available here"). */
export class NotAvailableError extends TcpstateError {
  override name = 'NotAvailableError';
  constructor(message: string) {
    super(message, { code: 'E_NOT_AVAILABLE', exitCode: 3 });
  }
}

/** The recorder's database cannot be used (locked by another recorder, wrong schema, corrupt). */
export class StoreError extends TcpstateError {
  override name = 'StoreError';
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'E_STORE', cause });
  }
}
