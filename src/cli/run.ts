import { isTcpstateError } from '../errors.ts';

/**
 * Runs a command action and turns every failure into one line on stderr and an exit code: typed errors say
 * what went wrong and where; anything else is a bug, reported as such (the stack only with TCPSTATE_DEBUG=1).
 */
export async function runAction(
  action: () => Promise<number | undefined> | number | undefined,
): Promise<void> {
  try {
    const code = await action();
    if (typeof code === 'number') process.exitCode = code;
  } catch (error) {
    process.exitCode = reportError(error);
  }
}

export function reportError(error: unknown): number {
  if (isTcpstateError(error)) {
    process.stderr.write(`tcpstate: ${error.message}\n`);
    return error.exitCode;
  }
  if ((error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') return 0;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`tcpstate: internal error: ${message}\n`);
  if (process.env.TCPSTATE_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write('tcpstate: this is a bug; run with TCPSTATE_DEBUG=1 for details and report it\n');
  return 70;
}
