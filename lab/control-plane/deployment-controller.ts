// Deployments own their pods directly (no ReplicaSet objects): enough for "N replicas run, a deleted one comes back".
import type { ClusterApi } from './cluster-api.ts';
import { recordEvent } from './events.ts';
import { DEPLOYMENT, POD, resourceId } from './resources.ts';
import type { KObject } from './types.ts';
import { clone, nowTime, templateHash } from './util.ts';
import { WorkQueue } from './work-queue.ts';

type Any = Record<string, any>;

const COMPONENT = 'deployment-controller';

const terminal = (p: KObject) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** Ready condition True; a pod whose agent reports only a phase counts as ready once Running. */
export function isPodReady(p: KObject): boolean {
  const ready = (p.status?.conditions as Any[] | undefined)?.find((c) => c.type === 'Ready');
  return ready ? ready.status === 'True' : p.status?.phase === 'Running';
}

const controllerUid = (p: KObject) => p.metadata.ownerReferences?.find((r) => r.controller)?.uid;

function podFromTemplate(d: KObject, hash: string): KObject {
  const t = d.spec.template ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${d.metadata.name}-${hash}-`,
      namespace: d.metadata.namespace,
      labels: { ...(t.metadata?.labels ?? {}), 'pod-template-hash': hash },
      ...(t.metadata?.annotations ? { annotations: clone(t.metadata.annotations) } : {}),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name!, uid: d.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: clone(t.spec ?? {}),
  };
}

/** Deletion order when scaling down: unscheduled, then not ready, then newest first. */
function scaleDownOrder(a: KObject, b: KObject): number {
  const rank = (p: KObject) => (p.spec?.nodeName ? 0 : 2) + (isPodReady(p) ? 0 : 1);
  return rank(b) - rank(a) || String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp));
}

function condition(prev: Any[] | undefined, type: string, status: string, reason: string, message: string): Any {
  const old = prev?.find((c) => c.type === type);
  const now = nowTime();
  if (old && old.status === status && old.reason === reason) return { ...old, message };
  return { type, status, reason, message, lastUpdateTime: now, lastTransitionTime: old?.status === status ? old.lastTransitionTime : now };
}

function reconcile(api: ClusterApi, namespace: string, name: string): void {
  const d = api.find(DEPLOYMENT, namespace, name);
  if (!d || d.metadata.deletionTimestamp) return;
  const hash = templateHash(d.spec.template);
  const want: number = d.spec.replicas ?? 1;
  const owned = () => api.store.list(resourceId(POD), namespace).filter((p) => controllerUid(p) === d.metadata.uid);
  const live = () => owned().filter((p) => !p.metadata.deletionTimestamp && !terminal(p));

  // A changed template replaces every old pod at once (Recreate-like; no surge accounting).
  for (const p of live().filter((p) => p.metadata.labels?.['pod-template-hash'] !== hash)) {
    api.delete(POD, namespace, p.metadata.name!, {});
  }
  const current = live();
  if (current.length < want) {
    for (let i = current.length; i < want; i++) {
      const pod = api.create(POD, namespace, podFromTemplate(d, hash));
      recordEvent(api, d, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, COMPONENT);
    }
  } else if (current.length > want) {
    for (const p of current.sort(scaleDownOrder).slice(0, current.length - want)) {
      api.delete(POD, namespace, p.metadata.name!, {});
      recordEvent(api, d, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, COMPONENT);
    }
  }

  const pods = live();
  const updated = pods.filter((p) => p.metadata.labels?.['pod-template-hash'] === hash).length;
  const ready = pods.filter(isPodReady).length;
  const status: Any = { observedGeneration: d.metadata.generation };
  // Zero counts are omitted on the wire, as upstream's omitempty does.
  if (pods.length) status.replicas = pods.length;
  if (updated) status.updatedReplicas = updated;
  if (ready) status.readyReplicas = ready;
  if (ready) status.availableReplicas = ready;
  if (want - ready > 0) status.unavailableReplicas = want - ready;
  const prev: Any[] | undefined = d.status?.conditions;
  status.conditions = [
    ready >= want
      ? condition(prev, 'Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
      : condition(prev, 'Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'),
    updated === want && ready >= want
      ? condition(prev, 'Progressing', 'True', 'NewReplicaSetAvailable', `Deployment "${name}" has successfully progressed.`)
      : condition(prev, 'Progressing', 'True', 'ReplicaSetUpdated', `Deployment "${name}" is progressing.`),
  ];
  api.update(DEPLOYMENT, namespace, name, { ...d, status }, { subresource: 'status' });
}

/** Keeps every deployment's pods at spec.replicas and its status counts current. */
export function startDeploymentController(api: ClusterApi): () => void {
  const queue = new WorkQueue(COMPONENT, (key) => {
    const [ns, name] = key.split('/') as [string, string];
    reconcile(api, ns, name);
  });
  const unsubscribe = api.store.subscribe((e) => {
    if (e.resource === resourceId(DEPLOYMENT) && e.type !== 'DELETED') queue.add(`${e.object.metadata.namespace}/${e.object.metadata.name}`);
    if (e.resource === resourceId(POD)) {
      const owner = (e.object.metadata.ownerReferences ?? e.previous?.metadata.ownerReferences)?.find((r) => r.controller && r.kind === 'Deployment');
      if (owner) queue.add(`${e.object.metadata.namespace}/${owner.name}`);
    }
  });
  for (const d of api.store.list(resourceId(DEPLOYMENT))) queue.add(`${d.metadata.namespace}/${d.metadata.name}`);
  return () => {
    unsubscribe();
    queue.stop();
  };
}
