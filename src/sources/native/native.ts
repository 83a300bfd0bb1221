import { execFile } from 'node:child_process';
import { SourceError } from '../../errors.ts';
import type { Snapshot, Socket } from '../../model/snapshot.ts';
import { decodeInput } from '../text/decode.ts';
import type { TextFormat } from '../text/detect.ts';
import { parseText } from '../text/index.ts';

/** Runs a command and returns its stdout bytes; injectable so tests feed fixture text on Linux. */
export type RunCommand = (command: string, args: readonly string[]) => Promise<Buffer>;

export interface NativeOptions {
  /** `process.platform` of the machine to read; defaults to this one. */
  platform?: NodeJS.Platform;
  run?: RunCommand;
}

interface Plan {
  command: string;
  args: string[];
  format: TextFormat;
  /** Process owners from `sockstat` on the BSDs, where netstat shows none. */
  owners?: { command: string; args: string[] };
}

/** What each OS runs (netstat(8), ss(8), FreeBSD netstat(1), Microsoft's netstat documentation): PIDs come with the row on Windows and macOS (-v). */
export function nativePlan(platform: NodeJS.Platform): Plan {
  switch (platform) {
    case 'win32':
      return { command: 'netstat', args: ['-ano'], format: 'windows-netstat' };
    case 'darwin':
      return { command: 'netstat', args: ['-anv', '-p', 'tcp'], format: 'bsd-netstat' };
    case 'freebsd':
    case 'openbsd':
    case 'netbsd':
      return {
        command: 'netstat',
        args: ['-an', '-p', 'tcp'],
        format: 'bsd-netstat',
        owners: { command: 'sockstat', args: platform === 'openbsd' ? [] : ['-4', '-6'] },
      };
    case 'sunos':
    case 'aix':
      return {
        command: 'netstat',
        args: ['-an', '-f', 'inet'],
        format: platform === 'sunos' ? 'solaris-netstat' : 'bsd-netstat',
      };
    default:
      throw new SourceError(`no native reader for platform '${platform}' (Linux reads /proc)`, 'native');
  }
}

const defaultRun: RunCommand = (command, args) =>
  new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      {
        encoding: 'buffer',
        maxBuffer: 512 * 1024 * 1024,
        windowsHide: true,
        env: { ...process.env, LC_ALL: 'C' },
      },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
  });

/** A live snapshot on Windows, macOS, the BSDs, Solaris or AIX: the native netstat through the text parsers. */
export async function readNativeSnapshot(options: NativeOptions = {}): Promise<Snapshot> {
  const platform = options.platform ?? process.platform;
  const run = options.run ?? defaultRun;
  const plan = nativePlan(platform);
  const name = `${plan.command} ${plan.args.join(' ')}`;
  let bytes: Buffer;
  try {
    bytes = await run(plan.command, plan.args);
  } catch (error) {
    throw new SourceError(`could not run: ${(error as Error).message.split('\n')[0]}`, name, error);
  }
  const snapshot = parseText(decodeInput(bytes, name).text, { name, format: plan.format, kind: 'native' });
  if (plan.owners) {
    const ownersName = `${plan.owners.command} ${plan.owners.args.join(' ')}`.trim();
    try {
      const owners = parseText(
        decodeInput(await run(plan.owners.command, plan.owners.args), ownersName).text,
        {
          name: ownersName,
          format: 'sockstat',
        },
      );
      attachOwners(snapshot.sockets, owners.sockets);
      snapshot.processesLookedUp = true;
    } catch (error) {
      snapshot.processNote = `sockstat failed, no processes: ${(error as Error).message.split('\n')[0]}`;
    }
  }
  return snapshot;
}

const key = (s: Socket) => `${s.local.address}|${s.local.port}|${s.remote.address}|${s.remote.port}`;

/** Gives each netstat socket the processes sockstat lists for the same endpoints (none when sockstat has none). */
export function attachOwners(sockets: Socket[], owners: readonly Socket[]): void {
  const byKey = new Map<string, Socket['processes']>();
  for (const o of owners) {
    const k = key(o);
    byKey.set(k, [...(byKey.get(k) ?? []), ...(o.processes ?? [])]);
  }
  for (const s of sockets) s.processes = byKey.get(key(s)) ?? [];
}
