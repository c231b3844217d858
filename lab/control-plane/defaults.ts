// Server-side defaulting on create, so objects read back the way a real apiserver (plus its admission) shapes them.
import type { ResourceType } from './resources.ts';
import type { KObject } from './types.ts';

type Spec = Record<string, any>;

const imagePullPolicyFor = (image: unknown): string => {
  const ref = String(image ?? '');
  if (ref.includes('@')) return 'IfNotPresent';
  const tag = ref.slice(ref.lastIndexOf('/') + 1).split(':')[1];
  return !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
};

function defaultContainer(c: Spec): void {
  c.imagePullPolicy ??= imagePullPolicyFor(c.image);
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  for (const p of c.ports ?? []) p.protocol ??= 'TCP';
}

// The DefaultTolerationSeconds admission plugin adds these, so pods ride out a short node outage.
const DEFAULT_TOLERATIONS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'].map((key) => ({
  key,
  operator: 'Exists',
  effect: 'NoExecute',
  tolerationSeconds: 300,
}));

/** `admitted`: a pod being created (admission adds tolerations), not a template inside a deployment. */
export function defaultPodSpec(spec: Spec, admitted: boolean): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) defaultContainer(c);
  if (!admitted) return;
  const tolerations: Spec[] = (spec.tolerations ??= []);
  for (const t of DEFAULT_TOLERATIONS) {
    if (!tolerations.some((x) => x.key === t.key && (x.effect === t.effect || !x.effect))) tolerations.push({ ...t });
  }
}

function qosClass(spec: Spec): string {
  const containers: Spec[] = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  const any = containers.some((c) => Object.keys(c.resources?.requests ?? {}).length || Object.keys(c.resources?.limits ?? {}).length);
  if (!any) return 'BestEffort';
  const guaranteed = containers.every((c) =>
    ['cpu', 'memory'].every((r) => c.resources?.limits?.[r] !== undefined && (c.resources?.requests?.[r] ?? c.resources.limits[r]) === c.resources.limits[r]),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export interface DefaultingContext {
  /** Next free ClusterIP; services are the only kind that needs cluster-wide state to default. */
  allocateClusterIP(): string;
}

export function applyCreateDefaults(rt: ResourceType, obj: KObject, ctx: DefaultingContext): void {
  switch (rt.kind) {
    case 'Pod': {
      obj.spec ??= {};
      defaultPodSpec(obj.spec, true);
      const conditions = obj.spec.nodeName ? [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: obj.metadata.creationTimestamp }] : undefined;
      obj.status = { phase: 'Pending', qosClass: qosClass(obj.spec), ...(conditions ? { conditions } : {}) };
      break;
    }
    case 'Deployment': {
      const s = (obj.spec ??= {});
      s.replicas ??= 1;
      s.revisionHistoryLimit ??= 10;
      s.progressDeadlineSeconds ??= 600;
      s.strategy ??= { type: 'RollingUpdate' };
      if (s.strategy.type === 'RollingUpdate') s.strategy.rollingUpdate ??= { maxSurge: '25%', maxUnavailable: '25%' };
      s.template ??= {};
      s.template.metadata ??= {};
      s.template.spec ??= {};
      defaultPodSpec(s.template.spec, false);
      obj.status = {};
      break;
    }
    case 'Service': {
      const s = (obj.spec ??= {});
      s.type ??= 'ClusterIP';
      s.sessionAffinity ??= 'None';
      if (s.type !== 'ExternalName') {
        s.clusterIP ??= ctx.allocateClusterIP();
        s.clusterIPs ??= [s.clusterIP];
        s.ipFamilies ??= ['IPv4'];
        s.ipFamilyPolicy ??= 'SingleStack';
        s.internalTrafficPolicy ??= 'Cluster';
      }
      for (const p of s.ports ?? []) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      obj.status = { loadBalancer: {} };
      break;
    }
    case 'Node':
      obj.spec ??= {};
      obj.status ??= {};
      break;
    case 'Namespace':
      obj.spec = { finalizers: ['kubernetes'], ...obj.spec };
      obj.status = { phase: 'Active' };
      obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name! };
      break;
    case 'Secret':
      applySecretStringData(obj);
      obj.type ??= 'Opaque';
      break;
  }
}

/** stringData is write-only: folded into base64 data on every write, as upstream does. */
export function applySecretStringData(obj: KObject): void {
  const sd = obj.stringData as Record<string, string> | undefined;
  if (!sd) return;
  const data = ((obj.data as Record<string, string> | undefined) ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(String(v)).toString('base64');
  obj.data = data;
  delete obj.stringData;
}
