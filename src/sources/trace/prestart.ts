/**
 * `tcpstate trace` starts its kernel tracer before anything else is loaded: attaching takes about as long as Node
 * takes to load the command line (libbpf reads the kernel's BTF and symbols), so doing both at once halves the
 * start-up. Imported first by main.ts; only builtins here. The trace source adopts the process when its options
 * match (kernel.ts), and it exits by itself when we do (its stdin closes).
 */
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PrestartedTracer {
  child: ChildProcess;
  args: string[];
  startedAt: number;
}

function loader(): string | undefined {
  if (process.env.TCPSTATE_TRACE_LOADER) return process.env.TCPSTATE_TRACE_LOADER;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'bpf', 'tcpstate-trace');
    dir = dirname(dir);
  }
  return undefined;
}

function prestart(argv: readonly string[]): PrestartedTracer | undefined {
  if (argv[0] !== 'trace' || process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  if (argv.includes('-h') || argv.includes('--help')) return undefined;
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i > 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
  };
  let nsPath: string | undefined = '/proc/self/ns/net';
  if (argv.includes('--all-netns')) nsPath = undefined;
  else if (value('--netns') !== undefined) nsPath = `/run/netns/${value('--netns')}`;
  else if (value('--ns-of') !== undefined) nsPath = `/proc/${value('--ns-of')}/ns/net`;
  try {
    const path = loader();
    if (path === undefined) return undefined;
    accessSync(path, constants.X_OK);
    const args = nsPath === undefined ? [] : ['--netns', String(statSync(nsPath).ino)];
    const startedAt = performance.now();
    // Required here, not imported: every other command would pay for loading child_process at start-up.
    const { spawn } = createRequire(import.meta.url)(
      'node:child_process',
    ) as typeof import('node:child_process');
    const child = spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.on('error', () => {});
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr])
      (stream as { unref?(): void } | null)?.unref?.();
    return { child, args, startedAt };
  } catch {
    return undefined; // the trace source finds and says what is wrong
  }
}

const key = Symbol.for('tcpstate.prestartedTracer');
(globalThis as Record<symbol, unknown>)[key] = prestart(process.argv.slice(2));

/** The tracer started at launch, once: the first caller takes it. */
export function takePrestartedTracer(args: readonly string[]): PrestartedTracer | undefined {
  const g = globalThis as Record<symbol, PrestartedTracer | undefined>;
  const p = g[key];
  g[key] = undefined;
  if (p === undefined) return undefined;
  if (p.args.join(' ') !== args.join(' ') || p.child.exitCode !== null) {
    p.child.kill();
    return undefined;
  }
  p.child.ref();
  for (const stream of [p.child.stdin, p.child.stdout, p.child.stderr])
    (stream as { ref?(): void } | null)?.ref?.();
  return p;
}
