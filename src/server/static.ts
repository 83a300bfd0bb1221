import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built dashboard, loaded into memory once at start. Requests are answered by an exact lookup in this table,
 * never by joining a request path onto the file system, so `..`, encoded slashes or symlinks cannot reach
 * anything outside it.
 */
export interface StaticFile {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  /** Vite's hashed assets never change; index.html must be revalidated. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Where `npm run build:web` puts the dashboard: `<package>/dist/web` (same from src/server and dist/server). */
export function defaultWebRoot(): string {
  return fileURLToPath(new URL('../../dist/web/', import.meta.url));
}

const MAX_FILES = 200;
const MAX_BYTES = 20 * 1024 * 1024;

export function loadStaticFiles(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(root)) return files;
  let bytes = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const type = TYPES[extname(entry.name)];
        if (!type || files.size >= MAX_FILES) continue;
        bytes += statSync(path).size;
        if (bytes > MAX_BYTES) continue;
        const key = `/${relative(root, path).split(sep).join('/')}`;
        files.set(key, {
          body: new Uint8Array(readFileSync(path)),
          type,
          immutable: key.startsWith('/assets/'),
        });
      }
    }
  };
  walk(root);
  return files;
}

export const NOT_BUILT_PAGE = `<!doctype html><meta charset="utf-8"><title>tcpstate</title>
<p>The dashboard is not built in this install. Build it with <code>npm run build:web</code>.
The API works: <a href="/api">/api</a>, <a href="/metrics">/metrics</a>.</p>`;
