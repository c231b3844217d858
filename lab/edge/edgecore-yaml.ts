// The edgecore.yaml the lab installs on a board: the layout of `edgecore --minconfig` (seed 002's reference),
// pointed at the lab's control plane. The edgecore stand-in reads it; the edgecore suite checks it.
import { stringify } from 'yaml';
import { BOARD, MESH_DNS_IP } from './paths.ts';

export interface EdgecoreYamlInput {
  nodeName: string;
  server: string;
  token: string;
  sandboxImage: string;
  /** dotted-path overrides (defect edgecore_config) */
  overrides?: Record<string, string | number | boolean>;
}

export function renderEdgecoreYaml(i: EdgecoreYamlInput): string {
  const host = new URL(i.server).host;
  const cfg: Record<string, any> = {
    apiVersion: 'edgecore.config.kubeedge.io/v1alpha1',
    kind: 'EdgeCore',
    database: { dataSource: BOARD.dataSource },
    modules: {
      edgeHub: {
        enable: true,
        heartbeat: 15,
        // lab stand-in: edgeHub talks the Kubernetes API of the lab control plane (no cloudcore in the lab)
        httpServer: i.server,
        tlsCaFile: BOARD.ca,
        token: i.token,
        websocket: { enable: true, server: host, handshakeTimeout: 30, readDeadline: 15, writeDeadline: 15 },
      },
      edged: {
        enable: true,
        hostnameOverride: i.nodeName,
        customInterfaceName: 'eth0',
        cgroupDriver: 'cgroupfs',
        clusterDNS: MESH_DNS_IP,
        clusterDomain: 'cluster.local',
        rootDirectory: BOARD.rootDirectory,
        dockerAddress: 'unix:///var/run/docker.sock',
        runtimeType: 'docker',
        podSandboxImage: i.sandboxImage,
        nodeStatusUpdateFrequency: 4,
      },
      eventBus: { enable: false },
      metaManager: { metaServer: { enable: true, server: '127.0.0.1:10550' } },
    },
  };
  for (const [path, value] of Object.entries(i.overrides ?? {})) {
    const keys = path.split('.');
    let cur = cfg;
    for (const k of keys.slice(0, -1)) cur = cur[k] ??= {};
    cur[keys.at(-1)!] = value;
  }
  return `# edgecore.yaml of a virtual-lab board, written by lab/edge (edgecore STAND-IN, not KubeEdge)\n${stringify(cfg)}`;
}
