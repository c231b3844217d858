// What the lab calls: start/stop the edge stand-ins of one netns board (edgecore + EdgeMesh) against the lab control
// plane, and report their state. `lab up` calls edgeUp after the board is up; `lab down` calls edgeDown before.
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { infra, usage } from '../../harness/core/errors.ts';
import { log } from '../../harness/core/log.ts';
import { waitFor } from '../../harness/core/wait.ts';
import type { LabBoard } from '../spec.ts';
import { kubeClient } from './agent/kube-client.ts';
import { buildAgent } from './build-agent.ts';
import { boardInitPid, readFingerprint, rssKb, startSupervised, stopSupervised, supervisedState, writeBoardFile, writeFingerprint } from './board-process.ts';
import { edgeDefects, standInFlags, type EdgeDefect } from './edge-defects.ts';
import { edgedRootDirectory } from '../netns/personality.ts';
import { renderEdgecoreYaml } from './edgecore-yaml.ts';
import type { LabControlPlane } from './lab-control-plane.ts';
import { BOARD, MESH_GATEWAY_ANNOTATION, MESH_GATEWAY_PORT, edgePaths } from './paths.ts';

export { startLabControlPlane, stopLabControlPlane, labControlPlaneStatus, type LabControlPlane } from './lab-control-plane.ts';
export { EDGE_DEFECTS, type EdgeDefect } from './edge-defects.ts';

// the real binary (the host's /usr/local/bin/node is a symlink a board's overlay root may not carry)
const NODE = realpathSync(process.execPath);
// a small young generation keeps an idle Node process near its floor; the budget is edgecore's RSS
// (lite mode: no optimizing compiler; no V8 worker threads): measured -3.5 MB against plain `node`
// (a process's comm is the name it was exec'd by: the kubelet decoy runs sleep through a symlink named kubelet)
const NODE_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=64', '--lite-mode', '--v8-pool-size=0'];

export interface EdgeUpOptions {
  controlPlane: Pick<LabControlPlane, 'url' | 'caFile' | 'token'>;
  stateDir: string;
  /** the board's defects (non-edge names are ignored) */
  defects?: readonly EdgeDefect[];
  /** lab image ref: the pod sandbox image (offline) */
  sandboxImage?: string;
  /** wait for the Node to be Ready (default true; never with edgecore_stopped) */
  waitReadyMs?: number;
}

export interface EdgeUpResult {
  board: string;
  nodeName: string;
  action: 'started' | 'kept';
  ms: number;
}

export interface EdgeStatus {
  board: string;
  nodeName: string;
  edgecore: { running: boolean; pid?: number; supervisor?: number; rssKb?: number };
  edgemesh: { running: boolean; pid?: number; supervisor?: number; rssKb?: number };
  kubeletDecoy: boolean;
  fingerprint?: string;
}

function nodeNameOf(board: LabBoard): string {
  return board.cloud?.nodeName ?? board.id;
}

function requireNetns(board: LabBoard): void {
  if (board.virtual?.kind !== 'netns') throw usage(`board ${board.id}: the edge stand-ins run on netns boards only (a qemu board has no Node.js for them)`);
}

/** Start (or keep) edgecore and EdgeMesh on a running netns board. Idempotent: same config and defects -> kept. */
export async function edgeUp(board: LabBoard, o: EdgeUpOptions): Promise<EdgeUpResult> {
  const t0 = performance.now();
  requireNetns(board);
  const init = boardInitPid(o.stateDir, board.id);
  const p = edgePaths(o.stateDir, board.id);
  const nodeName = nodeNameOf(board);
  const defects = edgeDefects(o.defects ?? []);
  const has = (n: string) => defects.some((d) => d.name === n);
  const agentHash = buildAgent(p.agent);
  // edged's root follows the board's data-root (netns lab, edgedRootDirectory); edgecore_config may still override it
  // (every edgecore_config entry counts: a defect board may carry several, one per check it proves)
  const configs = defects.filter((d) => d.name === 'edgecore_config').map((d) => d.arg as Record<string, string | number | boolean>);
  const overrides = Object.assign({ 'modules.edged.rootDirectory': edgedRootDirectory(o.defects ?? []) }, ...configs);
  const yaml = renderEdgecoreYaml({ nodeName, server: o.controlPlane.url, token: o.controlPlane.token, sandboxImage: o.sandboxImage ?? 'edgecert/busybox:lab', overrides });
  const fp = createHash('sha256').update(yaml).update(agentHash).update(JSON.stringify(defects)).update(String(init)).digest('hex').slice(0, 16);
  const flags = standInFlags(defects);

  const ec = supervisedState(o.stateDir, board.id, 'edgecore');
  const em = supervisedState(o.stateDir, board.id, 'edgemesh');
  const wantEdgecore = !has('edgecore_stopped');
  if (readFingerprint(o.stateDir, board.id) === fp && !!ec.supervisor === wantEdgecore && (!wantEdgecore || ec.child) && em.supervisor && em.child) {
    return { board: board.id, nodeName, action: 'kept', ms: Math.round(performance.now() - t0) };
  }
  await edgeDown(board, { stateDir: o.stateDir });

  // the config and CA the checks read on the board, mode 0600 (they hold the token inline, as seed 002 does)
  writeBoardFile(init, BOARD.config, yaml, 0o600);
  writeBoardFile(init, BOARD.ca, readFileSync(o.controlPlane.caFile), 0o600);
  const edgecoreArgv = [NODE, ...NODE_FLAGS, join(p.agent, 'edgecore.mjs'), '--config', BOARD.config, ...flags.edgecore];
  if (wantEdgecore) {
    // seed 002 problem 6: edged's root dir on a mount only edgecore sees, so dockerd cannot bind what edged writes there
    const argv = has('edgecore_private_root_dir')
      ? ['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'mkdir -p "$0" && mount -t tmpfs edged-private "$0" && exec "$@"', BOARD.rootDirectory, ...edgecoreArgv]
      : edgecoreArgv;
    startSupervised(o.stateDir, board.id, init, 'edgecore', argv);
  }
  startSupervised(o.stateDir, board.id, init, 'edgemesh', [NODE, ...NODE_FLAGS, join(p.agent, 'edgemesh.mjs'), '--node', nodeName, ...flags.edgemesh]);
  if (has('kubelet_running')) startSupervised(o.stateDir, board.id, init, 'kubelet-decoy', ['sh', '-c', 'mkdir -p /run/edgecert && ln -sf "$(command -v sleep)" /run/edgecert/kubelet && exec /run/edgecert/kubelet 2147483647']);
  writeFingerprint(o.stateDir, board.id, fp);

  // a hostnameOverride other than the board's node name (edgecore_config) registers another Node: nothing to wait for
  const renamed = (overrides as Record<string, unknown>)['modules.edged.hostnameOverride'] ?? nodeName;
  if (wantEdgecore && (o.waitReadyMs ?? 60_000) > 0 && !has('edgecore_slow_registration') && renamed === nodeName) {
    await announceGateway(board, o, nodeName);
  }
  log.info(`board ${board.id}: edge stand-ins started (node ${nodeName}${defects.length ? `, defects ${defects.map((d) => d.name).join(', ')}` : ''})`);
  return { board: board.id, nodeName, action: 'started', ms: Math.round(performance.now() - t0) };
}

/**
 * Wait for the Node to register Ready, then record the board's mesh gateway on it (read by the EdgeMesh suite). The
 * route is the lab's configuration, so it is recorded even when edgemesh_proxy_missing leaves nothing listening there.
 */
async function announceGateway(board: LabBoard, o: EdgeUpOptions, nodeName: string): Promise<void> {
  const k = kubeClient({ server: o.controlPlane.url, ca: readFileSync(o.controlPlane.caFile), token: o.controlPlane.token });
  try {
    await waitFor(`node ${nodeName} Ready (edgecore stand-in on ${board.id})`, o.waitReadyMs ?? 60_000, async () => {
      const r = await k.call('GET', `/api/v1/nodes/${nodeName}`);
      const ready = (r.body?.status?.conditions ?? []).find((c: any) => c.type === 'Ready')?.status;
      return { done: r.status === 200 && ready === 'True', state: r.status === 200 ? `Ready=${ready}` : `HTTP ${r.status}` };
    }, { intervalMs: 300 });
    const value = `${board.virtual?.address}:${MESH_GATEWAY_PORT}`;
    await k.must('PATCH', `/api/v1/nodes/${nodeName}`, { metadata: { annotations: { [MESH_GATEWAY_ANNOTATION]: value } } }, 'application/merge-patch+json');
  } catch (e) {
    throw infra(`board ${board.id}: the edgecore stand-in did not bring node ${nodeName} Ready; see ${edgePaths(o.stateDir, board.id).log('edgecore')}`, { cause: e });
  } finally {
    k.close();
  }
}

/** Stop the stand-ins of a board (pods keep running, as when edgecore stops); optionally delete its Node. */
export async function edgeDown(board: LabBoard, o: { stateDir: string; controlPlane?: Pick<LabControlPlane, 'url' | 'caFile' | 'token'> }): Promise<void> {
  await Promise.all(['edgecore', 'edgemesh', 'kubelet-decoy'].map((n) => stopSupervised(o.stateDir, board.id, n)));
  writeFingerprint(o.stateDir, board.id, '');
  if (o.controlPlane) {
    const k = kubeClient({ server: o.controlPlane.url, ca: readFileSync(o.controlPlane.caFile), token: o.controlPlane.token });
    try {
      await k.call('DELETE', `/api/v1/nodes/${nodeNameOf(board)}`).catch(() => undefined);
    } finally {
      k.close();
    }
  }
}

export function edgeStatus(board: LabBoard, o: { stateDir: string }): EdgeStatus {
  const ec = supervisedState(o.stateDir, board.id, 'edgecore');
  const em = supervisedState(o.stateDir, board.id, 'edgemesh');
  return {
    board: board.id,
    nodeName: nodeNameOf(board),
    edgecore: { running: !!ec.child, pid: ec.child, supervisor: ec.supervisor, rssKb: rssKb(ec.child) },
    edgemesh: { running: !!em.child, pid: em.child, supervisor: em.supervisor, rssKb: rssKb(em.child) },
    kubeletDecoy: !!supervisedState(o.stateDir, board.id, 'kubelet-decoy').supervisor,
    fingerprint: readFingerprint(o.stateDir, board.id) || undefined,
  };
}
