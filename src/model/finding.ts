/** A diagnosis: what is wrong, the evidence, and what to do. Produced by src/diagnose, shown everywhere. */
export type Severity = 'info' | 'warning' | 'critical';

export interface Evidence {
  /** Numbers behind the finding, by name: `close_wait: 2950`, `threshold: 100`, `oldest_s: 2412` ... */
  metrics: Record<string, number | string>;
  /** Top contributors: ports, peers, processes, with their counts. */
  top?: Array<{ kind: 'port' | 'peer' | 'process' | 'destination' | 'listener'; key: string; count: number }>;
  /** A few example sockets, printed `local -> remote STATE`. */
  examples?: string[];
}

export interface Finding {
  /** Stable rule id, e.g. `close-wait-leak`, `time-wait-port-pressure`. */
  rule: string;
  severity: Severity;
  /** One line, with the key numbers: "java (pid 812) leaks sockets to 10.0.0.5:5432: 2,950 in CLOSE_WAIT". */
  title: string;
  /** The same title in Chinese, shown under `--lang zh`. */
  titleZh?: string;
  evidence: Evidence;
  /** Plain-words explanation (English, and Chinese where available). */
  explanation: { en: string; zh?: string };
  /** What to do: application changes and sysctls (with current and suggested values). */
  fix: { en: string; zh?: string; sysctls?: Array<{ name: string; current?: string; suggested: string }> };
  references?: string[];
  /** Data the rule needed but the source lacked (process names, kernel counters, a second snapshot ...). */
  missing?: string[];
  /** The same notes in Chinese, one for one. */
  missingZh?: string[];
}
