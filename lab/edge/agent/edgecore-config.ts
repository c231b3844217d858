// What the edgecore stand-in takes from edgecore.yaml: the fields of the upstream v1alpha1/v1alpha2 layout that it
// acts on. Anything it needs and does not find is an error naming the field, as edgecore's own validation does.
import { readFileSync } from 'node:fs';
import { parseYaml, type YamlValue } from './mini-yaml.ts';

export interface EdgecoreConfig {
  file: string;
  /** edgeHub.httpServer: the cloud endpoint (this stand-in talks the Kubernetes API there) */
  server: string;
  token: string;
  caFile: string;
  heartbeatSeconds: number;
  nodeName: string;
  /** edged.customInterfaceName: the interface whose IPv4 address is the node's InternalIP */
  interfaceName: string;
  /** edged.nodeIP: overrides the interface lookup when set */
  nodeIP: string;
  cgroupDriver: string;
  clusterDNS: string;
  clusterDomain: string;
  rootDirectory: string;
  dockerEndpoint: string;
  podSandboxImage: string;
  nodeStatusUpdateFrequency: number;
  labels: Record<string, string>;
  metaServerEnabled: boolean;
  metaServerAddress: string;
  dataSource: string;
}

type Obj = { [k: string]: YamlValue };

function at(root: YamlValue, path: string): YamlValue | undefined {
  let cur: YamlValue | undefined = root;
  for (const k of path.split('.')) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Obj)[k];
  }
  return cur;
}

export function readEdgecoreConfig(file: string): EdgecoreConfig {
  const root = parseYaml(readFileSync(file, 'utf8'));
  const str = (path: string, dflt?: string): string => {
    const v = at(root, path);
    if (v === undefined || v === null || v === '') {
      if (dflt !== undefined) return dflt;
      throw new Error(`${file}: ${path} is not set`);
    }
    return String(v);
  };
  const edged = 'modules.edged';
  // v1alpha2 moved most edged fields under tailoredKubeletConfig / tailoredKubeletFlag
  const edgedStr = (v1: string, v2: string, dflt?: string) => {
    const a = at(root, `${edged}.${v1}`);
    if (a !== undefined && a !== null && a !== '') return String(a);
    return str(`${edged}.${v2}`, dflt);
  };
  const labelsRaw = at(root, `${edged}.labels`) ?? at(root, `${edged}.nodeLabels`);
  const labels: Record<string, string> = {};
  if (labelsRaw && typeof labelsRaw === 'object' && !Array.isArray(labelsRaw)) for (const [k, v] of Object.entries(labelsRaw)) labels[k] = v === null ? '' : String(v);
  const msEnable = at(root, 'modules.metaManager.metaServer.enable');
  return {
    file,
    server: str('modules.edgeHub.httpServer'),
    token: str('modules.edgeHub.token'),
    caFile: str('modules.edgeHub.tlsCaFile'),
    heartbeatSeconds: Number(str('modules.edgeHub.heartbeat', '15')),
    nodeName: edgedStr('hostnameOverride', 'tailoredKubeletFlag.hostnameOverride'),
    interfaceName: edgedStr('customInterfaceName', 'tailoredKubeletFlag.customInterfaceName', 'eth0'),
    nodeIP: edgedStr('nodeIP', 'tailoredKubeletFlag.nodeIP', ''),
    cgroupDriver: edgedStr('cgroupDriver', 'tailoredKubeletConfig.cgroupDriver', 'cgroupfs'),
    clusterDNS: edgedStr('clusterDNS', 'tailoredKubeletConfig.clusterDNS', ''),
    clusterDomain: edgedStr('clusterDomain', 'tailoredKubeletConfig.clusterDomain', 'cluster.local'),
    rootDirectory: edgedStr('rootDirectory', 'tailoredKubeletFlag.rootDirectory', '/var/lib/edged'),
    dockerEndpoint: edgedStr('dockerAddress', 'tailoredKubeletFlag.dockerEndpoint', 'unix:///var/run/docker.sock'),
    podSandboxImage: edgedStr('podSandboxImage', 'tailoredKubeletFlag.podSandboxImage'),
    nodeStatusUpdateFrequency: Number(edgedStr('nodeStatusUpdateFrequency', 'tailoredKubeletConfig.nodeStatusUpdateFrequency', '10')),
    labels,
    metaServerEnabled: msEnable === true,
    metaServerAddress: str('modules.metaManager.metaServer.server', '127.0.0.1:10550'),
    dataSource: str('database.dataSource', '/var/lib/kubeedge/edgecore.db'),
  };
}
