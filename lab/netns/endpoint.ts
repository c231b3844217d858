// The lab endpoint: a fixed HTTP answer on the bridge address that board containers must reach through NAT
// (the network suite's "egress to a lab endpoint"). busybox httpd is a real server and costs ~1 MB.
import { openSync, closeSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { connect } from 'node:net';
import { infra } from '../../harness/core/errors.ts';
import { waitFor } from '../../harness/core/wait.ts';
import { cmdline, pidAlive, readText } from './host.ts';
import { ENDPOINT, labPaths } from './paths.ts';

export interface EndpointState {
  running: boolean;
  pid?: number;
  url: string;
}

export const endpointUrl = `http://${ENDPOINT.address}:${ENDPOINT.port}/`;

function livePid(stateDir: string): number | undefined {
  const pid = Number(readText(labPaths(stateDir).endpointPid)?.trim());
  // the pid file may be stale after a host reboot: only our httpd counts
  return pidAlive(pid) && cmdline(pid).includes(`${ENDPOINT.address}:${ENDPOINT.port}`) ? pid : undefined;
}

export function endpointState(stateDir: string): EndpointState {
  const pid = livePid(stateDir);
  return { running: pid !== undefined, pid, url: endpointUrl };
}

export async function ensureEndpoint(stateDir: string): Promise<EndpointState> {
  const cur = endpointState(stateDir);
  if (cur.running) return cur;
  const p = labPaths(stateDir);
  const www = join(p.endpointDir, 'www');
  mkdirSync(www, { recursive: true });
  writeFileSync(join(www, 'index.html'), ENDPOINT.body);
  const out = openSync(p.endpointLog, 'a');
  const child = spawn('/bin/busybox', ['httpd', '-f', '-v', '-p', `${ENDPOINT.address}:${ENDPOINT.port}`, '-h', www], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  child.unref();
  if (!child.pid) throw infra('cannot start the lab endpoint (busybox httpd)');
  writeFileSync(p.endpointPid, `${child.pid}\n`);
  await waitFor('lab endpoint listening', 5_000, async () => ({ done: await portOpen(ENDPOINT.address, ENDPOINT.port), state: readText(p.endpointLog)?.slice(-300) }), {
    intervalMs: 100,
  });
  return { running: true, pid: child.pid, url: endpointUrl };
}

export async function stopEndpoint(stateDir: string): Promise<void> {
  const pid = livePid(stateDir);
  if (pid) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 20 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(labPaths(stateDir).endpointPid, { force: true });
}

export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}
