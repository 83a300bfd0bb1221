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
  .configureOutput({ outputError: (text, write) => write(text) });

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
