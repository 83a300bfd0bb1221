import { type KernelChangeFeed, openKernelFeed, type TraceMode } from '../sources/trace/feed.ts';

/** What a long-running command does without the kernel trace, and what a loss of changes costs it. */
export interface TraceUse {
  /** `watch`, `record`, `serve`: the word its messages begin with. */
  command: string;
  /** Said when `--trace auto` cannot trace: `ages are bounds from the looks`. */
  without: string;
  /** Said once, at the first loss of changes (omit to say nothing): `ages it cannot vouch for are ...`. */
  onLoss?: string;
}

/**
 * Opens the kernel trace for watch, record or serve (`--trace auto|on|off`), before their first look, and says
 * on stderr, in one wording for the three: that `auto` could not trace and what the command does instead, and
 * the first time the kernel lost changes (ring buffer full). `on` throws when it cannot trace.
 */
export async function openCommandTrace(
  mode: TraceMode,
  scope: { netns?: string | undefined; nsOf?: number | undefined },
  use: TraceUse,
): Promise<{ feed?: KernelChangeFeed; unavailable?: string }> {
  const kernel = await openKernelFeed(mode, scope);
  if (kernel.unavailable !== undefined && mode === 'auto') {
    process.stderr.write(
      `tcpstate ${use.command}: kernel trace off (${kernel.unavailable}); ${use.without}\n`,
    );
  }
  const onLoss = use.onLoss;
  if (onLoss !== undefined) {
    const off = kernel.feed?.onDropped((total) => {
      off?.();
      process.stderr.write(
        `tcpstate ${use.command}: the kernel trace lost ${total} state changes (ring buffer full); ${onLoss}\n`,
      );
    });
  }
  return kernel;
}
