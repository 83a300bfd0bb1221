import type { AddressInfo, Socket } from 'node:net';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { UsageError } from '../errors.ts';
import { createServerApp, type ServerApp, type ServerAppOptions } from './app.ts';
import { isLoopbackHost } from './security.ts';

export interface StartOptions extends Omit<ServerAppOptions, 'loopbackOnly' | 'clientAddress'> {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Allow a non-loopback bind without a token. */
  insecure?: boolean;
  /** Connections one client address may hold open at once (default 32); more are closed as they arrive. */
  maxConnectionsPerClient?: number;
}

/** All connections at once; one address gets at most `maxConnectionsPerClient` of them. */
const MAX_CONNECTIONS = 1024;
export const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 32;
/**
 * A client has this long to send its request headers. Any real client sends them in one packet; a slow-headers
 * attack (slowloris) drips them to hold the connection. Node checks the timeouts every
 * `connectionsCheckingInterval` (30 s by default, which alone would let a connection live that long).
 */
export const HEADERS_TIMEOUT_MS = 4000;

export interface RunningServer extends ServerApp {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Checks the exposure rules: loopback is free; anything else needs a token or an explicit --insecure. */
export function checkBind(
  host: string,
  token: string | undefined,
  insecure: boolean | undefined,
): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  if (token === undefined && !insecure) {
    throw new UsageError(
      `refusing to listen on ${host} without protection: add --token TOKEN (clients send Authorization: Bearer TOKEN) or --insecure`,
    );
  }
  return token === undefined
    ? `warning: listening on ${host} with no token (--insecure): anyone who can reach this port can read this host's connections`
    : `warning: listening on ${host}; requests need the bearer token`;
}

/** Closes a new connection at once when its address already holds `max` (behind a proxy, raise it). */
function capPerAddress(
  http: { on(event: 'connection', listener: (socket: Socket) => void): unknown },
  max: number,
) {
  const held = new Map<string, number>();
  http.on('connection', (socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const n = held.get(address) ?? 0;
    if (n >= max) {
      socket.destroy();
      return;
    }
    held.set(address, n + 1);
    socket.once('close', () => {
      const left = (held.get(address) ?? 1) - 1;
      if (left > 0) held.set(address, left);
      else held.delete(address);
    });
  });
}

/** Starts the HTTP server after the first snapshot is in, so the first request never finds an empty server. */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 9877;
  checkBind(host, options.token, options.insecure);
  const server = createServerApp({
    ...options,
    loopbackOnly: isLoopbackHost(host),
    clientAddress: (c) => {
      try {
        return getConnInfo(c).remote.address ?? 'unknown';
      } catch {
        return 'unknown';
      }
    },
  });
  await server.start();
  // A source that cannot be read at all (no such namespace, no /proc) is a startup error, not a 503 forever.
  if (!server.sampler.current && server.sampler.lastError) {
    server.stop();
    throw server.sampler.lastError.error;
  }
  const { http, address } = await new Promise<{ http: ReturnType<typeof serve>; address: AddressInfo }>(
    (resolve, reject) => {
      const http = serve(
        {
          fetch: server.app.fetch,
          hostname: host,
          port,
          serverOptions: {
            maxHeaderSize: 16 * 1024,
            requestTimeout: 30_000,
            headersTimeout: HEADERS_TIMEOUT_MS,
            connectionsCheckingInterval: 500,
          },
        },
        (info) => resolve({ http, address: info }),
      );
      http.once('error', (error: NodeJS.ErrnoException) => {
        server.stop();
        reject(
          error.code === 'EADDRINUSE'
            ? new UsageError(`port ${port} on ${host} is in use (choose another with --port)`)
            : error.code === 'EADDRNOTAVAIL'
              ? new UsageError(`cannot listen on ${host}: no such local address`)
              : error,
        );
      });
    },
  );
  // Bound the sockets held open: in all, and per client address so that one address cannot take them all (slow
  // headers from one host made 26 of 29 requests of others fail with only the total bound).
  (http as { maxConnections?: number }).maxConnections = MAX_CONNECTIONS;
  capPerAddress(http, options.maxConnectionsPerClient ?? DEFAULT_MAX_CONNECTIONS_PER_CLIENT);
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    ...server,
    host: address.address,
    port: address.port,
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.stop();
        (http as { closeAllConnections?: () => void }).closeAllConnections?.();
        http.close(() => resolve());
      }),
  };
}
