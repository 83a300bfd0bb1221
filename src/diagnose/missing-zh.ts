/**
 * The "missing data" notes of the findings in Chinese. The rules write them in English (they are part of the JSON
 * evidence); `diagnose` adds the translation next to them, so a note a rule adds without one is caught by the
 * tests (they check every finding they produce) rather than shown half-translated.
 */
const EXACT: Record<string, string> = {
  'process names (the source printed only PIDs; `netstat -b` or `tasklist` names them)':
    '进程名（来源只列出了 PID；`netstat -b` 或 `tasklist` 可以给出名称）',
  'process owners (run with -p as root, or the source did not print them)':
    '进程归属（以 root 身份加 -p 运行，或者来源没有列出）',
  'socket ages (run with --interval, or use watch/record to see how long they stay)':
    '套接字存在时长（加 --interval 运行，或用 watch/record 观察它们停留多久）',
  'socket ages (run with --interval)': '套接字存在时长（加 --interval 运行）',
  'remote addresses (the source printed only counts per state)': '远端地址（来源只列出了各状态的数量）',
  'a second snapshot (--interval) to turn the counter into a rate':
    '第二次快照（--interval），才能把计数换算成速率',
  'kernel counters (SYN cookies, ListenOverflows) to tell a flood from an overflow':
    '内核计数器（SYN cookies、ListenOverflows），才能区分洪水攻击和队列溢出',
  'a second snapshot (--interval) to tell a momentary queue from a stuck one':
    '第二次快照（--interval），才能区分暂时的排队和卡住的队列',
};

const PATTERNS: ReadonlyArray<readonly [RegExp, (m: RegExpExecArray) => string]> = [
  [
    /^net\.ipv4\.ip_local_port_range \(assumed the (\S+) default (\d+)-(\d+)\)$/,
    (m) => `net.ipv4.ip_local_port_range（假定为 ${m[1]} 的默认范围 ${m[2]}-${m[3]}）`,
  ],
];

/** The Chinese of a missing-data note, or undefined when there is none. */
export function missingInChinese(note: string): string | undefined {
  const exact = EXACT[note];
  if (exact !== undefined) return exact;
  for (const [pattern, render] of PATTERNS) {
    const m = pattern.exec(note);
    if (m) return render(m);
  }
  return undefined;
}
