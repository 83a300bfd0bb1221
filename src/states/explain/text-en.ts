import type { TcpState } from '../states.ts';
import type { StateText } from './types.ts';

export const TEXT_EN: Record<TcpState, StateText> = {
  LISTEN: {
    summary: 'A server socket waiting for connection requests (SYNs).',
    meaning:
      'The application called listen(): the socket accepts SYNs on its port and hands finished connections to the application through the accept queue. It never carries data itself; every accepted connection is a new socket.',
    side: 'Server (passive opener).',
    enteredBy: ['listen() after bind() (passive OPEN)'],
    leftBy: [
      'close() of the listening socket → CLOSED',
      'a SYN does not change it: the new connection is a separate socket (SYN-RECEIVED)',
    ],
    timer: 'None.',
    manyMeans:
      'Each listening port shows once (per address family and per SO_REUSEPORT socket). On Linux (ss) Recv-Q is the accept queue and Send-Q the backlog: Recv-Q near Send-Q means the application is not calling accept() fast enough, and new handshakes are dropped (ListenOverflows).',
    misconceptions: [
      'Recv-Q on a listener is not bytes: it is the number of connections waiting in the accept queue; Send-Q (ss) is the backlog limit, min(listen() backlog, somaxconn).',
      'Half-open connections (SYN-RECEIVED) are not in the accept queue; they have their own limit (tcp_max_syn_backlog).',
    ],
  },
  SYN_SENT: {
    summary: "Our SYN is out; waiting for the peer's SYN-ACK (first step of the handshake).",
    meaning:
      'The application called connect(): we sent a SYN and wait for the SYN-ACK. If none comes the SYN is retransmitted with exponential backoff until the connection-establishment limit, then connect() fails with ETIMEDOUT.',
    side: 'Client (active opener).',
    enteredBy: ['connect() (active OPEN) → send SYN'],
    leftBy: [
      'SYN-ACK received → send ACK → ESTABLISHED',
      'SYN received without ACK (simultaneous open) → send SYN-ACK → SYN-RECEIVED',
      'RST with an acceptable ACK → CLOSED (connection refused, ECONNREFUSED)',
      'connection-establishment timeout or close() → CLOSED',
    ],
    timer: 'Connection-establishment timer (SYN retransmissions).',
    manyMeans:
      'Connects that are not answered: the destination host is down, or a firewall drops the SYNs (a closed port answers with RST at once, so it does not pile up here). Group by destination to see which one.',
    misconceptions: [
      'A refused connection does not linger in SYN-SENT: the RST ends it at once. Lingering SYN-SENT means silence (drops), not refusal.',
    ],
  },
  SYN_RECEIVED: {
    summary: 'The second step of the handshake: SYN received, SYN-ACK sent, waiting for the final ACK.',
    meaning:
      "A peer's SYN arrived on a listening port and we answered with SYN-ACK; the connection becomes ESTABLISHED when the peer's ACK arrives. The SYN-ACK is retransmitted until the ACK comes or the retries run out.",
    side: 'Server (passive opener); in a simultaneous open, both ends.',
    enteredBy: [
      'SYN received on a listener → send SYN-ACK',
      'SYN received in SYN-SENT (simultaneous open) → send SYN-ACK',
    ],
    leftBy: [
      'ACK of our SYN received → ESTABLISHED (the connection joins the accept queue)',
      'RST received → back to LISTEN (passive open) or CLOSED',
      'SYN-ACK retries exhausted → dropped',
      'close() → send FIN → FIN-WAIT-1',
    ],
    timer: 'SYN-ACK retransmission timer.',
    manyMeans:
      'Handshakes that do not complete: a SYN flood (spoofed sources never send the ACK), clients behind a lossy path, or final ACKs dropped because the accept queue is full. Compare with ListenOverflows/ListenDrops and check tcp_syncookies.',
    misconceptions: [
      'SYN-RECEIVED is the second step of the three-way handshake, on the side that received the SYN; it is not "the client received something".',
      'On Linux these are request sockets (TCP_NEW_SYN_RECV, shown as SYN-RECV): lightweight entries, not full sockets, with no inode and no owning process.',
    ],
  },
  ESTABLISHED: {
    summary: 'The connection is open; data flows both ways.',
    meaning:
      'The three-way handshake is complete. This is the normal state for the whole life of a connection; either side may send data until one of them closes.',
    side: 'Both ends.',
    enteredBy: ['SYN-ACK received in SYN-SENT → send ACK', 'ACK of our SYN-ACK received in SYN-RECEIVED'],
    leftBy: [
      'close() or shutdown(SHUT_WR) → send FIN → FIN-WAIT-1 (active close)',
      'FIN received → send ACK → CLOSE-WAIT (passive close)',
      'RST received or abort → CLOSED',
    ],
    timer: 'No state timer; keepalive (if enabled) and the retransmission timer for unacknowledged data.',
    manyMeans:
      'Normal. Watch the queues instead: a growing Recv-Q means the local application reads too slowly; a growing Send-Q means the peer or the path does not keep up.',
    misconceptions: [
      'ESTABLISHED does not prove the peer is alive: if the peer vanished without a FIN or RST and nothing is sent, the socket stays ESTABLISHED until keepalive (off by default) or a write notices.',
    ],
  },
  FIN_WAIT_1: {
    summary: 'We closed and sent our FIN; waiting for it to be acknowledged.',
    meaning:
      'The application closed (or shut down writing) first, so we are the active closer. Our FIN has been sent (on Linux: queued behind any unsent data) and we wait for the peer to acknowledge it.',
    side: 'Active closer (client or server, whoever closes first).',
    enteredBy: [
      'close() or shutdown(SHUT_WR) in ESTABLISHED → send FIN',
      'close() in SYN-RECEIVED → send FIN',
    ],
    leftBy: [
      'ACK of our FIN received → FIN-WAIT-2',
      'FIN received before our FIN is acknowledged → send ACK → CLOSING (simultaneous close)',
      'FIN and ACK of our FIN together → send ACK → TIME-WAIT',
      'retransmissions exhausted or RST → CLOSED',
    ],
    timer: 'Retransmission timer for the FIN (and any queued data).',
    manyMeans:
      'The peer is not acknowledging: it advertises a zero window (it stopped reading while we still have data queued), or it is gone. These are often orphans (the application already closed them), which count against tcp_max_orphans.',
    misconceptions: [
      'FIN-WAIT-1 normally lasts one round trip; a pile-up is about the peer or the path, not about the local application.',
    ],
  },
  FIN_WAIT_2: {
    summary: 'Our FIN was acknowledged; waiting for the peer to close its side.',
    meaning:
      'Our direction is closed and acknowledged. The peer may still send data (half-close) until it sends its own FIN. We are waiting for that FIN.',
    side: 'Active closer.',
    enteredBy: ['ACK of our FIN received in FIN-WAIT-1'],
    leftBy: [
      'FIN received → send ACK → TIME-WAIT',
      'FIN-WAIT-2 timeout (orphaned sockets) → CLOSED',
      'RST received → CLOSED',
    ],
    timer: 'Not in the RFC; stacks add a FIN-WAIT-2 timer for sockets the application has closed.',
    manyMeans:
      'The peer application has not closed its side: it keeps the connection half-open (a bug or a long half-close on its side). On Linux orphaned FIN-WAIT-2 sockets disappear after tcp_fin_timeout; ones the application only shut down for writing wait forever.',
    misconceptions: [
      'tcp_fin_timeout bounds FIN-WAIT-2 of orphaned sockets, not TIME-WAIT.',
      'A socket after shutdown(SHUT_WR) (not close()) can stay in FIN-WAIT-2 forever: no timer applies while the application still holds it.',
    ],
  },
  CLOSE_WAIT: {
    summary: 'The peer closed its side; waiting for OUR application to close().',
    meaning:
      'The peer sent a FIN: it will send no more data. The kernel acknowledged it and told the application (read() returns 0). The connection stays here until the local application calls close(); only then is our FIN sent.',
    side: 'Passive closer (the side that received the first FIN).',
    enteredBy: ['FIN received in ESTABLISHED (or SYN-RECEIVED) → send ACK'],
    leftBy: ['close() by the local application → send FIN → LAST-ACK', 'RST received → CLOSED'],
    timer: 'None: nothing but the application ends it.',
    manyMeans:
      'An application bug: the program does not close sockets after the peer hangs up (a leak, often in a connection pool or an error path). They accumulate and hold file descriptors and memory. Find the process (-p) and fix the code; no sysctl cures it.',
    misconceptions: [
      'CLOSE-WAIT does not time out and is not a kernel or network problem: the local application must call close().',
      'The side in CLOSE-WAIT is the one that did NOT close first.',
    ],
  },
  CLOSING: {
    summary: 'Both sides closed at once (simultaneous close): waiting for the ACK of our FIN.',
    meaning:
      "We sent our FIN and, before it was acknowledged, received the peer's FIN: both ends are closing at the same time. We acknowledged the peer's FIN and wait for the ACK of ours, then go to TIME-WAIT.",
    side: 'Both ends in a simultaneous close.',
    enteredBy: ['FIN received in FIN-WAIT-1 before our FIN is acknowledged → send ACK'],
    leftBy: ['ACK of our FIN received → TIME-WAIT', 'retransmissions exhausted or RST → CLOSED'],
    timer: 'Retransmission timer for our FIN.',
    manyMeans:
      'Rare and short. Many CLOSING sockets mean the ACKs of our FINs are being lost: look at packet loss on the path.',
    misconceptions: [
      "CLOSING is entered by receiving the peer's FIN before our own FIN is acknowledged (the simultaneous close), not by a timer and not by a slow close.",
    ],
  },
  LAST_ACK: {
    summary: 'The passive closer closed too; waiting for the ACK of its FIN.',
    meaning:
      'The peer closed first (we were in CLOSE-WAIT); now our application closed and sent its FIN. When the peer acknowledges it, the connection is gone; this side does not go through TIME-WAIT.',
    side: 'Passive closer.',
    enteredBy: ['close() in CLOSE-WAIT → send FIN'],
    leftBy: ['ACK of our FIN received → CLOSED', 'retransmissions exhausted or RST → CLOSED'],
    timer: 'Retransmission timer for our FIN.',
    manyMeans:
      'The final ACKs do not arrive: the peer vanished after sending its FIN, or a firewall drops them.',
    misconceptions: [
      'Only the active closer goes through TIME-WAIT; the passive closer ends in LAST-ACK → CLOSED.',
    ],
  },
  TIME_WAIT: {
    summary: 'The active closer waits 2 x MSL so old segments die out and a lost final ACK can be re-sent.',
    meaning:
      'Both FINs were exchanged. The side that closed first keeps the 4-tuple reserved for 2 x MSL (Maximum Segment Lifetime) for two reasons: if its last ACK was lost, the peer will retransmit its FIN and must be answered again; and delayed segments of this connection must not be mistaken for a new connection on the same 4-tuple.',
    side: 'Active closer (whoever closed first: often the client, but a server that closes connections first has them too).',
    enteredBy: [
      'FIN received in FIN-WAIT-2 → send ACK',
      'ACK of our FIN received in CLOSING',
      'FIN+ACK received in FIN-WAIT-1 → send ACK',
    ],
    leftBy: [
      '2 x MSL timer expires → CLOSED',
      'a new SYN for the same 4-tuple with a higher sequence number or timestamp may reuse it (RFC 6191)',
      'RST received: Linux ends TIME-WAIT early (the "TIME-WAIT assassination" hazard of RFC 1337); BSD and macOS ignore the RST',
    ],
    timer: 'TIME-WAIT timer, 2 x MSL.',
    manyMeans:
      'Many short connections closed by this host. Harmless in memory; the risk is ephemeral-port exhaustion towards ONE destination (each 4-tuple is blocked for the TIME-WAIT period). Use connection reuse (keep-alive, pooling); on Linux tcp_tw_reuse lets new outgoing connections reuse them safely with timestamps.',
    misconceptions: [
      'MSL is the Maximum Segment Lifetime (how long a segment can survive in the network), not a segment size.',
      'On Linux TIME-WAIT is 60 s, fixed in the kernel; tcp_fin_timeout does not change it (it bounds FIN-WAIT-2).',
      'TIME-WAIT is on the side that closed first, not necessarily the client.',
      'tcp_tw_recycle no longer exists (removed in Linux 4.12); it broke clients behind NAT.',
    ],
  },
  CLOSED: {
    summary: 'No connection (the fictional state before OPEN and after the end).',
    meaning:
      'RFC 9293 calls CLOSED fictional: there is no connection and no control block. Tools show it for sockets that exist but are not connected (ss UNCONN, net-tools CLOSE): created or bound and not yet listening or connecting, or just closed and not yet freed.',
    side: 'Neither.',
    enteredBy: ['end of TIME-WAIT or LAST-ACK', 'RST or abort', 'connect() refused or timed out'],
    leftBy: ['listen() → LISTEN', 'connect() → send SYN → SYN-SENT'],
    timer: 'None.',
    manyMeans:
      'Sockets created and bound but never used, or left behind by an application that does not close them.',
    misconceptions: [
      'A CLOSED socket has no peer and no connection; it is not "a closed connection still being tracked" (that is TIME-WAIT).',
    ],
  },
};
