/**
 * The eleven TCP states of RFC 9293 §3.3.2, and every spelling the sources use for them.
 * Canonical identifiers use underscores so they are valid as JSON keys, Prometheus label values and shell words.
 */
export const TCP_STATES = [
  'LISTEN',
  'SYN_SENT',
  'SYN_RECEIVED',
  'ESTABLISHED',
  'FIN_WAIT_1',
  'FIN_WAIT_2',
  'CLOSE_WAIT',
  'CLOSING',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSED',
] as const;

export type TcpState = (typeof TCP_STATES)[number];

/** How a state name is printed: `--names rfc|linux|ss|bsd|windows`. */
export const NAME_STYLES = ['rfc', 'linux', 'ss', 'bsd', 'windows'] as const;
export type NameStyle = (typeof NAME_STYLES)[number];

const DISPLAY: Record<NameStyle, Record<TcpState, string>> = {
  rfc: {
    LISTEN: 'LISTEN',
    SYN_SENT: 'SYN-SENT',
    SYN_RECEIVED: 'SYN-RECEIVED',
    ESTABLISHED: 'ESTABLISHED',
    FIN_WAIT_1: 'FIN-WAIT-1',
    FIN_WAIT_2: 'FIN-WAIT-2',
    CLOSE_WAIT: 'CLOSE-WAIT',
    CLOSING: 'CLOSING',
    LAST_ACK: 'LAST-ACK',
    TIME_WAIT: 'TIME-WAIT',
    CLOSED: 'CLOSED',
  },
  linux: {
    LISTEN: 'LISTEN',
    SYN_SENT: 'SYN_SENT',
    SYN_RECEIVED: 'SYN_RECV',
    ESTABLISHED: 'ESTABLISHED',
    FIN_WAIT_1: 'FIN_WAIT1',
    FIN_WAIT_2: 'FIN_WAIT2',
    CLOSE_WAIT: 'CLOSE_WAIT',
    CLOSING: 'CLOSING',
    LAST_ACK: 'LAST_ACK',
    TIME_WAIT: 'TIME_WAIT',
    CLOSED: 'CLOSE',
  },
  ss: {
    LISTEN: 'LISTEN',
    SYN_SENT: 'SYN-SENT',
    SYN_RECEIVED: 'SYN-RECV',
    ESTABLISHED: 'ESTAB',
    FIN_WAIT_1: 'FIN-WAIT-1',
    FIN_WAIT_2: 'FIN-WAIT-2',
    CLOSE_WAIT: 'CLOSE-WAIT',
    CLOSING: 'CLOSING',
    LAST_ACK: 'LAST-ACK',
    TIME_WAIT: 'TIME-WAIT',
    CLOSED: 'UNCONN',
  },
  bsd: {
    LISTEN: 'LISTEN',
    SYN_SENT: 'SYN_SENT',
    SYN_RECEIVED: 'SYN_RCVD',
    ESTABLISHED: 'ESTABLISHED',
    FIN_WAIT_1: 'FIN_WAIT_1',
    FIN_WAIT_2: 'FIN_WAIT_2',
    CLOSE_WAIT: 'CLOSE_WAIT',
    CLOSING: 'CLOSING',
    LAST_ACK: 'LAST_ACK',
    TIME_WAIT: 'TIME_WAIT',
    CLOSED: 'CLOSED',
  },
  windows: {
    LISTEN: 'LISTENING',
    SYN_SENT: 'SYN_SENT',
    SYN_RECEIVED: 'SYN_RECEIVED',
    ESTABLISHED: 'ESTABLISHED',
    FIN_WAIT_1: 'FIN_WAIT_1',
    FIN_WAIT_2: 'FIN_WAIT_2',
    CLOSE_WAIT: 'CLOSE_WAIT',
    CLOSING: 'CLOSING',
    LAST_ACK: 'LAST_ACK',
    TIME_WAIT: 'TIME_WAIT',
    CLOSED: 'CLOSED',
  },
};

/** Prints a state in the chosen style (default: the RFC's hyphenated names). */
export function stateName(state: TcpState, style: NameStyle = 'rfc'): string {
  return DISPLAY[style][state];
}

/**
 * Extra spellings seen in the wild, beyond the display styles above: localized Windows (German), gettext-localized
 * Linux net-tools (de, pt_BR, cs, sv, ca), PowerShell's Get-NetTCPConnection, ss/proc aliases and mis-decoded bytes.
 * Keys are normalized with `normalizeSpelling`. Sources: the tools' own output and man pages (netstat(8), ss(8), FreeBSD netstat(1), Microsoft's netstat and Get-NetTCPConnection documentation) and net-tools' gettext catalogs.
 */
const EXTRA_SPELLINGS: Record<string, TcpState> = {
  // ss aliases and kernel extras
  ESTAB: 'ESTABLISHED',
  SYNRECV: 'SYN_RECEIVED',
  SYNRCV: 'SYN_RECEIVED',
  SYNRCVD: 'SYN_RECEIVED',
  SYNRECEIVED: 'SYN_RECEIVED',
  NEWSYNRECV: 'SYN_RECEIVED',
  SYNSENT: 'SYN_SENT',
  FINWAIT1: 'FIN_WAIT_1',
  FINWAIT2: 'FIN_WAIT_2',
  LISTENING: 'LISTEN',
  CLOSE: 'CLOSED',
  UNCONN: 'CLOSED',
  // German Windows (observed: ABHÖREN, HERGESTELLT, WARTEND, SCHLIESSEN_WARTEN, FIN_WARTEN_2)
  ABHOREN: 'LISTEN',
  ABHREN: 'LISTEN',
  HERGESTELLT: 'ESTABLISHED',
  WARTEND: 'TIME_WAIT',
  SCHLIESSENWARTEN: 'CLOSE_WAIT',
  SCHLIEENWARTEN: 'CLOSE_WAIT',
  FINWARTEN1: 'FIN_WAIT_1',
  FINWARTEN2: 'FIN_WAIT_2',
  SYNGESENDET: 'SYN_SENT',
  SYNEMPFANGEN: 'SYN_RECEIVED',
  SCHLIESSEND: 'CLOSING',
  LETZTESACK: 'LAST_ACK',
  GESCHLOSSEN: 'CLOSED',
  // German net-tools gettext
  VERBUNDEN: 'ESTABLISHED',
  HORT: 'LISTEN',
  // Brazilian Portuguese net-tools
  ESTABELECIDA: 'ESTABLISHED',
  SYNENVIADO: 'SYN_SENT',
  SYNRECEBIDO: 'SYN_RECEIVED',
  ESPERAFIN1: 'FIN_WAIT_1',
  ESPERAFIN2: 'FIN_WAIT_2',
  FECHAR: 'CLOSED',
  ESPERANDOFECHAR: 'CLOSE_WAIT',
  ULTIMOACK: 'LAST_ACK',
  OUCA: 'LISTEN',
  FECHANDO: 'CLOSING',
  // Czech net-tools
  SPOJENO: 'ESTABLISHED',
  ZAVREN: 'CLOSED',
  POSLEDNIACK: 'LAST_ACK',
  NASLOUCHA: 'LISTEN',
  ZAVIRA: 'CLOSING',
  // Swedish net-tools
  ETABLERAD: 'ESTABLISHED',
  STANG: 'CLOSED',
  STANGVANTA: 'CLOSE_WAIT',
  LYSSNAR: 'LISTEN',
  STANGER: 'CLOSING',
  // Catalan net-tools
  ESTABLERT: 'ESTABLISHED',
  TEMPS: 'TIME_WAIT',
  TANCA: 'CLOSED',
};

/** Upper-cases, strips accents, and drops separators and undecodable bytes, so `Fin-Wait-1`, `FIN_WAIT1` and
 * `fin wait 1` meet, and `ABH�REN` / `ABH™REN` (mis-decoded Ö) meet `ABHOREN` or `ABHREN`. */
export function normalizeSpelling(word: string): string {
  return word
    .replace(/\u2122/g, '') // ™: how cp850's Ö (0x99) shows when read as cp1252
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/ß/g, 'SS')
    .replace(/[^A-Z0-9]/g, '');
}

const LOOKUP: Map<string, TcpState> = (() => {
  const map = new Map<string, TcpState>();
  for (const style of NAME_STYLES) {
    for (const state of TCP_STATES) map.set(normalizeSpelling(DISPLAY[style][state]), state);
  }
  for (const state of TCP_STATES) map.set(normalizeSpelling(state), state);
  for (const [word, state] of Object.entries(EXTRA_SPELLINGS)) map.set(word, state);
  return map;
})();

/** Reads any known spelling of a state (case-insensitive, any separator); undefined when unknown. */
export function parseState(word: string): TcpState | undefined {
  return LOOKUP.get(normalizeSpelling(word));
}

/** Linux `/proc/net/tcp` `st` values (include/net/tcp_states.h). 0x0C NEW_SYN_RECV is printed as 03 by the kernel. */
const LINUX_HEX: Record<number, TcpState> = {
  1: 'ESTABLISHED',
  2: 'SYN_SENT',
  3: 'SYN_RECEIVED',
  4: 'FIN_WAIT_1',
  5: 'FIN_WAIT_2',
  6: 'TIME_WAIT',
  7: 'CLOSED',
  8: 'CLOSE_WAIT',
  9: 'LAST_ACK',
  10: 'LISTEN',
  11: 'CLOSING',
  12: 'SYN_RECEIVED',
};

export function stateFromLinuxCode(code: number): TcpState | undefined {
  return LINUX_HEX[code];
}

/** ss-style state groups (ss.c `scan_state`). */
export const STATE_GROUPS: Record<string, readonly TcpState[]> = {
  all: TCP_STATES,
  connected: TCP_STATES.filter((s) => s !== 'LISTEN' && s !== 'CLOSED'),
  synchronized: TCP_STATES.filter((s) => s !== 'LISTEN' && s !== 'CLOSED' && s !== 'SYN_SENT'),
  bucket: ['SYN_RECEIVED', 'TIME_WAIT'],
  big: TCP_STATES.filter((s) => s !== 'SYN_RECEIVED' && s !== 'TIME_WAIT'),
};

/**
 * Reads a state or a state group as a user types it after `--state`: `time-wait`, `TIME_WAIT`, `established`,
 * `connected`, `syn-rcv`, `close` ... Returns the set of states, or undefined when the word is neither.
 */
export function parseStateOrGroup(word: string): readonly TcpState[] | undefined {
  const group = STATE_GROUPS[word.toLowerCase()];
  if (group) return group;
  const state = parseState(word);
  return state ? [state] : undefined;
}

export function isTcpState(value: unknown): value is TcpState {
  return typeof value === 'string' && (TCP_STATES as readonly string[]).includes(value);
}
