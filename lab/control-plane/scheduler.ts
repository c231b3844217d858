// A trivial scheduler so that pods reach edge nodes without kube-scheduler: filters, then least-loaded node wins.
import type { ClusterApi } from './cluster-api.ts';
import { recordEvent } from './events.ts';
import { isNodeReady } from './node-state.ts';
import { POD, resourceId } from './resources.ts';
import type { KObject } from './types.ts';
import { nowTime } from './util.ts';
import { WorkQueue } from './work-queue.ts';

type Any = Record<string, any>;

const COMPONENT = 'default-scheduler';

export function needsScheduling(pod: KObject): boolean {
  return (
    !pod.spec?.nodeName &&
    !pod.metadata.deletionTimestamp &&
    (pod.spec?.schedulerName ?? COMPONENT) === COMPONENT &&
    pod.status?.phase !== 'Succeeded' &&
    pod.status?.phase !== 'Failed'
  );
}

function tolerates(tolerations: Any[], taint: Any): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

function matchesExpression(e: Any, value: string | undefined): boolean {
  const values: string[] = e.values ?? [];
  switch (e.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && Number(value) > Number(values[0]);
    case 'Lt':
      return value !== undefined && Number(value) < Number(values[0]);
    default:
      return false;
  }
}

/** Required node affinity: any term matches when all of its expressions (and matchFields on metadata.name) do. */
function affinityMatches(pod: KObject, node: KObject): boolean {
  const terms: Any[] | undefined = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms?.length) return true;
  const labels = node.metadata.labels ?? {};
  return terms.some(
    (term) =>
      (term.matchExpressions ?? []).every((e: Any) => matchesExpression(e, labels[e.key])) &&
      (term.matchFields ?? []).every((e: Any) => e.key === 'metadata.name' && matchesExpression(e, node.metadata.name)),
  );
}

/** Why `node` cannot take `pod`, or undefined when it can. */
function misfit(pod: KObject, node: KObject): string | undefined {
  if (!isNodeReady(node)) return 'node(s) were not Ready';
  if (node.spec?.unschedulable) return 'node(s) were unschedulable';
  const selector: Record<string, string> = pod.spec?.nodeSelector ?? {};
  const labels = node.metadata.labels ?? {};
  if (Object.entries(selector).some(([k, v]) => labels[k] !== v) || !affinityMatches(pod, node)) {
    return "node(s) didn't match Pod's node affinity/selector";
  }
  const blocking = ((node.spec?.taints ?? []) as Any[]).filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  const untolerated = blocking.find((t) => !tolerates(pod.spec?.tolerations ?? [], t));
  if (untolerated) return `node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}`;
  return undefined;
}

function schedule(api: ClusterApi, namespace: string, name: string): void {
  const pod = api.find(POD, namespace, name);
  if (!pod || !needsScheduling(pod)) return;
  const nodes = api.store.list('/nodes');
  const reasons = new Map<string, number>();
  const fit: KObject[] = [];
  for (const node of nodes) {
    const why = misfit(pod, node);
    if (why) reasons.set(why, (reasons.get(why) ?? 0) + 1);
    else fit.push(node);
  }
  if (!fit.length) return markUnschedulable(api, pod, nodes.length, reasons);
  const load = new Map<string, number>();
  for (const p of api.store.list(resourceId(POD))) if (p.spec?.nodeName) load.set(p.spec.nodeName, (load.get(p.spec.nodeName) ?? 0) + 1);
  fit.sort((a, b) => (load.get(a.metadata.name!) ?? 0) - (load.get(b.metadata.name!) ?? 0) || (a.metadata.name! < b.metadata.name! ? -1 : 1));
  const target = fit[0]!.metadata.name!;
  const bound = api.bind(namespace, name, target);
  recordEvent(api, bound, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${target}`, COMPONENT);
}

function markUnschedulable(api: ClusterApi, pod: KObject, total: number, reasons: Map<string, number>): void {
  const detail = [...reasons].map(([why, n]) => `${n} ${why}`).join(', ');
  const message = `0/${total} nodes are available${detail ? `: ${detail}` : ''}.`;
  const conditions: Any[] = pod.status?.conditions ?? [];
  const prev = conditions.find((c) => c.type === 'PodScheduled');
  if (prev?.status === 'False' && prev.message === message) return;
  const next = { ...pod, status: { ...pod.status, conditions: [...conditions.filter((c) => c.type !== 'PodScheduled'), { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: nowTime() }] } };
  const updated = api.update(POD, pod.metadata.namespace, pod.metadata.name!, next, { subresource: 'status' });
  recordEvent(api, updated, 'Warning', 'FailedScheduling', message, COMPONENT);
}

/** Binds pending pods (no spec.nodeName, default scheduler) to a Ready node; see README for the rules. */
export function startScheduler(api: ClusterApi): () => void {
  const queue = new WorkQueue('scheduler', (key) => {
    const [ns, name] = key.split('/') as [string, string];
    schedule(api, ns, name);
  });
  const enqueuePending = () => {
    for (const p of api.store.list(resourceId(POD))) if (needsScheduling(p)) queue.add(`${p.metadata.namespace}/${p.metadata.name}`);
  };
  const unsubscribe = api.store.subscribe((e) => {
    if (e.resource === resourceId(POD) && e.type !== 'DELETED' && needsScheduling(e.object)) {
      queue.add(`${e.object.metadata.namespace}/${e.object.metadata.name}`);
    } else if (e.resource === '/nodes' && e.type !== 'DELETED') enqueuePending();
  });
  enqueuePending();
  return () => {
    unsubscribe();
    queue.stop();
  };
}
