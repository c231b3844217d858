// Without this the cloud side could never see a board drop off: upstream's node lifecycle controller marks a node
// Unknown when neither its Lease nor its status heartbeat moved within the grace period, and taints it.
import type { ClusterApi } from './cluster-api.ts';
import { readyCondition } from './node-state.ts';
import { LEASE, NODE, resourceId } from './resources.ts';
import type { KObject } from './types.ts';
import { deepEqual, nowTime } from './util.ts';

type Any = Record<string, any>;

const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const UNREACHABLE = 'node.kubernetes.io/unreachable';
const NOT_READY = 'node.kubernetes.io/not-ready';
const HEALTH_CONDITIONS = new Set(['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable']);

function wantedTaintKey(node: KObject): string | undefined {
  const status = readyCondition(node)?.status;
  if (status === 'True' || status === undefined) return undefined;
  return status === 'False' ? NOT_READY : UNREACHABLE;
}

/** Adds or removes the not-ready / unreachable taints so they follow the Ready condition, as upstream does. */
function syncTaints(api: ClusterApi, node: KObject): void {
  const key = wantedTaintKey(node);
  const taints: Any[] = node.spec?.taints ?? [];
  const others = taints.filter((t) => t.key !== UNREACHABLE && t.key !== NOT_READY);
  const ours = key ? ['NoSchedule', 'NoExecute'].map((effect) => taints.find((t) => t.key === key && t.effect === effect) ?? { key, effect, ...(effect === 'NoExecute' ? { timeAdded: nowTime() } : {}) }) : [];
  const next = [...others, ...ours];
  if (deepEqual(next, taints)) return;
  const spec = { ...node.spec };
  if (next.length) spec.taints = next;
  else delete spec.taints;
  api.update(NODE, undefined, node.metadata.name!, { ...node, spec });
}

export interface NodeLifecycleOptions {
  /** Upstream's --node-monitor-grace-period: 40 s. */
  gracePeriodMs: number;
}

export function startNodeLifecycle(api: ClusterApi, opts: NodeLifecycleOptions): () => void {
  // Heartbeats are timed on this clock when observed, so a board with a skewed clock is judged fairly.
  const lastSeen = new Map<string, number>();
  const unsubscribe = api.store.subscribe((e) => {
    if (e.resource === resourceId(NODE)) {
      const name = e.object.metadata.name!;
      if (e.type === 'DELETED') return void lastSeen.delete(name);
      const beat = readyCondition(e.object)?.lastHeartbeatTime;
      if (e.type === 'ADDED' || beat !== readyCondition(e.previous)?.lastHeartbeatTime || !lastSeen.has(name)) lastSeen.set(name, Date.now());
      setImmediate(() => {
        const node = api.find(NODE, undefined, name);
        if (node) syncTaints(api, node);
      });
    } else if (e.resource === resourceId(LEASE)) {
      if (e.object.metadata.namespace === NODE_LEASE_NAMESPACE && e.type !== 'DELETED' && e.object.spec?.renewTime !== e.previous?.spec?.renewTime) {
        lastSeen.set(e.object.metadata.name!, Date.now());
      }
    }
  });
  const check = () => {
    const now = Date.now();
    for (const node of api.store.list(resourceId(NODE))) {
      const name = node.metadata.name!;
      const seen = lastSeen.get(name) ?? (lastSeen.set(name, now), now);
      const ready = readyCondition(node);
      if (now - seen <= opts.gracePeriodMs || !ready || ready.status === 'Unknown') continue;
      const t = nowTime();
      const conditions = (node.status.conditions as Any[]).map((c) =>
        HEALTH_CONDITIONS.has(c.type) && c.type !== 'NetworkUnavailable'
          ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: t }
          : c,
      );
      api.update(NODE, undefined, name, { ...node, status: { ...node.status, conditions } }, { subresource: 'status' });
    }
  };
  const timer = setInterval(() => {
    try {
      check();
    } catch {
      // A node deleted between list and update; the next tick sees the new state.
    }
  }, Math.max(100, Math.min(5000, Math.floor(opts.gracePeriodMs / 4))));
  return () => {
    unsubscribe();
    clearInterval(timer);
  };
}
