// The node side of edgecore: registers the Node (edge role labels, kubeedge kubelet version, InternalIP of the
// configured interface), then heartbeats it: a Lease in kube-node-lease and the Ready condition in node status.
import { networkInterfaces, release } from 'node:os';
import { readFileSync } from 'node:fs';
import { KubeError, apiTime, microTime, type KubeClient } from './kube-client.ts';
import type { EdgecoreConfig } from './edgecore-config.ts';

/** The versions this stand-in claims; the `+edgecert-standin` build tag says it is not a real edgecore. */
export const KUBE_VERSION = 'v1.29.5';
export const KUBEEDGE_VERSION = 'v1.18.0';

export interface NodeDefects {
  wrongLabels: boolean;
  wrongArch: boolean;
  badVersion: boolean;
  wrongInternalIp: boolean;
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };

export function interfaceIPv4(name: string): string | undefined {
  return networkInterfaces()[name]?.find((a) => a.family === 'IPv4')?.address;
}

function osImage(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function nodeIP(cfg: EdgecoreConfig, d: NodeDefects): string {
  if (d.wrongInternalIp) return interfaceIPv4('docker0') ?? '127.0.0.1';
  if (cfg.nodeIP) return cfg.nodeIP;
  const ip = interfaceIPv4(cfg.interfaceName);
  if (!ip) throw new Error(`interface ${cfg.interfaceName} (modules.edged.customInterfaceName) has no IPv4 address`);
  return ip;
}

export class NodeAgent {
  private client: KubeClient;
  private cfg: EdgecoreConfig;
  private d: NodeDefects;
  private runtimeVersion: string;
  private readySince = apiTime();
  readonly ip: string;

  constructor(client: KubeClient, cfg: EdgecoreConfig, d: NodeDefects, runtimeVersion: string) {
    this.client = client;
    this.cfg = cfg;
    this.d = d;
    this.runtimeVersion = runtimeVersion;
    this.ip = nodeIP(cfg, d);
  }

  labels(): Record<string, string> {
    let arch = ARCH[process.arch] ?? process.arch;
    if (this.d.wrongArch) arch = arch === 'amd64' ? 'arm64' : 'amd64';
    const roles: Record<string, string> = this.d.wrongLabels ? { 'node-role.kubernetes.io/edge': 'true' } : { 'node-role.kubernetes.io/edge': '', 'node-role.kubernetes.io/agent': '' };
    return { ...this.cfg.labels, 'kubernetes.io/arch': arch, 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': this.cfg.nodeName, 'beta.kubernetes.io/arch': arch, 'beta.kubernetes.io/os': 'linux', ...roles };
  }

  status(): any {
    const now = apiTime();
    const cond = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: type === 'Ready' ? this.readySince : this.readySince });
    const arch = this.labels()['kubernetes.io/arch'];
    const cap = { cpu: '2', memory: '2Gi', pods: '110', 'ephemeral-storage': '2Gi' };
    return {
      capacity: cap,
      allocatable: cap,
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'edgecore stand-in has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'edgecore stand-in has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'edgecore stand-in has sufficient PID available'),
        cond('Ready', 'True', 'EdgeReady', 'edge is posting ready status (edgecore stand-in)'),
      ],
      addresses: [
        { type: 'InternalIP', address: this.ip },
        { type: 'Hostname', address: this.cfg.nodeName },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10350 } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: release(),
        osImage: osImage(),
        containerRuntimeVersion: this.runtimeVersion,
        kubeletVersion: this.d.badVersion ? KUBE_VERSION : `${KUBE_VERSION}-kubeedge-${KUBEEDGE_VERSION}`,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: arch,
      },
    };
  }

  /** POST the Node, or bring an existing one's labels up to date; then its status. */
  async register(): Promise<void> {
    const name = this.cfg.nodeName;
    const body = { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: this.labels() }, spec: {} };
    const r = await this.client.call('POST', '/api/v1/nodes', body);
    if (r.status === 409) {
      const cur = await this.client.must('GET', `/api/v1/nodes/${name}`);
      // the role labels are edgecore's to set: replace them (a wrong earlier value must not survive a restart)
      const labels = { ...cur.metadata.labels, ...this.labels() };
      if (this.d.wrongLabels) delete labels['node-role.kubernetes.io/agent'];
      await this.client.must('PUT', `/api/v1/nodes/${name}`, { ...cur, metadata: { ...cur.metadata, labels } });
    } else if (r.status >= 400) throw new KubeError(r.status, `register node ${name}: HTTP ${r.status}: ${r.body?.message ?? ''}`);
    this.readySince = apiTime();
    await this.beat();
  }

  /** One heartbeat: renew the Lease and post the node status. Throws when the cloud is unreachable. */
  async beat(): Promise<void> {
    const name = this.cfg.nodeName;
    const leasePath = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`;
    const renew = { spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime() } };
    const l = await this.client.call('PATCH', leasePath, renew, 'application/merge-patch+json');
    if (l.status === 404) {
      await this.client.must('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: renew.spec });
    } else if (l.status >= 400) throw new KubeError(l.status, `lease ${name}: HTTP ${l.status}`);
    const s = await this.client.call('PATCH', `/api/v1/nodes/${name}/status`, { status: this.status() }, 'application/merge-patch+json');
    if (s.status === 404) return this.register();
    if (s.status >= 400) throw new KubeError(s.status, `node status ${name}: HTTP ${s.status}: ${s.body?.message ?? ''}`);
  }
}
