// Makes the CLI entry executable after the build (neither tsc nor esbuild sets file modes).
import { chmodSync, existsSync } from 'node:fs';

const bin = new URL('../dist/bin/main.js', import.meta.url);
if (existsSync(bin)) chmodSync(bin, 0o755);
