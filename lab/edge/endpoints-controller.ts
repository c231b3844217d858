// The Endpoints controller the stand-in control plane lacks (upstream it lives in kube-controller-manager, on the
// cloud side): for every Service with a selector, one Endpoints object listing the matching pods' IPs, ready ones in
// `addresses`, others in `notReadyAddresses`, with the service's target ports resolved against the pods' ports.
import { runInformer } from './agent/informer.ts';
import type { KubeClient } from './agent/kube-client.ts';

type Any = Record<string, any>;

export function podReady(p: Any): boolean {
  return (p.status?.conditions ?? []).some((c: Any) => c.type === 'Ready' && c.status === 'True');
}

function matches(sel: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(sel).every(([k, v]) => labels?.[k] === v);
}

function targetPort(svcPort: Any, pod: Any): number | undefined {
  const t = svcPort.targetPort ?? svcPort.port;
  if (typeof t === 'number') return t;
  if (/^\d+$/.test(String(t))) return Number(t);
  for (const c of pod.spec?.containers ?? []) for (const p of c.ports ?? []) if (p.name === t) return p.containerPort;
  return undefined;
}

/** The Endpoints a service should have, from the pods known now. */
export function desiredEndpoints(svc: Any, pods: Any[]): Any {
  const ns = svc.metadata.namespace;
  const selected = pods.filter((p) => p.metadata.namespace === ns && !p.metadata.deletionTimestamp && p.status?.podIP && matches(svc.spec.selector, p.metadata.labels));
  // one subset per distinct port mapping; pods of one template share it, which is all the lab needs
  const bySig = new Map<string, { ports: Any[]; ready: Any[]; notReady: Any[] }>();
  for (const p of selected) {
    const ports = (svc.spec.ports ?? []).map((sp: Any) => ({ ...(sp.name ? { name: sp.name } : {}), port: targetPort(sp, p), protocol: sp.protocol ?? 'TCP' })).filter((x: Any) => x.port);
    const sig = JSON.stringify(ports);
    const s = bySig.get(sig) ?? { ports, ready: [], notReady: [] };
    const addr = { ip: p.status.podIP, nodeName: p.spec.nodeName, targetRef: { kind: 'Pod', namespace: ns, name: p.metadata.name, uid: p.metadata.uid } };
    (podReady(p) ? s.ready : s.notReady).push(addr);
    bySig.set(sig, s);
  }
  const sortIp = (a: Any, b: Any) => String(a.ip).localeCompare(String(b.ip));
  const subsets = [...bySig.values()].map((s) => ({
    ...(s.ready.length ? { addresses: s.ready.sort(sortIp) } : {}),
    ...(s.notReady.length ? { notReadyAddresses: s.notReady.sort(sortIp) } : {}),
    ports: s.ports,
  }));
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: svc.metadata.name, namespace: ns, labels: svc.metadata.labels ?? {} }, subsets };
}

export function startEndpointsController(client: KubeClient, log: (m: string) => void): () => void {
  const stop = new AbortController();
  const services = new Map<string, Any>();
  const pods = new Map<string, Any>();
  const written = new Map<string, string>();
  const key = (o: Any) => `${o.metadata.namespace}/${o.metadata.name}`;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;

  const reconcile = async () => {
    if (running) return void (again = true);
    running = true;
    try {
      const all = [...pods.values()];
      for (const svc of services.values()) {
        if (!svc.spec?.selector || !Object.keys(svc.spec.selector).length) continue;
        const want = desiredEndpoints(svc, all);
        const k = key(svc);
        const text = JSON.stringify(want.subsets);
        if (written.get(k) === text) continue;
        const path = `/api/v1/namespaces/${svc.metadata.namespace}/endpoints/${svc.metadata.name}`;
        const cur = await client.call('GET', path);
        const r = cur.status === 200
          ? await client.call('PUT', path, { ...want, metadata: { ...cur.body.metadata, labels: want.metadata.labels } })
          : await client.call('POST', `/api/v1/namespaces/${svc.metadata.namespace}/endpoints`, want);
        if (r.status < 400) written.set(k, text);
        else log(`endpoints ${k}: HTTP ${r.status} ${r.body?.message ?? ''}`);
      }
      for (const k of [...written.keys()]) {
        if (services.has(k)) continue;
        const [ns, name] = k.split('/');
        await client.call('DELETE', `/api/v1/namespaces/${ns}/endpoints/${name}`);
        written.delete(k);
      }
    } catch (e) {
      log(`endpoints controller: ${(e as Error).message}`);
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = () => {
    timer ??= setTimeout(() => {
      timer = undefined;
      void reconcile();
    }, 20);
  };
  const feed = (map: Map<string, Any>) => ({
    replace(items: Any[]) {
      map.clear();
      for (const o of items) map.set(key(o), o);
      schedule();
    },
    event(e: { type: string; object: Any }) {
      if (e.type === 'DELETED') map.delete(key(e.object));
      else map.set(key(e.object), e.object);
      schedule();
    },
  });
  void runInformer(client, feed(services), { path: '/api/v1/services', idleMs: 120_000, signal: stop.signal, log });
  void runInformer(client, feed(pods), { path: '/api/v1/pods', idleMs: 120_000, signal: stop.signal, log });
  return () => {
    stop.abort();
    clearTimeout(timer);
  };
}
