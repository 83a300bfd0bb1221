import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source as a user would (a separate process), with colours off unless asked. */
export function runCli(
  args: string[],
  options: { input?: string | Buffer; env?: Record<string, string>; timeout?: number } = {},
): CliResult {
  const result = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], {
    cwd: root,
    input: options.input,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    maxBuffer: 256 * 1024 * 1024,
    ...(options.timeout ? { timeout: options.timeout, killSignal: 'SIGKILL' as const } : {}),
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface RunningCli {
  child: ChildProcess;
  /** Resolves with the exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What it has printed so far. */
  out(): string;
  err(): string;
}

/**
 * Starts the CLI from source in the background, for tests that talk to it while it runs: stdin is a pipe the
 * test writes to, unless `stdin` gives a file descriptor to read instead.
 */
export function startCli(args: string[], options: { stdin?: number } = {}): RunningCli {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: [options.stdin ?? 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, out: () => stdout, err: () => stderr };
}
