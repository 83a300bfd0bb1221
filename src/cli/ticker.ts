/**
 * Drift-free periodic wake-ups for watch and record: the n-th look is due at start + n × interval, and a look
 * that overran skips the missed slots instead of firing them in a burst. `stop()` wakes a sleeper at once.
 */
export class Ticker {
  private readonly intervalMs: number;
  private readonly start = Date.now();
  private n = 0;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  stopped = false;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  next(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const now = Date.now();
    this.n = Math.max(this.n + 1, Math.ceil((now - this.start) / this.intervalMs));
    const due = this.start + this.n * this.intervalMs;
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, Math.max(0, due - now));
    });
  }

  /** Wakes a pending next() now (a key press, a resize) without stopping. */
  poke(): void {
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }

  stop(): void {
    this.stopped = true;
    this.poke();
  }
}
