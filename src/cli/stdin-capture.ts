import { type CaptureOptions, type CaptureResult, readCaptureStream } from '../capture/pipeline.ts';
import { plural } from '../render/format.ts';

/** After Ctrl-C, how long the writer has to deliver its last bytes and close the pipe before reading stops. */
const STOP_GRACE_MS = 300;

/**
 * Reads a capture piped to stdin until it ends or the user stops it. `tcpdump -w - | tcpstate pcap -` is ended
 * with Ctrl-C, which signals both processes: tcpdump flushes and exits, which ends the pipe; if the writer does
 * not, reading stops after a short grace. Either way what was read is analysed and printed. A second signal
 * exits at once.
 */
export async function readStdinUntilStopped(options: CaptureOptions): Promise<CaptureResult> {
  const stop = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received !== undefined) process.exit(signal === 'SIGINT' ? 130 : 143);
    received = signal;
    setTimeout(() => stop.abort(), STOP_GRACE_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await readCaptureStream(process.stdin, 'stdin', { ...options, signal: stop.signal });
    if (result.stopped) {
      // The writer may still hold the pipe open: let go of it, or the process would wait for it.
      process.stdin.destroy();
      process.stderr.write(
        `tcpstate: stdin: stopped by ${received} after ${plural(result.reader.packets, 'packet')}; what was read follows\n`,
      );
    }
    return result;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
