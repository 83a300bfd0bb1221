import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The dashboard: vanilla TypeScript + uPlot, built into dist/web and served by `tcpstate serve`.
// Everything is bundled (no CDN), so the dashboard works offline.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: 'public',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The server's CSP forbids inline scripts, so nothing may be inlined as a data: module.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:9877', '/metrics': 'http://127.0.0.1:9877' } },
});
