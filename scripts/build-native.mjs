#!/usr/bin/env node
// Builds the netlink reader's addon (native/) with node-gyp, as `npm install` runs it. It never fails the install:
// where the addon cannot be built (not Linux, no compiler, no Node headers) it prints one line and tcpstate reads
// /proc instead. Nothing is downloaded: node-gyp is pointed at the headers already on the machine.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (why) => console.log(`tcpstate: netlink reader not built (${why}); live views will read /proc`);

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath &&
      join(dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'),
    join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  return candidates.find((p) => p && existsSync(p));
}

/** A folder with include/node/node_api.h, so node-gyp needs no download. */
function nodeDir() {
  const candidates = [
    process.env.npm_config_nodedir,
    resolve(dirname(process.execPath), '..'),
    '/usr',
    '/usr/local',
  ];
  return candidates.find((d) => d && existsSync(join(d, 'include/node/node_api.h')));
}

function main() {
  if (process.platform !== 'linux') return; // sock_diag is Linux only; nothing to say elsewhere
  if (process.env.TCPSTATE_SKIP_NATIVE) return say('TCPSTATE_SKIP_NATIVE is set');
  const gyp = nodeGyp();
  if (gyp === undefined) return say('node-gyp not found');
  const dir = nodeDir();
  if (dir === undefined) return say("Node's headers (include/node/node_api.h) not found");
  const run = spawnSync(process.execPath, [gyp, 'rebuild', '-C', join(root, 'native'), `--nodedir=${dir}`], {
    encoding: 'utf8',
    env: { ...process.env, npm_config_nodedir: dir },
  });
  if (run.status === 0) return;
  const text = `${run.stderr ?? ''}\n${run.stdout ?? ''}`;
  const line =
    text.split('\n').find((l) => /error:|not found|No such file|Error [0-9]/.test(l)) ??
    run.error?.message ??
    `exit ${run.status}`;
  say(line.trim().slice(0, 160));
}

main();
