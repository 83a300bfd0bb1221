#!/usr/bin/env node
// First: `tcpstate trace` starts attaching its kernel tracer while the rest loads.
import '../sources/trace/prestart.ts';
import { Command } from '@commander-js/extra-typings';
import { VERSION } from '../version.ts';
import { registerSnapshot } from './commands/snapshot.ts';
import { reportError } from './run.ts';

const program = new Command()
  .name('tcpstate')
  .description(
    'TCP connection-state analysis: what state are my TCP connections in, why, and what should I do about it?',
  )
  .version(VERSION)
  .showHelpAfterError('(run with --help for usage)')
  // Root options (the live view's) must not swallow a subcommand's flags of the same name, such as --json.
  .enablePositionalOptions()
  .configureOutput({ outputError: (text, write) => write(`tcpstate: ${text}`) })
  // commander's own errors (unknown option, missing argument, bad choice) are usage errors: exit 2 like ours,
  // not commander's 1, which means "an error" in our table; under `check` 3 (UNKNOWN), as a monitoring plugin
  // must answer (2 would read as CRITICAL). Help and --version stay 0.
  .exitOverride((error) =>
    process.exit(error.exitCode === 0 ? 0 : firstWord(process.argv.slice(2)) === 'check' ? 3 : 2),
  )
  .addHelpText(
    'after',
    `
Examples:
  tcpstate                              this machine: states, top services, peers, findings
  tcpstate -p -l --sort recv-q          every socket with its process, largest receive queue first
  tcpstate -s close-wait -f 'dport = :5432'   CLOSE_WAIT sockets towards PostgreSQL
  tcpstate --netns blue --json | jq .summary  another network namespace, as JSON
  tcpstate analyze netstat.txt          a pasted netstat/ss/sockstat output from any OS (or - for stdin)
  tcpstate check                        monitoring mode: exit 0/1/2/3 for OK/WARNING/CRITICAL/UNKNOWN
  tcpstate explain TIME_WAIT            what a state means, which side is in it, its timers per OS
  tcpstate simulate simultaneous-close  both ends of a connection, step by step
  tcpstate pcap capture.pcapng          both endpoints' states from a capture, Zeek-compatible
  tcpstate watch | record | report | serve   over time, in SQLite, and as a dashboard with /metrics
  tcpstate trace                        every state change as it happens, from the kernel (root)
  tcpstate kill -s close-wait --port 80 close matching sockets like ss -K (dry run without --yes)

Colours only on a terminal; NO_COLOR turns them off, FORCE_COLOR on.
Exit codes: 0 ok, 1 error, 2 usage error, 3 not available here, 4 --strict found an unreadable line,
70 a bug (please report it); check uses 0-3 = OK/WARNING/CRITICAL/UNKNOWN as monitoring plugins do.`,
  );

type Register = (program: Command) => void;

/**
 * Subcommands load on demand: importing all of them (HTTP server, SQLite, capture reader, dashboard assets ...)
 * costs most of a second, which a CLI that is run in loops should not pay for one command.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  explain: async () => (await import('./commands/explain.ts')).registerExplain,
  analyze: async () => (await import('./commands/analyze.ts')).registerAnalyze,
  check: async () => (await import('./commands/check.ts')).registerCheck,
  simulate: async () => (await import('./commands/simulate.ts')).registerSimulate,
  diagram: async () => (await import('./commands/diagram.ts')).registerDiagram,
  pcap: async () => (await import('./commands/pcap.ts')).registerPcap,
  watch: async () => (await import('./commands/watch.ts')).registerWatch,
  record: async () => (await import('./commands/record.ts')).registerRecord,
  report: async () => (await import('./commands/report.ts')).registerReport,
  serve: async () => (await import('./commands/serve.ts')).registerServe,
  trace: async () => (await import('./commands/trace.ts')).registerTrace,
  kill: async () => (await import('./commands/kill.ts')).registerKill,
};

/** The first word of the command line that is not an option or an option's value: the subcommand, if any. */
function firstWord(argv: readonly string[]): string | undefined {
  const takesValue = new Set(
    program.options
      .filter((o) => o.required || o.optional)
      .flatMap((o) => [o.long, o.short].filter(Boolean) as string[]),
  );
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1];
    if (a.startsWith('-')) {
      if (takesValue.has(a)) i++;
      continue;
    }
    return a;
  }
  return undefined;
}

// The bare `tcpstate` is the live snapshot; it is registered on the root program.
registerSnapshot(program);
const argv = process.argv.slice(2);
const word = firstWord(argv);
if (word !== undefined && Object.hasOwn(COMMANDS, word)) {
  (await COMMANDS[word]!())(program);
} else if (word !== undefined && word !== 'help') {
  process.stderr.write(
    `tcpstate: unknown command '${word}' (commands: ${Object.keys(COMMANDS).join(', ')}; see tcpstate --help)\n`,
  );
  process.exit(2);
} else if (word === 'help') {
  // `tcpstate help [command]` is `tcpstate [command] --help`.
  const topic = argv[argv.indexOf('help') + 1];
  if (topic !== undefined && Object.hasOwn(COMMANDS, topic)) {
    (await COMMANDS[topic]!())(program);
    process.argv.splice(2, process.argv.length, topic, '--help');
  } else {
    for (const load of Object.values(COMMANDS)) (await load())(program);
    process.argv.splice(2, process.argv.length, '--help');
  }
} else if (argv.includes('-h') || argv.includes('--help')) {
  for (const load of Object.values(COMMANDS)) (await load())(program);
}

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // `tcpstate | head` closes the pipe early: that is not an error.
  if (error.code === 'EPIPE') process.exit(0);
});

program.parseAsync(process.argv).catch((error: unknown) => {
  process.exitCode = reportError(error);
});
