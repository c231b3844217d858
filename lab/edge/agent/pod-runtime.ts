// edged's pod lifecycle on the board's real dockerd: a sandbox container per pod holds its network namespace (pod IP
// on docker0, hostname = pod name), app containers join it. Level-triggered: every sync compares the pods the cloud
// bound to this node with the containers dockerd has, creates what is missing, removes what is gone, reports status.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { DockerClient } from './docker-client.ts';
import type { EdgecoreConfig } from './edgecore-config.ts';

export const LABEL_UID = 'io.kubernetes.pod.uid';
export const LABEL_POD = 'io.kubernetes.pod.name';
export const LABEL_NS = 'io.kubernetes.pod.namespace';
export const LABEL_CONTAINER = 'io.kubernetes.container.name';
export const LABEL_OWNER = 'io.edgecert.edgecore';
export const SANDBOX = 'POD';

export interface RuntimeDefects {
  podStartDelayMs: number;
  ignoreVolumes: boolean;
  leakContainers: boolean;
  deletionStuck: boolean;
}

interface DockerContainer {
  Id: string;
  Names: string[];
  Labels: Record<string, string>;
  State: string;
}

export interface PodStatusResult {
  status: any;
}

const RESTART: Record<string, string> = { Always: 'always', OnFailure: 'on-failure', Never: 'no' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function containerName(pod: any, c: string): string {
  return `k8s_${c}_${pod.metadata.name}_${pod.metadata.namespace}_${pod.metadata.uid}_0`;
}

export class PodRuntime {
  private docker: DockerClient;
  private cfg: EdgecoreConfig;
  private defects: RuntimeDefects;
  private log: (m: string) => void;
  /** pods whose first start was already delayed (defect edgecore_pod_start_delay) */
  private delayed = new Set<string>();
  /** last error per pod uid+container while creating it: reported as a waiting reason */
  readonly errors = new Map<string, { reason: string; message: string }>();

  constructor(docker: DockerClient, cfg: EdgecoreConfig, defects: RuntimeDefects, log: (m: string) => void) {
    this.docker = docker;
    this.cfg = cfg;
    this.defects = defects;
    this.log = log;
  }

  async listOwn(): Promise<DockerContainer[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: [LABEL_OWNER] }));
    return (await this.docker.must('GET', `/containers/json?all=1&filters=${filters}`)) as DockerContainer[];
  }

  async inspect(id: string): Promise<any | undefined> {
    const r = await this.docker.call('GET', `/containers/${id}/json`);
    return r.status === 200 ? r.body : undefined;
  }

  private podDir(pod: any): string {
    return `${this.cfg.rootDirectory}/pods/${pod.metadata.uid}`;
  }

  private labels(pod: any, container: string): Record<string, string> {
    return { [LABEL_OWNER]: '1', [LABEL_UID]: pod.metadata.uid, [LABEL_POD]: pod.metadata.name, [LABEL_NS]: pod.metadata.namespace, [LABEL_CONTAINER]: container };
  }

  private async create(name: string, body: any): Promise<string> {
    const r = await this.docker.call('POST', `/containers/create?name=${encodeURIComponent(name)}`, body);
    if (r.status === 409) {
      // a leftover of an earlier attempt with the same name: replace it
      await this.docker.call('DELETE', `/containers/${encodeURIComponent(name)}?force=1&v=1`);
      return this.create(name, body);
    }
    if (r.status === 404) throw Object.assign(new Error(`image ${body.Image} is not present on the board (offline: nothing is pulled)`), { reason: 'ErrImageNeverPull' });
    if (r.status >= 400) throw Object.assign(new Error(r.body?.message ?? `HTTP ${r.status}`), { reason: 'CreateContainerError' });
    return r.body.Id as string;
  }

  private async start(id: string): Promise<void> {
    const r = await this.docker.call('POST', `/containers/${id}/start`);
    if (r.status >= 400 && r.status !== 304) throw Object.assign(new Error(r.body?.message ?? `HTTP ${r.status}`), { reason: 'RunContainerError' });
  }

  /** Create and start what is missing of one pod (sandbox first). */
  async ensurePod(pod: any, have: DockerContainer[]): Promise<void> {
    const uid = pod.metadata.uid as string;
    if (this.defects.podStartDelayMs && !this.delayed.has(uid)) {
      this.delayed.add(uid);
      await sleep(this.defects.podStartDelayMs);
    }
    const mine = have.filter((c) => c.Labels[LABEL_UID] === uid);
    const hostNetwork = pod.spec.hostNetwork === true;
    let sandbox = mine.find((c) => c.Labels[LABEL_CONTAINER] === SANDBOX);
    if (!sandbox) {
      const ports: Record<string, { HostPort: string }[]> = {};
      const exposed: Record<string, object> = {};
      for (const c of pod.spec.containers) {
        for (const p of c.ports ?? []) {
          const key = `${p.containerPort}/${(p.protocol ?? 'TCP').toLowerCase()}`;
          exposed[key] = {};
          if (p.hostPort) ports[key] = [{ HostPort: String(p.hostPort) }];
        }
      }
      const dnsDefault = pod.spec.dnsPolicy === 'Default' || !this.cfg.clusterDNS;
      const ns = pod.metadata.namespace;
      const d = this.cfg.clusterDomain;
      const id = await this.create(containerName(pod, SANDBOX), {
        Image: this.cfg.podSandboxImage,
        Cmd: ['sleep', '2147483647'],
        Hostname: hostNetwork ? undefined : String(pod.metadata.name).slice(0, 63),
        Labels: this.labels(pod, SANDBOX),
        ExposedPorts: exposed,
        HostConfig: {
          NetworkMode: hostNetwork ? 'host' : 'bridge',
          IpcMode: 'shareable',
          PortBindings: ports,
          RestartPolicy: { Name: 'always' },
          ...(dnsDefault ? {} : { Dns: [this.cfg.clusterDNS], DnsSearch: [`${ns}.svc.${d}`, `svc.${d}`, d], DnsOptions: ['ndots:5'] }),
        },
      });
      await this.start(id);
      sandbox = { Id: id, Names: [], Labels: this.labels(pod, SANDBOX), State: 'running' };
    }
    const podIP = await this.sandboxIP(sandbox.Id);
    // kubelet writes each pod's /etc/hosts under its root dir: dockerd must see that path (seed 002 problem 6)
    const dir = this.podDir(pod);
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/etc-hosts`, `127.0.0.1\tlocalhost\n${podIP ? `${podIP}\t${pod.metadata.name}\n` : ''}`);
    for (const c of pod.spec.containers) {
      const existing = mine.find((x) => x.Labels[LABEL_CONTAINER] === c.name);
      // created but never started (a start that failed): try again, as kubelet retries with back-off
      if (existing && existing.State !== 'created') continue;
      const key = `${uid}/${c.name}`;
      try {
        const id = existing?.Id ?? (await this.create(containerName(pod, c.name), this.containerBody(pod, c, sandbox.Id, hostNetwork)));
        await this.start(id);
        this.errors.delete(key);
      } catch (e) {
        const err = e as Error & { reason?: string };
        this.errors.set(key, { reason: err.reason ?? 'CreateContainerError', message: err.message });
        this.log(`pod ${pod.metadata.namespace}/${pod.metadata.name} container ${c.name}: ${err.message}`);
      }
    }
  }

  private containerBody(pod: any, c: any, sandboxId: string, hostNetwork: boolean): any {
    const binds: string[] = [`${this.podDir(pod)}/etc-hosts:/etc/hosts`];
    if (!this.defects.ignoreVolumes) {
      for (const m of c.volumeMounts ?? []) {
        const v = (pod.spec.volumes ?? []).find((x: any) => x.name === m.name);
        if (!v) continue;
        let src: string | undefined;
        if (v.hostPath) {
          src = v.hostPath.path;
          if (v.hostPath.type === 'DirectoryOrCreate') mkdirSync(src!, { recursive: true });
        } else if (v.emptyDir) {
          src = `${this.podDir(pod)}/volumes/kubernetes.io~empty-dir/${v.name}`;
          mkdirSync(src, { recursive: true });
        }
        if (src) binds.push(`${src}:${m.mountPath}${m.readOnly ? ':ro' : ''}`);
      }
    }
    const env = (c.env ?? []).map((e: any) => `${e.name}=${envValue(pod, e)}`);
    return {
      Image: c.image,
      ...(c.command ? { Entrypoint: c.command } : {}),
      ...(c.args ? { Cmd: c.args } : {}),
      Env: env,
      ...(c.workingDir ? { WorkingDir: c.workingDir } : {}),
      Labels: this.labels(pod, c.name),
      HostConfig: {
        NetworkMode: hostNetwork ? 'host' : `container:${sandboxId}`,
        IpcMode: `container:${sandboxId}`,
        Binds: binds,
        RestartPolicy: { Name: RESTART[pod.spec.restartPolicy ?? 'Always'] ?? 'always' },
      },
    };
  }

  private async sandboxIP(id: string): Promise<string> {
    const i = await this.inspect(id);
    if (!i) return '';
    if (i.HostConfig?.NetworkMode === 'host') return this.cfg.nodeIP;
    return i.NetworkSettings?.IPAddress ?? '';
  }

  /** Stop and remove every container of a pod (sandbox last), honouring the grace period. */
  async removePod(uid: string, have: DockerContainer[], graceSeconds: number): Promise<void> {
    if (this.defects.leakContainers) return;
    const mine = have.filter((c) => c.Labels[LABEL_UID] === uid);
    const order = [...mine.filter((c) => c.Labels[LABEL_CONTAINER] !== SANDBOX), ...mine.filter((c) => c.Labels[LABEL_CONTAINER] === SANDBOX)];
    const t = Math.max(0, Math.min(graceSeconds, 30));
    await Promise.all(order.filter((c) => c.Labels[LABEL_CONTAINER] !== SANDBOX && c.State === 'running').map((c) => this.docker.call('POST', `/containers/${c.Id}/stop?t=${t}`, undefined, (t + 10) * 1000)));
    for (const c of order) await this.docker.call('DELETE', `/containers/${c.Id}?force=1&v=1`);
    this.delayed.delete(uid);
    for (const k of [...this.errors.keys()]) if (k.startsWith(`${uid}/`)) this.errors.delete(k);
  }

  /** The pod status edged would report, from what dockerd says. */
  async podStatus(pod: any, have: DockerContainer[], hostIP: string): Promise<any> {
    const uid = pod.metadata.uid as string;
    const mine = have.filter((c) => c.Labels[LABEL_UID] === uid);
    const sandbox = mine.find((c) => c.Labels[LABEL_CONTAINER] === SANDBOX);
    const podIP = sandbox ? await this.sandboxIP(sandbox.Id) : '';
    const statuses: any[] = [];
    let running = 0;
    let succeeded = 0;
    let failed = 0;
    let startedAt: string | undefined;
    for (const spec of pod.spec.containers) {
      const c = mine.find((x) => x.Labels[LABEL_CONTAINER] === spec.name);
      const i = c ? await this.inspect(c.Id) : undefined;
      const base = { name: spec.name, image: spec.image, imageID: i?.Image ? `docker-pullable://${i.Image}` : '', restartCount: i?.RestartCount ?? 0 };
      if (!i) {
        const err = this.errors.get(`${uid}/${spec.name}`);
        statuses.push({ ...base, ready: false, started: false, state: { waiting: err ?? { reason: 'ContainerCreating' } } });
        continue;
      }
      const st = i.State;
      const containerID = `docker://${i.Id}`;
      if (st.Status === 'created') {
        const err = this.errors.get(`${uid}/${spec.name}`);
        statuses.push({ ...base, containerID, ready: false, started: false, state: { waiting: err ?? { reason: 'ContainerCreating' } } });
        continue;
      }
      if (st.Running && !st.Restarting) {
        running++;
        startedAt ??= st.StartedAt;
        statuses.push({ ...base, containerID, ready: true, started: true, state: { running: { startedAt: trim(st.StartedAt) } } });
      } else if (st.Restarting) {
        statuses.push({ ...base, containerID, ready: false, started: false, state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting container ${spec.name}` } }, lastState: { terminated: { exitCode: st.ExitCode, finishedAt: trim(st.FinishedAt), reason: st.ExitCode === 0 ? 'Completed' : 'Error' } } });
      } else {
        if (st.ExitCode === 0) succeeded++;
        else failed++;
        statuses.push({ ...base, containerID, ready: false, started: false, state: { terminated: { exitCode: st.ExitCode, reason: st.OOMKilled ? 'OOMKilled' : st.ExitCode === 0 ? 'Completed' : 'Error', startedAt: trim(st.StartedAt), finishedAt: trim(st.FinishedAt), containerID } } });
      }
    }
    const n = pod.spec.containers.length;
    const policy = pod.spec.restartPolicy ?? 'Always';
    let phase = 'Pending';
    if (running > 0) phase = 'Running';
    if (running === 0 && succeeded + failed === n) {
      if (policy === 'Never') phase = failed ? 'Failed' : 'Succeeded';
      else if (policy === 'OnFailure' && !failed) phase = 'Succeeded';
      else phase = 'Running';
    }
    const allReady = running === n;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const prev: any[] = pod.status?.conditions ?? [];
    const cond = (type: string, ok: boolean) => {
      const status = ok ? 'True' : 'False';
      const old = prev.find((c) => c.type === type);
      return { type, status, lastProbeTime: null, lastTransitionTime: old?.status === status ? old.lastTransitionTime : now };
    };
    return {
      phase,
      hostIP,
      ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
      startTime: pod.status?.startTime ?? now,
      qosClass: pod.status?.qosClass ?? 'BestEffort',
      conditions: [cond('PodScheduled', true), cond('Initialized', true), cond('ContainersReady', allReady), cond('Ready', allReady)],
      containerStatuses: statuses,
    };
  }
}

function trim(t: string | undefined): string | undefined {
  if (!t || t.startsWith('0001-')) return undefined;
  return t.replace(/\.\d+Z$/, 'Z');
}

function envValue(pod: any, e: any): string {
  if (e.value !== undefined) return String(e.value);
  const f = e.valueFrom?.fieldRef?.fieldPath as string | undefined;
  if (f === 'metadata.name') return pod.metadata.name;
  if (f === 'metadata.namespace') return pod.metadata.namespace;
  if (f === 'spec.nodeName') return pod.spec.nodeName;
  if (f === 'status.podIP') return pod.status?.podIP ?? '';
  return '';
}
