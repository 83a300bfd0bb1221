/**
 * Traffic for the capture benchmark: many short loopback connections with every kind of close, made by one Node
 * process that is both servers and clients. Run inside a throw-away network namespace (bench/capture.ts does):
 *   ip netns exec NS npx tsx bench/capture-traffic.ts CONNECTIONS [CONCURRENCY] [long]
 * Ports: 9001 client closes first, 9002 server closes first, 9003 client aborts (RST), 9004 server aborts (RST),
 * 9005 nothing listens (REJ), 9006 client half-closes and the server answers after its FIN, 9007 bulk transfer
 * (1 MiB). With `long`, every connection instead trades 500 small messages with an echo server on 9008, one at a
 * time, so each message is its own segment: few connections, ~1,000 packets each.
 */
import net from 'node:net';

const total = Number(process.argv[2] ?? 10_000);
const concurrency = Number(process.argv[3] ?? 64);
const long = process.argv[4] === 'long';
const ROUNDS = 500;
const PING = Buffer.from('ping');
const REQUEST = Buffer.from('GET / HTTP/1.0\r\n\r\n');
const RESPONSE = Buffer.alloc(200, 120);
const BULK = Buffer.alloc(1024 * 1024, 98);

function listen(port: number, onConn: (s: net.Socket) => void, allowHalfOpen = false): Promise<net.Server> {
  return new Promise((resolve) => {
    const server = net.createServer({ allowHalfOpen }, (s) => {
      s.on('error', () => {});
      onConn(s);
    });
    server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => resolve(server));
  });
}

const servers = await Promise.all([
  listen(9001, (s) => s.once('data', () => s.write(RESPONSE))),
  listen(9002, (s) => s.once('data', () => s.end(RESPONSE))),
  listen(9003, (s) => s.once('data', () => s.write(RESPONSE))),
  listen(9004, (s) => s.once('data', () => s.resetAndDestroy())),
  listen(
    9006,
    (s) => {
      s.on('data', () => {});
      s.on('end', () => s.end(RESPONSE));
    },
    true,
  ),
  listen(9007, (s) => s.once('data', () => s.end(BULK))),
  listen(9008, (s) => {
    s.setNoDelay(true);
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end());
  }),
]);

const kinds = [9001, 9001, 9001, 9002, 9002, 9003, 9004, 9005, 9006, 9006];
let started = 0;
let finished = 0;
let errors = 0;

/** Ping-pong with the echo server: the next message leaves only when the last one came back. */
function chat(i: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ port: 9008, host: '127.0.0.1', localAddress: `127.0.0.${2 + (i % 8)}` });
    s.setNoDelay(true);
    let rounds = 0;
    s.on('error', () => {
      errors++;
      resolve();
    });
    s.on('close', () => {
      finished++;
      resolve();
    });
    s.once('connect', () => s.write(PING));
    s.on('data', () => {
      if (++rounds < ROUNDS) s.write(PING);
      else s.end();
    });
  });
}

function one(i: number): Promise<void> {
  if (long) return chat(i);
  const port = i % 997 === 0 ? 9007 : kinds[i % kinds.length]!;
  const localAddress = `127.0.0.${2 + (i % 8)}`;
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress, allowHalfOpen: port === 9006 });
    let over = false;
    const done = () => {
      if (over) return;
      over = true;
      finished++;
      resolve();
    };
    s.on('error', () => {
      errors++;
      done();
    });
    s.on('close', done);
    s.once('connect', () => {
      if (port === 9006) {
        s.end(REQUEST);
        s.on('data', () => {});
        s.on('end', () => s.destroy());
        return;
      }
      s.write(REQUEST);
      s.on('data', () => {
        if (port === 9001) s.end();
        else if (port === 9003) s.resetAndDestroy();
      });
      s.on('end', () => s.end());
    });
  });
}

async function worker(): Promise<void> {
  while (started < total) {
    const i = started++;
    await one(i);
  }
}

await Promise.all(Array.from({ length: concurrency }, worker));
for (const server of servers) server.close();
process.stdout.write(`${JSON.stringify({ connections: finished, errors })}\n`);
process.exit(0);
