/** RFC 9293 Figure 5 redrawn with box-drawing characters (the layout of the RFC, our own drawing). */
export const FIGURE = `                                  ┌──────────────┐
                ┌────────────────▶│    CLOSED    │◀──────────────────────────┐
                │  CLOSE          └──────────────┘   active OPEN / snd SYN    │
                │                  │            └──────────────────┐          │
                │  passive OPEN    ▼                               ▼          │ CLOSE, RST,
                │         ┌──────────────┐   SEND / snd SYN  ┌──────────────┐ │ timeout
                └─────────┤    LISTEN    ├──────────────────▶│   SYN-SENT   ├─┘
                          └──────────────┘                   └──────────────┘
                  rcv SYN │      ▲ rcv RST        rcv SYN     │           │ rcv SYN,ACK
          snd SYN,ACK     ▼      │ (passive)   snd SYN,ACK    │           │ snd ACK
                          ┌──────┴───────┐◀───────────────────┘           │
                          │ SYN-RECEIVED │                                │
                          └──────────────┘                                │
            CLOSE / snd FIN │      │ rcv ACK of SYN                       │
                            │      ▼                                      │
                            │   ┌──────────────┐◀─────────────────────────┘
                            │   │ ESTABLISHED  │
                            │   └──────────────┘
                            │  CLOSE │      │ rcv FIN
                            │ snd FIN│      │ snd ACK
                            ▼        ▼      └─────────────────────────┐
                          ┌──────────────┐                            ▼
                          │  FIN-WAIT-1  │                     ┌──────────────┐
                          └──────────────┘                     │  CLOSE-WAIT  │
            rcv ACK of FIN │    │ rcv FIN / snd ACK            └──────────────┘
                           │    └───────────┐                        │ CLOSE
                           ▼                ▼                        ▼ snd FIN
                   ┌──────────────┐  ┌──────────────┐          ┌──────────────┐
                   │  FIN-WAIT-2  │  │   CLOSING    │          │   LAST-ACK   │
                   └──────────────┘  └──────────────┘          └──────────────┘
           rcv FIN /snd ACK │                │ rcv ACK of FIN         │ rcv ACK of FIN
                            ▼                ▼                        ▼
                          ┌──────────────────────┐              ┌──────────────┐
                          │      TIME-WAIT       │─────────────▶│    CLOSED    │
                          └──────────────────────┘ 2MSL timeout └──────────────┘

  FIN-WAIT-1 ── rcv FIN+ACK of our FIN / snd ACK ──▶ TIME-WAIT   (both steps in one segment)
  Not drawn (RFC 9293 Figure 5, Note 3): RST, ABORT and timeouts lead from any state to CLOSED;
  real stacks add the FIN-WAIT-2 timer and a connection-establishment limit.`;
