// Controllers leave core/v1 Events behind, so `kubectl describe` and the suites' evidence show why things happened.
import { randomBytes } from 'node:crypto';
import type { ClusterApi } from './cluster-api.ts';
import { EVENT } from './resources.ts';
import type { KObject } from './types.ts';
import { nowTime } from './util.ts';

export function recordEvent(api: ClusterApi, about: KObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string): void {
  const ns = about.metadata.namespace ?? 'default';
  const now = nowTime();
  api.create(EVENT, ns, {
    metadata: { name: `${about.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: ns },
    involvedObject: {
      apiVersion: about.apiVersion,
      kind: about.kind,
      name: about.metadata.name,
      namespace: about.metadata.namespace,
      uid: about.metadata.uid,
      resourceVersion: about.metadata.resourceVersion,
    },
    reason,
    message,
    type,
    count: 1,
    firstTimestamp: now,
    lastTimestamp: now,
    source: { component },
    reportingComponent: component,
    reportingInstance: `${component}-virtual-lab`,
  });
}
