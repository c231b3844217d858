// The edgecore STAND-IN (not KubeEdge): one lean process on the board that reads edgecore.yaml, registers and
// heartbeats its Node, runs the pods bound to it as real containers on the board's dockerd, keeps its metadata in
// a local file, serves it read-only on the metaServer port, and keeps pods running while the cloud is away.
// Usage: node edgecore.mjs --config /etc/kubeedge/config/edgecore.yaml [--defect NAME[=VALUE] ...]
import { readFileSync } from 'node:fs';
import { dockerClient } from './docker-client.ts';
import { readEdgecoreConfig } from './edgecore-config.ts';
import { parseFlags, log as makeLog } from './flags.ts';
import { runInformer } from './informer.ts';
import { kubeClient } from './kube-client.ts';
import { LocalStore, type Kind } from './local-store.ts';
import { startMetaServer } from './metaserver.ts';
import { NodeAgent } from './node-agent.ts';
import { PodRuntime } from './pod-runtime.ts';

// `pidof edgecore` and `ps` must find it under edgecore's name, as on a real board
process.title = 'edgecore';
const log = makeLog('edgecore');
const { opts, defects } = parseFlags(process.argv.slice(2));
const has = (d: string) => defects.has(d);
const num = (d: string) => Number(defects.get(d) || 0);

// defect edgecore_memory_ballast: memory the process holds and touches, so RSS really grows
const ballast = num('ballast-mb') ? Buffer.alloc(num('ballast-mb') * 1024 * 1024, 1) : undefined;

const cfg = readEdgecoreConfig(opts.get('config') ?? '/etc/kubeedge/config/edgecore.yaml');
const kube = kubeClient({ server: cfg.server, ca: readFileSync(cfg.caFile), token: cfg.token });
const docker = dockerClient(cfg.dockerEndpoint.replace(/^unix:\/\//, ''));
const store = new LocalStore(cfg.dataSource.replace(/\.db$/, '.json'));
const runtime = new PodRuntime(docker, cfg, { podStartDelayMs: num('pod-start-delay-ms'), ignoreVolumes: has('ignore-volumes'), leakContainers: has('leak-containers'), deletionStuck: has('deletion-stuck') }, log);
const stop = new AbortController();

let online = false;
let gaveUp = false;
let killedOffline = false;
const lastReported = new Map<string, string>();

function setOnline(ok: boolean): void {
  if (ok === online) return;
  online = ok;
  log(ok ? 'cloud reachable again: resyncing' : 'cloud unreachable: running autonomously from the local store');
  if (ok) {
    lastReported.clear();
    if (has('restart-pods-on-reconnect')) void recreateAll();
    killedOffline = false;
  } else if (has('kill-pods-offline')) {
    killedOffline = true;
    void removeAll();
  }
  scheduleSync();
}

async function removeAll(): Promise<void> {
  const have = await runtime.listOwn();
  for (const uid of new Set(have.map((c) => c.Labels['io.kubernetes.pod.uid']!))) await runtime.removePod(uid, have, 0);
}

async function recreateAll(): Promise<void> {
  await removeAll();
  scheduleSync();
}

// ---- pod sync: level-triggered, on every change and every few seconds
let syncing = false;
let again = false;
let timer: NodeJS.Timeout | undefined;
function scheduleSync(): void {
  timer ??= setTimeout(() => {
    timer = undefined;
    void sync();
  }, 20);
}

async function sync(): Promise<void> {
  if (syncing) {
    again = true;
    return;
  }
  syncing = true;
  try {
    const mine = store.list('pods').filter((p) => p.spec?.nodeName === cfg.nodeName);
    let have = await runtime.listOwn();
    const wanted = new Set(mine.map((p) => p.metadata.uid as string));
    const work: Promise<unknown>[] = [];
    for (const pod of mine) {
      if (pod.metadata.deletionTimestamp) work.push(finishDeletion(pod, have));
      else if (killedOffline) continue;
      else if (!terminal(pod)) work.push(runtime.ensurePod(pod, have).catch((e) => log(`pod ${pod.metadata.name}: ${(e as Error).message}`)));
    }
    for (const uid of new Set(have.map((c) => c.Labels['io.kubernetes.pod.uid']!))) if (!wanted.has(uid)) work.push(runtime.removePod(uid, have, 0));
    await Promise.all(work);
    have = await runtime.listOwn();
    for (const pod of mine) {
      if (pod.metadata.deletionTimestamp) continue;
      const status = await runtime.podStatus(pod, have, agent?.ip ?? '');
      const text = JSON.stringify(status);
      if (lastReported.get(pod.metadata.uid) === text) continue;
      // the local copy carries the status too, so the metaServer answers with it offline
      store.maps.pods.set(`${pod.metadata.namespace}/${pod.metadata.name}`, { ...pod, status });
      if (!online || gaveUp) continue;
      const r = await kube.call('PATCH', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`, { status }, 'application/merge-patch+json').catch((e: Error) => ({ status: 0, body: { message: e.message } }));
      if (r.status < 400 && r.status > 0) lastReported.set(pod.metadata.uid, text);
      else if (r.status !== 404) log(`status of pod ${pod.metadata.name}: HTTP ${r.status} ${r.body?.message ?? ''}`);
    }
  } catch (e) {
    log(`sync: ${(e as Error).message}`);
  } finally {
    syncing = false;
    if (again) {
      again = false;
      scheduleSync();
    }
  }
}

function terminal(pod: any): boolean {
  const phase = pod.status?.phase;
  return (phase === 'Succeeded' || phase === 'Failed') && (pod.spec.restartPolicy ?? 'Always') !== 'Always';
}

async function finishDeletion(pod: any, have: Awaited<ReturnType<PodRuntime['listOwn']>>): Promise<void> {
  if (has('deletion-stuck')) return;
  await runtime.removePod(pod.metadata.uid, have, pod.metadata.deletionGracePeriodSeconds ?? 30);
  if (!online || gaveUp) return;
  const r = await kube.call('DELETE', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
  if (r.status < 400 || r.status === 404 || r.status === 409) {
    store.remove('pods', pod);
    lastReported.delete(pod.metadata.uid);
  }
}

// ---- cloud side: registration, heartbeat, informers
let agent: NodeAgent | undefined;

async function heartbeatLoop(): Promise<void> {
  const version = await docker.must('GET', '/version').then((v: any) => `docker://${v.Version}`).catch(() => 'docker://unknown');
  if (num('slow-registration-ms')) await new Promise((r) => setTimeout(r, num('slow-registration-ms')));
  agent = new NodeAgent(kube, cfg, { wrongLabels: has('wrong-labels'), wrongArch: has('wrong-arch'), badVersion: has('bad-version'), wrongInternalIp: has('wrong-internal-ip') }, version);
  let registered = false;
  while (!stop.signal.aborted && !gaveUp) {
    try {
      if (!registered) {
        await agent.register();
        registered = true;
        log(`node ${cfg.nodeName} registered (InternalIP ${agent.ip})`);
      } else await agent.beat();
      setOnline(true);
    } catch (e) {
      log(`heartbeat: ${(e as Error).message}`);
      setOnline(false);
      if (has('no-reconnect')) {
        gaveUp = true;
        log('defect edge_link_never_restored: not reconnecting to the cloud');
        return;
      }
    }
    await new Promise((r) => setTimeout(r, (online ? cfg.nodeStatusUpdateFrequency : 1) * 1000));
  }
}

function informer(kind: Kind, path: string): void {
  void runInformer(
    kube,
    {
      replace: (items) => store.replace(kind, items),
      event: (e) => (e.type === 'DELETED' ? store.remove(kind, e.object) : store.put(kind, e.object)),
    },
    { path, idleMs: Math.max(15_000, cfg.heartbeatSeconds * 2000), signal: stop.signal, giveUpOnError: has('no-reconnect'), log },
  );
}

async function main(): Promise<void> {
  log(`stand-in starting: node ${cfg.nodeName}, cloud ${cfg.server}, config ${cfg.file}${defects.size ? `, defects ${[...defects.keys()].join(',')}` : ''}${ballast ? ` (ballast ${ballast.length >> 20} MB)` : ''}`);
  store.onChange = (kind) => {
    if (kind === 'pods') scheduleSync();
  };
  if (cfg.metaServerEnabled) {
    const [host, port] = cfg.metaServerAddress.replace(/^https?:\/\//, '').split(':');
    await startMetaServer({ store, host: host!, port: Number(port), ...(has('metaserver-no-cache') ? { proxyOnly: { online: () => online && !gaveUp } } : {}) });
    log(`metaServer on ${host}:${port}`);
  }
  scheduleSync();
  setInterval(scheduleSync, 3_000).unref();
  void heartbeatLoop();
  informer('pods', `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${cfg.nodeName}`)}`);
  informer('nodes', '/api/v1/nodes');
  informer('services', '/api/v1/services');
  informer('endpoints', '/api/v1/endpoints');
}

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping (pods keep running)`);
    stop.abort();
    store.flush();
    kube.close();
    process.exit(0);
  });
}

main().catch((e: unknown) => {
  log(`fatal: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
