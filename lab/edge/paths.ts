// Where the edge stand-ins keep their state, in one place (lab side). Board paths are the paths INSIDE the board.
import { join } from 'node:path';
import { BRIDGE, boardPaths, labDir } from '../netns/paths.ts';

/** The lab control plane listens on the bridge address, so boards reach it over the lab network. */
export const LAB_CONTROL_PLANE = { host: BRIDGE.address, port: 6443 } as const;

/** EdgeMesh's well-known DNS address (its bridge device edgemesh0 carries it). */
export const MESH_DNS_IP = '169.254.96.16';
/** EdgeMesh's tunnel port (upstream edgemesh-agent tunnel listenPort). */
export const MESH_TUNNEL_PORT = 20006;
/** Where the mesh gateway of a board takes cloud -> board requests by Host header (lab stand-in convention). */
export const MESH_GATEWAY_PORT = 23333;
/** The node annotation naming a board's mesh gateway, read by the EdgeMesh suite. */
export const MESH_GATEWAY_ANNOTATION = 'edgecert.io/mesh-gateway';

export const BOARD = {
  config: '/etc/kubeedge/config/edgecore.yaml',
  ca: '/etc/kubeedge/ca/rootCA.crt',
  dataSource: '/var/lib/kubeedge/edgecore.db',
  // on docker's data-root filesystem, as seed 002 problem 6 requires (the netns board's data-root is /var/lib/docker)
  rootDirectory: '/var/lib/docker/edged',
} as const;

export function controlPlaneDir(stateDir: string): string {
  return join(labDir(stateDir), 'control-plane');
}

export function controlPlanePaths(stateDir: string) {
  const dir = controlPlaneDir(stateDir);
  return { dir, kubeconfig: join(dir, 'kubeconfig'), ca: join(dir, 'ca.crt'), token: join(dir, 'token'), pid: join(dir, 'lab-control-plane.pid'), log: join(dir, 'lab-control-plane.log') };
}

/** Per-board edge state: lives in the board's state dir, which the board sees at the same path. */
export function edgePaths(stateDir: string, boardId: string) {
  const dir = join(boardPaths(stateDir, boardId).dir, 'edge');
  return {
    dir,
    agent: join(dir, 'agent'),
    fingerprint: join(dir, 'fingerprint'),
    pid: (name: string) => join(dir, `${name}.pid`),
    childPid: (name: string) => join(dir, `${name}.child.pid`),
    log: (name: string) => join(dir, `${name}.log`),
  };
}
