import type { AddressInfo } from 'node:net';
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
}

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
          serverOptions: { maxHeaderSize: 16 * 1024, requestTimeout: 30_000, headersTimeout: 10_000 },
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
  // Bound the number of sockets a client can hold open.
  (http as { maxConnections?: number }).maxConnections = 1024;
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
