#!/usr/bin/env node
import { Command } from '@commander-js/extra-typings';
import { registerAnalyze } from './commands/analyze.ts';
import { registerCheck } from './commands/check.ts';
import { registerDiagram } from './commands/diagram.ts';
import { registerExplain } from './commands/explain.ts';
import { registerPcap } from './commands/pcap.ts';
import { registerRecord } from './commands/record.ts';
import { registerReport } from './commands/report.ts';
import { registerServe } from './commands/serve.ts';
import { registerSimulate } from './commands/simulate.ts';
import { registerSnapshot } from './commands/snapshot.ts';
import { registerWatch } from './commands/watch.ts';
import { reportError } from './run.ts';
import { VERSION } from './version.ts';

const program = new Command()
  .name('tcpstate')
  .description(
    'TCP connection-state analysis: what state are my TCP connections in, why, and what should I do about it?',
  )
  .version(VERSION)
  .showHelpAfterError('(run with --help for usage)')
  // Root options (the live view's) must not swallow a subcommand's flags of the same name, such as --json.
  .enablePositionalOptions()
  .configureOutput({ outputError: (text, write) => write(text) })
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

Colours only on a terminal; NO_COLOR turns them off, FORCE_COLOR on.
Exit codes: 0 ok, 1 error, 2 usage error, 3 not available; check uses 0-3 as monitoring plugins do.`,
  );

// The bare `tcpstate` is the live snapshot; it is registered on the root program.
registerSnapshot(program);
registerExplain(program);
registerAnalyze(program);
registerCheck(program);
registerSimulate(program);
registerDiagram(program);
registerPcap(program);
registerWatch(program);
registerRecord(program);
registerReport(program);
registerServe(program);

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // `tcpstate | head` closes the pipe early: that is not an error.
  if (error.code === 'EPIPE') process.exit(0);
});

program.parseAsync(process.argv).catch((error: unknown) => {
  process.exitCode = reportError(error);
});
