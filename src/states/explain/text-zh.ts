import type { TcpState } from '../states.ts';
import type { StateText } from './types.ts';

export const TEXT_ZH: Record<TcpState, StateText> = {
  LISTEN: {
    summary: '服务器套接字正在等待连接请求（SYN）。',
    meaning:
      '应用程序调用了 listen()：该套接字在其端口上接收 SYN，并通过全连接队列（accept 队列）把完成握手的连接交给应用程序。它本身从不传输数据；每个被 accept() 的连接都是一个新的套接字。',
    side: '服务器端（被动打开方）。',
    enteredBy: ['bind() 之后调用 listen()（被动 OPEN）'],
    leftBy: ['关闭监听套接字 → CLOSED', '收到 SYN 不会改变它：新连接是另一个套接字（SYN-RECEIVED）'],
    timer: '无。',
    manyMeans:
      '每个监听端口只出现一次（按地址族和 SO_REUSEPORT 套接字计）。在 Linux（ss）中，Recv-Q 是全连接队列的长度，Send-Q 是 backlog 上限：Recv-Q 接近 Send-Q 说明应用程序 accept() 不够快，新的握手会被丢弃（ListenOverflows 增加）。',
    misconceptions: [
      '监听套接字的 Recv-Q 不是字节数，而是全连接队列中等待 accept() 的连接数；ss 显示的 Send-Q 是 backlog 上限，即 min(listen() 的 backlog, somaxconn)。',
      '半连接（SYN-RECEIVED）不在全连接队列里，它们有自己的上限（tcp_max_syn_backlog）。',
    ],
  },
  SYN_SENT: {
    summary: '我方已发出 SYN，正在等待对端的 SYN-ACK（三次握手的第一步）。',
    meaning:
      '应用程序调用了 connect()：我方发送 SYN 并等待 SYN-ACK。若一直收不到，SYN 会按指数退避重传，直到超过建立连接的时限，connect() 以 ETIMEDOUT 失败。',
    side: '客户端（主动打开方）。',
    enteredBy: ['connect()（主动 OPEN）→ 发送 SYN'],
    leftBy: [
      '收到 SYN-ACK → 发送 ACK → ESTABLISHED',
      '收到不带 ACK 的 SYN（同时打开）→ 发送 SYN-ACK → SYN-RECEIVED',
      '收到带有可接受 ACK 的 RST → CLOSED（连接被拒绝，ECONNREFUSED）',
      '建立连接超时或 close() → CLOSED',
    ],
    timer: '建立连接定时器（SYN 重传）。',
    manyMeans:
      '发出的连接请求没有应答：目标主机宕机，或防火墙丢弃了 SYN（端口未开放时对方会立即回 RST，不会堆积在这里）。按目的地址分组即可看出是哪一个。',
    misconceptions: [
      '被拒绝的连接不会停留在 SYN-SENT：RST 会立即结束它。长时间的 SYN-SENT 意味着报文被静默丢弃，而不是被拒绝。',
    ],
  },
  SYN_RECEIVED: {
    summary: '三次握手的第二步：已收到 SYN 并回复 SYN-ACK，正在等待最后的 ACK。',
    meaning:
      '对端的 SYN 到达了监听端口，我方回复了 SYN-ACK；收到对端的 ACK 后连接进入 ESTABLISHED。在收到 ACK 或重传次数用尽之前，SYN-ACK 会被重传。',
    side: '服务器端（被动打开方）；同时打开时双方都会经过此状态。',
    enteredBy: ['监听套接字收到 SYN → 发送 SYN-ACK', '在 SYN-SENT 中收到 SYN（同时打开）→ 发送 SYN-ACK'],
    leftBy: [
      '收到对我方 SYN 的确认 → ESTABLISHED（连接进入全连接队列）',
      '收到 RST → 回到 LISTEN（被动打开）或 CLOSED',
      'SYN-ACK 重传次数用尽 → 丢弃',
      'close() → 发送 FIN → FIN-WAIT-1',
    ],
    timer: 'SYN-ACK 重传定时器。',
    manyMeans:
      '握手没有完成：SYN 洪水攻击（伪造的源地址永远不会回 ACK）、客户端所在路径丢包严重，或因全连接队列已满而丢弃了最后的 ACK。请对照 ListenOverflows/ListenDrops 计数，并检查 tcp_syncookies。',
    misconceptions: [
      'SYN-RECEIVED 是三次握手的第二步，处于收到 SYN 的一方；它并不是“客户端收到了什么”。',
      '在 Linux 上这些是请求套接字（TCP_NEW_SYN_RECV，显示为 SYN-RECV）：轻量的条目而非完整的套接字，没有 inode，也不属于任何进程。',
    ],
  },
  ESTABLISHED: {
    summary: '连接已建立，数据可以双向传输。',
    meaning: '三次握手已完成。这是连接整个生命周期中的正常状态；在任何一方关闭之前，双方都可以发送数据。',
    side: '通信双方。',
    enteredBy: ['在 SYN-SENT 中收到 SYN-ACK → 发送 ACK', '在 SYN-RECEIVED 中收到对 SYN-ACK 的确认'],
    leftBy: [
      'close() 或 shutdown(SHUT_WR) → 发送 FIN → FIN-WAIT-1（主动关闭）',
      '收到 FIN → 发送 ACK → CLOSE-WAIT（被动关闭）',
      '收到 RST 或中止连接 → CLOSED',
    ],
    timer: '没有状态定时器；只有保活定时器（若启用）和未确认数据的重传定时器。',
    manyMeans:
      '正常现象。应关注队列：Recv-Q 持续增长说明本地应用读取太慢；Send-Q 持续增长说明对端或网络路径跟不上。',
    misconceptions: [
      'ESTABLISHED 并不代表对端仍然存活：如果对端没有发送 FIN 或 RST 就消失了，而本方又不发送数据，该套接字会一直停留在 ESTABLISHED，直到保活机制（默认关闭）或一次写操作发现异常。',
    ],
  },
  FIN_WAIT_1: {
    summary: '我方已关闭并发出 FIN，正在等待对方确认。',
    meaning:
      '应用程序先关闭了连接（或关闭了写方向），因此我方是主动关闭方。FIN 已发出（在 Linux 上是排在未发送数据之后），正在等待对端确认。',
    side: '主动关闭方（客户端或服务器，谁先关闭就是谁）。',
    enteredBy: [
      '在 ESTABLISHED 中 close() 或 shutdown(SHUT_WR) → 发送 FIN',
      '在 SYN-RECEIVED 中 close() → 发送 FIN',
    ],
    leftBy: [
      '收到对我方 FIN 的 ACK → FIN-WAIT-2',
      '在 FIN 被确认之前收到对端的 FIN → 发送 ACK → CLOSING（同时关闭）',
      '同时收到 FIN 和对我方 FIN 的确认 → 发送 ACK → TIME-WAIT',
      '重传次数用尽或收到 RST → CLOSED',
    ],
    timer: 'FIN（以及排队数据）的重传定时器。',
    manyMeans:
      '对端没有确认：它通告了零窗口（我方仍有数据排队时对方停止了读取），或者对端已经消失。这些套接字通常是孤儿套接字（应用程序已关闭它们），计入 tcp_max_orphans。',
    misconceptions: [
      'FIN-WAIT-1 通常只持续一个往返时间；大量堆积的原因在对端或网络路径，而不在本地应用程序。',
    ],
  },
  FIN_WAIT_2: {
    summary: '我方的 FIN 已被确认，正在等待对端关闭它那一侧。',
    meaning:
      '我方的发送方向已经关闭并得到确认。对端仍可以继续发送数据（半关闭），直到它发出自己的 FIN。我方正在等待这个 FIN。',
    side: '主动关闭方。',
    enteredBy: ['在 FIN-WAIT-1 中收到对我方 FIN 的 ACK'],
    leftBy: ['收到 FIN → 发送 ACK → TIME-WAIT', 'FIN-WAIT-2 超时（孤儿套接字）→ CLOSED', '收到 RST → CLOSED'],
    timer: 'RFC 中没有；各协议栈为已被应用程序关闭的套接字增加了 FIN-WAIT-2 定时器。',
    manyMeans:
      '对端应用程序没有关闭它那一侧：连接被保持在半关闭状态（对端的 bug 或长时间的半关闭）。在 Linux 上，孤儿 FIN-WAIT-2 套接字会在 tcp_fin_timeout 后消失；只调用了 shutdown 关闭写方向的套接字会一直等待。',
    misconceptions: [
      'tcp_fin_timeout 限制的是孤儿套接字的 FIN-WAIT-2 时间，而不是 TIME-WAIT。',
      '调用 shutdown(SHUT_WR)（而不是 close()）的套接字可能永远停留在 FIN-WAIT-2：只要应用程序还持有它，就没有定时器起作用。',
    ],
  },
  CLOSE_WAIT: {
    summary: '对端已关闭它那一侧，正在等待我方应用程序调用 close()。',
    meaning:
      '对端发送了 FIN：它不会再发送数据。内核已经确认并通知了应用程序（read() 返回 0）。连接会一直停留在这里，直到本地应用程序调用 close()，之后我方才会发出 FIN。',
    side: '被动关闭方（收到第一个 FIN 的一方）。',
    enteredBy: ['在 ESTABLISHED（或 SYN-RECEIVED）中收到 FIN → 发送 ACK'],
    leftBy: ['本地应用程序 close() → 发送 FIN → LAST-ACK', '收到 RST → CLOSED'],
    timer: '无：只有应用程序才能结束它。',
    manyMeans:
      '应用程序的 bug：对端断开后程序没有关闭套接字（资源泄漏，常见于连接池或错误处理路径）。它们不断累积，占用文件描述符和内存。用 -p 找到对应进程并修复代码；任何 sysctl 都无法解决。',
    misconceptions: [
      'CLOSE-WAIT 不会超时，也不是内核或网络的问题：必须由本地应用程序调用 close()。',
      '处于 CLOSE-WAIT 的是没有先关闭的一方。',
    ],
  },
  CLOSING: {
    summary: '双方同时关闭（同时关闭）：正在等待对我方 FIN 的确认。',
    meaning:
      '我方发出了 FIN，在它被确认之前又收到了对端的 FIN：双方同时在关闭连接。我方已确认对端的 FIN，正在等待对我方 FIN 的确认，之后进入 TIME-WAIT。',
    side: '同时关闭时的通信双方。',
    enteredBy: ['在 FIN-WAIT-1 中、我方 FIN 被确认之前收到对端 FIN → 发送 ACK'],
    leftBy: ['收到对我方 FIN 的 ACK → TIME-WAIT', '重传次数用尽或收到 RST → CLOSED'],
    timer: '我方 FIN 的重传定时器。',
    manyMeans: '罕见且短暂。大量 CLOSING 说明对我方 FIN 的确认在丢失：请检查路径上的丢包。',
    misconceptions: [
      '进入 CLOSING 的原因是在我方 FIN 被确认之前收到了对端的 FIN（同时关闭），而不是定时器，也不是关闭得慢。',
    ],
  },
  LAST_ACK: {
    summary: '被动关闭方也已关闭，正在等待对其 FIN 的确认。',
    meaning:
      '对端先关闭（我方曾处于 CLOSE-WAIT）；现在我方应用程序也关闭并发出了 FIN。对端确认后连接即结束；这一方不经过 TIME-WAIT。',
    side: '被动关闭方。',
    enteredBy: ['在 CLOSE-WAIT 中 close() → 发送 FIN'],
    leftBy: ['收到对我方 FIN 的 ACK → CLOSED', '重传次数用尽或收到 RST → CLOSED'],
    timer: '我方 FIN 的重传定时器。',
    manyMeans: '最后的 ACK 没有到达：对端在发出 FIN 后消失了，或者防火墙丢弃了这些 ACK。',
    misconceptions: ['只有主动关闭方才经过 TIME-WAIT；被动关闭方经由 LAST-ACK → CLOSED 结束。'],
  },
  TIME_WAIT: {
    summary: '主动关闭方等待 2 × MSL，让旧报文在网络中消亡，并能重发丢失的最后一个 ACK。',
    meaning:
      '双方的 FIN 都已交换完毕（四次挥手结束）。先关闭的一方将该四元组保留 2 × MSL（最大报文段生存时间），原因有二：如果最后的 ACK 丢失，对端会重传 FIN，必须能再次应答；同时，本连接迟到的报文不能被误认为是同一四元组上新连接的报文。',
    side: '主动关闭方（先关闭的一方：通常是客户端，但主动关闭连接的服务器同样会有）。',
    enteredBy: [
      '在 FIN-WAIT-2 中收到 FIN → 发送 ACK',
      '在 CLOSING 中收到对我方 FIN 的 ACK',
      '在 FIN-WAIT-1 中收到 FIN+ACK → 发送 ACK',
    ],
    leftBy: [
      '2 × MSL 定时器到期 → CLOSED',
      '同一四元组上序号或时间戳更大的新 SYN 可以复用它（RFC 6191）',
      '收到 RST：Linux 会提前结束（RFC 1337 所述的 TIME-WAIT 暗杀问题）；BSD 和 macOS 会忽略',
    ],
    timer: 'TIME-WAIT 定时器，2 × MSL。',
    manyMeans:
      '本机主动关闭了大量短连接。它们占用的内存很少；真正的风险是连向同一个目的地址时临时端口耗尽（每个四元组在 TIME-WAIT 期间都无法使用）。应复用连接（keep-alive、连接池）；在 Linux 上，tcp_tw_reuse 允许新的出站连接借助时间戳安全地复用它们。',
    misconceptions: [
      'MSL 是最大报文段生存时间（Maximum Segment Lifetime，报文在网络中能存活的最长时间），而不是报文段的大小。',
      '在 Linux 上 TIME-WAIT 固定为 60 秒，写死在内核中；tcp_fin_timeout 不能改变它（它限制的是 FIN-WAIT-2）。',
      'TIME-WAIT 出现在先关闭的一方，不一定是客户端。',
      'tcp_tw_recycle 已不存在（Linux 4.12 中移除），它会导致 NAT 后面的客户端连接失败。',
    ],
  },
  CLOSED: {
    summary: '没有连接（OPEN 之前和连接结束之后的虚拟状态）。',
    meaning:
      'RFC 9293 称 CLOSED 为虚拟状态：既没有连接，也没有传输控制块（TCB）。工具会把已存在但未连接的套接字显示为此状态（ss 的 UNCONN、net-tools 的 CLOSE）：已创建或已绑定但尚未监听或连接，或刚关闭尚未释放。',
    side: '不属于任何一方。',
    enteredBy: ['TIME-WAIT 或 LAST-ACK 结束', '收到 RST 或中止连接', 'connect() 被拒绝或超时'],
    leftBy: ['listen() → LISTEN', 'connect() → 发送 SYN → SYN-SENT'],
    timer: '无。',
    manyMeans: '创建并绑定后从未使用的套接字，或应用程序没有关闭而遗留下来的套接字。',
    misconceptions: ['CLOSED 的套接字没有对端，也没有连接；它不是“仍被跟踪的已关闭连接”（那是 TIME-WAIT）。'],
  },
};
