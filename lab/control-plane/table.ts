// Server-side printing (`Accept: ...;as=Table`), so `kubectl get` shows STATUS, ROLES, READY... as against a real cluster.
import type { IncomingMessage } from 'node:http';
import { readyCondition } from './node-state.ts';
import type { ResourceType } from './resources.ts';
import type { KObject } from './types.ts';

type Any = Record<string, any>;
type Cell = string | number;

interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  format?: 'name';
  priority?: number;
  description: string;
  cell: (o: KObject) => Cell;
}

/** "5s", "3m12s", "2h", "4d5h" — the rounding kubectl users are used to. */
export function humanAge(fromIso: string | undefined, now = Date.now()): string {
  if (!fromIso) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  if (s < 120) return `${s}s`;
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (h < 3) return `${m}m`;
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  if (d < 8) return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y${d % 365 ? `${d % 365}d` : ''}`;
}

const name: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name of the object.', cell: (o) => o.metadata.name ?? '' };
const age: Column = { name: 'Age', type: 'string', description: 'Time since creation.', cell: (o) => humanAge(o.metadata.creationTimestamp) };
const none = (v: unknown) => (v === undefined || v === null || v === '' ? '<none>' : String(v));

function podStatus(p: KObject): string {
  const st: Any = p.status ?? {};
  let reason: string = st.reason ?? st.phase ?? 'Unknown';
  const inits: Any[] = st.initContainerStatuses ?? [];
  let initializing = false;
  inits.forEach((c, i) => {
    if (initializing || (c.state?.terminated && c.state.terminated.exitCode === 0)) return;
    initializing = true;
    if (c.state?.terminated) reason = `Init:${c.state.terminated.reason ?? 'Error'}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${(p.spec?.initContainers ?? []).length}`;
  });
  if (!initializing) {
    let running = false;
    for (const c of [...((st.containerStatuses ?? []) as Any[])].reverse()) {
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated) reason = c.state.terminated.reason ?? (c.state.terminated.signal ? `Signal:${c.state.terminated.signal}` : `ExitCode:${c.state.terminated.exitCode}`);
      else if (c.ready && c.state?.running) running = true;
    }
    if (reason === 'Completed' && running) reason = 'Running';
  }
  if (p.metadata.deletionTimestamp) reason = st.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

const POD: Column[] = [
  name,
  { name: 'Ready', type: 'string', description: 'Ready containers / all containers.', cell: (p) => `${(p.status?.containerStatuses ?? []).filter((c: Any) => c.ready).length}/${(p.spec?.containers ?? []).length}` },
  { name: 'Status', type: 'string', description: 'Aggregate pod status.', cell: podStatus },
  { name: 'Restarts', type: 'string', description: 'Container restarts.', cell: (p) => String((p.status?.containerStatuses ?? []).reduce((n: number, c: Any) => n + (c.restartCount ?? 0), 0)) },
  age,
  { name: 'IP', type: 'string', priority: 1, description: 'Pod IP.', cell: (p) => none(p.status?.podIP) },
  { name: 'Node', type: 'string', priority: 1, description: 'Node the pod is bound to.', cell: (p) => none(p.spec?.nodeName) },
  { name: 'Nominated Node', type: 'string', priority: 1, description: 'Nominated node.', cell: (p) => none(p.status?.nominatedNodeName) },
  { name: 'Readiness Gates', type: 'string', priority: 1, description: 'Readiness gates.', cell: () => '<none>' },
];

function nodeStatus(n: KObject): string {
  const s = readyCondition(n)?.status;
  const base = s === 'True' ? 'Ready' : s === 'False' ? 'NotReady' : 'Unknown';
  return n.spec?.unschedulable ? `${base},SchedulingDisabled` : base;
}

function nodeRoles(n: KObject): string {
  const labels = n.metadata.labels ?? {};
  const roles = Object.keys(labels).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length));
  if (labels['kubernetes.io/role']) roles.push(labels['kubernetes.io/role']);
  return roles.length ? [...new Set(roles)].sort().join(',') : '<none>';
}

const address = (n: KObject, type: string) => none((n.status?.addresses ?? []).find((a: Any) => a.type === type)?.address);

const NODE: Column[] = [
  name,
  { name: 'Status', type: 'string', description: 'Ready condition.', cell: nodeStatus },
  { name: 'Roles', type: 'string', description: 'node-role.kubernetes.io labels.', cell: nodeRoles },
  age,
  { name: 'Version', type: 'string', description: 'Kubelet (edgecore) version.', cell: (n) => n.status?.nodeInfo?.kubeletVersion ?? '' },
  { name: 'Internal-IP', type: 'string', priority: 1, description: 'InternalIP address.', cell: (n) => address(n, 'InternalIP') },
  { name: 'External-IP', type: 'string', priority: 1, description: 'ExternalIP address.', cell: (n) => address(n, 'ExternalIP') },
  { name: 'OS-Image', type: 'string', priority: 1, description: 'OS image.', cell: (n) => n.status?.nodeInfo?.osImage ?? '<unknown>' },
  { name: 'Kernel-Version', type: 'string', priority: 1, description: 'Kernel version.', cell: (n) => n.status?.nodeInfo?.kernelVersion ?? '<unknown>' },
  { name: 'Container-Runtime', type: 'string', priority: 1, description: 'Container runtime.', cell: (n) => n.status?.nodeInfo?.containerRuntimeVersion ?? '<unknown>' },
];

const selectorText = (sel: Record<string, string> | undefined) => (sel && Object.keys(sel).length ? Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',') : '<none>');

function servicePorts(s: KObject): string {
  const ports: Any[] = s.spec?.ports ?? [];
  return ports.length ? ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',') : '<none>';
}

function serviceExternal(s: KObject): string {
  const ext: string[] = [...(s.spec?.externalIPs ?? [])];
  if (s.spec?.type === 'LoadBalancer') {
    const ingress = (s.status?.loadBalancer?.ingress ?? []).map((i: Any) => i.ip ?? i.hostname);
    return [...ingress, ...ext].join(',') || '<pending>';
  }
  if (s.spec?.type === 'ExternalName') return s.spec.externalName ?? '<none>';
  return ext.join(',') || '<none>';
}

const SERVICE: Column[] = [
  name,
  { name: 'Type', type: 'string', description: 'Service type.', cell: (s) => s.spec?.type ?? 'ClusterIP' },
  { name: 'Cluster-IP', type: 'string', description: 'Cluster IP.', cell: (s) => none(s.spec?.clusterIP) },
  { name: 'External-IP', type: 'string', description: 'External addresses.', cell: serviceExternal },
  { name: 'Port(s)', type: 'string', description: 'Ports.', cell: servicePorts },
  age,
  { name: 'Selector', type: 'string', priority: 1, description: 'Pod selector.', cell: (s) => selectorText(s.spec?.selector) },
];

const templateContainers = (d: KObject): Any[] => d.spec?.template?.spec?.containers ?? [];

const DEPLOYMENT: Column[] = [
  name,
  { name: 'Ready', type: 'string', description: 'Ready / desired replicas.', cell: (d) => `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}` },
  { name: 'Up-to-date', type: 'integer', description: 'Replicas of the current template.', cell: (d) => d.status?.updatedReplicas ?? 0 },
  { name: 'Available', type: 'integer', description: 'Available replicas.', cell: (d) => d.status?.availableReplicas ?? 0 },
  age,
  { name: 'Containers', type: 'string', priority: 1, description: 'Container names.', cell: (d) => templateContainers(d).map((c) => c.name).join(',') },
  { name: 'Images', type: 'string', priority: 1, description: 'Container images.', cell: (d) => templateContainers(d).map((c) => c.image).join(',') },
  { name: 'Selector', type: 'string', priority: 1, description: 'Label selector.', cell: (d) => selectorText(d.spec?.selector?.matchLabels) },
];

function endpointList(e: KObject): string {
  const all: string[] = [];
  for (const s of (e.subsets ?? []) as Any[]) {
    for (const a of s.addresses ?? []) for (const p of s.ports?.length ? s.ports : [{}]) all.push(p.port ? `${a.ip}:${p.port}` : a.ip);
  }
  if (!all.length) return '<none>';
  return all.length > 3 ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...` : all.join(',');
}

const count = (v: unknown) => Object.keys((v as object | undefined) ?? {}).length;

const ev = (o: KObject) => o as Any;

const BY_KIND: Record<string, Column[]> = {
  Pod: POD,
  Node: NODE,
  Service: SERVICE,
  Deployment: DEPLOYMENT,
  Namespace: [name, { name: 'Status', type: 'string', description: 'Namespace phase.', cell: (n) => n.status?.phase ?? 'Active' }, age],
  Endpoints: [name, { name: 'Endpoints', type: 'string', description: 'Ready addresses.', cell: endpointList }, age],
  ConfigMap: [name, { name: 'Data', type: 'integer', description: 'Number of keys.', cell: (c) => count(c.data) + count(c.binaryData) }, age],
  Secret: [name, { name: 'Type', type: 'string', description: 'Secret type.', cell: (s) => String(s.type ?? 'Opaque') }, { name: 'Data', type: 'integer', description: 'Number of keys.', cell: (s) => count(s.data) }, age],
  Lease: [name, { name: 'Holder', type: 'string', description: 'Holder identity.', cell: (l) => l.spec?.holderIdentity ?? '' }, age],
  Event: [
    { name: 'Last Seen', type: 'string', description: 'Time since last seen.', cell: (e) => humanAge(ev(e).lastTimestamp ?? ev(e).eventTime ?? e.metadata.creationTimestamp) },
    { name: 'Type', type: 'string', description: 'Normal or Warning.', cell: (e) => ev(e).type ?? '' },
    { name: 'Reason', type: 'string', description: 'Short reason.', cell: (e) => ev(e).reason ?? '' },
    { name: 'Object', type: 'string', description: 'Object the event is about.', cell: (e) => `${String(ev(e).involvedObject?.kind ?? '').toLowerCase()}/${ev(e).involvedObject?.name ?? ''}` },
    { name: 'Message', type: 'string', description: 'Message.', cell: (e) => ev(e).message ?? '' },
    { ...name, priority: 1 },
  ],
};

/** The Table version asked for in Accept (kubectl sends v1, then v1beta1, then plain JSON), if any. */
export function wantsTable(req: IncomingMessage): string | undefined {
  for (const part of String(req.headers.accept ?? '').split(',')) {
    const params = new Map(part.split(';').slice(1).map((p) => p.trim().split('=') as [string, string]));
    if (params.get('as') === 'Table' && params.get('g') === 'meta.k8s.io' && (params.get('v') === 'v1' || params.get('v') === 'v1beta1')) {
      return `meta.k8s.io/${params.get('v')}`;
    }
  }
  return undefined;
}

function rowObject(o: KObject, include: string, tableVersion: string): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: tableVersion, metadata: o.metadata };
}

export function toTable(rt: ResourceType, objects: KObject[], tableVersion: string, q: URLSearchParams, listMeta: Record<string, unknown> = {}, withColumns = true): Record<string, unknown> {
  const columns = BY_KIND[rt.kind] ?? [name, age];
  const include = q.get('includeObject') ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: tableVersion,
    metadata: listMeta,
    columnDefinitions: withColumns ? columns.map(({ cell: _c, ...def }) => ({ format: '', priority: 0, ...def })) : [],
    rows: objects.map((o) => {
      const object = rowObject(o, include, tableVersion);
      return { cells: columns.map((c) => c.cell(o)), ...(object ? { object } : {}) };
    }),
  };
}
