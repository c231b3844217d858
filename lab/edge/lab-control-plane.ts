// The virtual lab's control plane as a long-lived process on the bridge address (10.77.0.1:6443), so boards reach it
// over the lab network and the harness reads the kubeconfig devices.yaml names. Idempotent, like `lab up`.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { infra } from '../../harness/core/errors.ts';
import { registerSecret } from '../../harness/core/redact.ts';
import { waitFor } from '../../harness/core/wait.ts';
import { ensureBridge } from '../netns/bridge.ts';
import { portOpen } from '../netns/endpoint.ts';
import { cmdline, pidAlive, readText, sleep } from '../netns/host.ts';
import { REPO_DIR } from '../netns/paths.ts';
import { LAB_CONTROL_PLANE, controlPlanePaths } from './paths.ts';

const MAIN = join(REPO_DIR, 'lab/edge/lab-control-plane-main.ts');

export interface LabControlPlane {
  url: string;
  kubeconfigPath: string;
  caFile: string;
  token: string;
  pid: number;
  action: 'started' | 'kept';
}

export interface LabControlPlaneOptions {
  /** node lifecycle grace (ms): no heartbeat this long -> Ready Unknown. Default 20 000 (upstream 40 000). */
  nodeMonitorGracePeriodMs?: number;
  /** listen port on the bridge address (default 6443; tests use another so they never touch the lab's) */
  port?: number;
}

function livePid(stateDir: string): number | undefined {
  const pid = Number(readText(controlPlanePaths(stateDir).pid)?.trim());
  return pidAlive(pid) && cmdline(pid).includes('lab-control-plane-main.ts') ? pid : undefined;
}

function result(stateDir: string, pid: number, action: LabControlPlane['action'], port: number): LabControlPlane {
  const p = controlPlanePaths(stateDir);
  const token = readFileSync(p.token, 'utf8').trim();
  registerSecret(token);
  return { url: `https://${LAB_CONTROL_PLANE.host}:${port}`, kubeconfigPath: p.kubeconfig, caFile: p.ca, token, pid, action };
}

/** Start the lab control plane unless it already runs; the kubeconfig is `<stateDir>/virtual-lab/control-plane/kubeconfig`. */
export async function startLabControlPlane(stateDir: string, opts: LabControlPlaneOptions = {}): Promise<LabControlPlane> {
  const p = controlPlanePaths(stateDir);
  const port = opts.port ?? LAB_CONTROL_PLANE.port;
  const running = livePid(stateDir);
  if (running && (await portOpen(LAB_CONTROL_PLANE.host, port)) && existsSync(p.kubeconfig)) return result(stateDir, running, 'kept', port);
  if (running) await stopLabControlPlane(stateDir);
  await ensureBridge();
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  const out = openSync(p.log, 'a');
  const args = ['--import', 'tsx', MAIN, '--state-dir', p.dir, '--host', LAB_CONTROL_PLANE.host, '--port', String(port), '--san', LAB_CONTROL_PLANE.host, '--grace-ms', String(opts.nodeMonitorGracePeriodMs ?? 20_000)];
  const child = spawn(process.execPath, args, { cwd: REPO_DIR, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  if (!child.pid) throw infra('cannot start the lab control plane');
  writeFileSync(p.pid, `${child.pid}\n`);
  await waitFor(`lab control plane listening on ${LAB_CONTROL_PLANE.host}:${port}`, 60_000, async () => {
    if (!pidAlive(child.pid)) throw infra(`the lab control plane exited; log ${p.log}:\n${(readText(p.log) ?? '').split('\n').slice(-15).join('\n')}`);
    return { done: (await portOpen(LAB_CONTROL_PLANE.host, port)) && existsSync(p.kubeconfig), state: (readText(p.log) ?? '').slice(-300) };
  }, { intervalMs: 200 });
  return result(stateDir, child.pid, 'started', port);
}

export async function stopLabControlPlane(stateDir: string): Promise<void> {
  const pid = livePid(stateDir);
  if (pid) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50 && pidAlive(pid); i++) await sleep(100);
    if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(controlPlanePaths(stateDir).pid, { force: true });
}

export function labControlPlaneStatus(stateDir: string): { running: boolean; pid?: number; kubeconfig: string } {
  const pid = livePid(stateDir);
  return { running: pid !== undefined, pid, kubeconfig: controlPlanePaths(stateDir).kubeconfig };
}
