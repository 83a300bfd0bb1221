import type { Command } from '@commander-js/extra-typings';
import { buildFilter, expandStates } from '../../analysis/filter.ts';
import { TcpstateError, UsageError } from '../../errors.ts';
import type { Socket } from '../../model/snapshot.ts';
import { formatCount } from '../../render/format.ts';
import { listingCells } from '../../render/socket-rows.ts';
import { renderTable } from '../../render/table.ts';
import { planDestroy } from '../../sources/netlink/destroy.ts';
import { netlinkTarget } from '../../sources/netlink/live.ts';
import { netlinkUnavailableReason, SockDiagReader } from '../../sources/netlink/reader.ts';
import { TCP_STATES } from '../../states/states.ts';
import { runAction } from '../run.ts';

interface KillOptions {
  state?: string[];
  exclude?: string[];
  port?: number[];
  filter?: string;
  yes?: true;
  includeListen?: true;
  netns?: string;
  nsOf?: number;
  json?: true;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
const collectPort = (value: string, previous: number[] = []) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--port: '${value}' is not a port number`);
  return [...previous, n];
};
const parsePid = (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n <= 0) throw new UsageError(`--ns-of: '${value}' is not a process id`);
  return n;
};

function listing(sockets: readonly Socket[]): string {
  const rows = sockets.map((s) => listingCells(s, 'ss'));
  return renderTable(rows, {
    head: ['State', 'Recv-Q', 'Send-Q', 'Local Address:Port', 'Peer Address:Port', 'Timer'],
    align: ['left', 'right', 'right', 'left', 'left', 'left'],
    plain: true,
  });
}

/** `tcpstate kill FILTER`: close matching sockets with SOCK_DESTROY, as `ss -K` does; a dry run unless --yes. */
export function registerKill(program: Command): void {
  program
    .command('kill')
    .description(
      'close the sockets a filter matches, from the kernel side (SOCK_DESTROY, like ss -K); prints what would close unless --yes',
    )
    .argument('[filter...]', "ss-style expression, e.g. 'sport = :8080' (or use -f, -s, --port)")
    .option('-s, --state <state>', 'only these states or groups (repeatable, comma-separated)', collect)
    .option('-x, --exclude <state>', 'not these states (repeatable)', collect)
    .option('--port <port>', 'local or remote port (repeatable)', collectPort)
    .option('-f, --filter <expr>', "ss-style expression, e.g. 'dport = :5432 and dst 10.0.0.0/8'")
    .option('--yes', 'close them (without it, only print what would close)')
    .option('--include-listen', 'also close listening sockets the filter matches (they stop accepting)')
    .option('--netns <name>', 'in the named network namespace')
    .option('--ns-of <pid>', 'in the network namespace of process PID', parsePid)
    .option('--json', 'print what would close / what closed as JSON')
    .addHelpText(
      'after',
      `
What closing does to each state (the kernel's tcp_abort()):
  ESTABLISHED, CLOSE_WAIT, SYN_SENT, SYN_RECV, FIN_WAIT_1, FIN_WAIT_2
      the socket goes to CLOSED; the peer gets a RST (not for SYN_SENT); the application's next read, write
      or poll fails with ECONNABORTED; its file descriptor stays open until it closes it.
  TIME_WAIT  the entry is removed at once (no packet is sent).
  SYN_RECV request sockets (no accept yet)  dropped from the listener's queue.
  LISTEN     only with --include-listen: stops listening; connections waiting in the accept queue are reset.
  LAST_ACK, CLOSING (and FIN_WAIT after close())  orphans the application already closed: see docs/live.md.
Needs root (CAP_NET_ADMIN) and a kernel with CONFIG_INET_DIAG_DESTROY (Debian, Ubuntu, Fedora have it).

Examples:
  tcpstate kill -s close-wait --port 8080          what would close (dry run)
  tcpstate kill -s close-wait --port 8080 --yes    close them
  tcpstate kill 'dst 10.1.2.3' --yes`,
    )
    .action((words, options: KillOptions) =>
      runAction(() => {
        // Each part in parentheses, so `a or b` given twice keeps its own meaning.
        const expression = [words.join(' '), options.filter ?? '']
          .filter((e) => e.trim() !== '')
          .map((e) => `( ${e} )`)
          .join(' and ');
        const hasFilter =
          expression !== '' || !!options.state?.length || !!options.exclude?.length || !!options.port?.length;
        if (!hasFilter) {
          throw new UsageError(
            'kill needs a filter (an expression, -s, -x or --port): it never closes everything',
          );
        }
        const unavailable = netlinkUnavailableReason();
        if (unavailable !== undefined) {
          throw new TcpstateError(`kill needs the netlink reader: ${unavailable}`, {
            code: 'E_UNAVAILABLE',
            exitCode: 3,
          });
        }
        let states = options.state?.length ? expandStates(options.state, '--state') : undefined;
        if (options.exclude?.length) {
          states ??= new Set(TCP_STATES);
          for (const s of expandStates(options.exclude, '--exclude')) states.delete(s);
        }
        const match = buildFilter({
          ...(expression ? { expression } : {}),
          ...(options.port ? { ports: options.port } : {}),
        });
        const target = netlinkTarget({ netns: options.netns, nsOf: options.nsOf });
        const reader = SockDiagReader.open({ nsPath: target.nsPath, label: target.label });
        try {
          const plan = planDestroy(reader, match, { states, includeListen: options.includeListen });
          const kept =
            plan.listenersKept > 0
              ? `${formatCount(plan.listenersKept)} listening socket${plan.listenersKept === 1 ? '' : 's'} matched and ${plan.listenersKept === 1 ? 'was' : 'were'} kept (add --include-listen)`
              : undefined;
          if (!options.yes) {
            if (options.json) {
              process.stdout.write(
                `${JSON.stringify({ dryRun: true, wouldClose: plan.targets, listenersKept: plan.listenersKept }, null, 2)}\n`,
              );
              return 0;
            }
            const out: string[] = [];
            if (plan.targets.length) out.push(listing(plan.targets), '');
            out.push(
              plan.targets.length
                ? `${formatCount(plan.targets.length)} socket${plan.targets.length === 1 ? '' : 's'} would be closed (dry run: add --yes to close them)`
                : 'no socket matches: nothing would be closed',
            );
            if (kept) out.push(kept);
            process.stdout.write(`${out.join('\n')}\n`);
            return 0;
          }
          if (process.getuid?.() !== 0) {
            // The kernel would answer EPERM socket by socket; say it once, before anything.
            throw new TcpstateError('closing sockets needs root (CAP_NET_ADMIN)', {
              code: 'E_PERMISSION',
              exitCode: 1,
            });
          }
          const results = plan.run();
          const closed = results.filter((r) => r.outcome === 'closed').map((r) => r.socket);
          const gone = results.length - closed.length;
          if (options.json) {
            process.stdout.write(
              `${JSON.stringify({ closed, alreadyGone: gone, listenersKept: plan.listenersKept }, null, 2)}\n`,
            );
            return 0;
          }
          const out: string[] = [];
          if (closed.length) out.push(listing(closed), '');
          out.push(
            closed.length
              ? `closed ${formatCount(closed.length)} socket${closed.length === 1 ? '' : 's'}`
              : 'no socket matches: nothing was closed',
          );
          if (gone) out.push(`${formatCount(gone)} had already closed on their own`);
          if (kept) out.push(kept);
          process.stdout.write(`${out.join('\n')}\n`);
          return 0;
        } finally {
          reader.close();
        }
      }),
    );
}
