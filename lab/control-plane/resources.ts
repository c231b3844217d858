// One table of served resource types drives routing, discovery, validation and field selectors alike.
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Lease } from 'kubernetes-models/coordination.k8s.io/v1/Lease';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Endpoints } from 'kubernetes-models/v1/Endpoints';
import { Event } from 'kubernetes-models/v1/Event';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Node } from 'kubernetes-models/v1/Node';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import type { KObject } from './types.ts';

export type Subresource = 'status' | 'log' | 'binding' | 'scale';

/** Reads one field of an object for a fieldSelector; undefined reads as "". */
export type FieldReader = (o: KObject) => string | number | boolean | undefined;

export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  subresources: Subresource[];
  /** Names must be a DNS-1123 label (namespaces, services) or subdomain (everything else). */
  nameRule: 'label' | 'subdomain';
  fields: Record<string, FieldReader>;
  /** kubernetes-models validation: throws a ValidationError listing schema violations. */
  validate(obj: KObject): void;
}

export const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

export const apiVersionOf = (rt: ResourceType) => (rt.group ? `${rt.group}/${rt.version}` : rt.version);
export const resourceId = (rt: Pick<ResourceType, 'group' | 'plural'>) => `${rt.group}/${rt.plural}`;

type ModelClass = new (data: never) => { validate(): void };
const validator = (Model: ModelClass) => (obj: KObject) => new Model(obj as never).validate();

const META: Record<string, FieldReader> = { 'metadata.name': (o) => o.metadata.name };
const NS_META: Record<string, FieldReader> = { ...META, 'metadata.namespace': (o) => o.metadata.namespace };

function make(rt: Omit<ResourceType, 'categories' | 'subresources' | 'nameRule' | 'fields'> & Partial<ResourceType>): ResourceType {
  return {
    categories: [],
    subresources: [],
    nameRule: 'subdomain',
    ...rt,
    fields: { ...(rt.namespaced ? NS_META : META), ...rt.fields },
  };
}

export const RESOURCES: readonly ResourceType[] = [
  make({
    group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false,
    shortNames: ['ns'], subresources: ['status'], nameRule: 'label', validate: validator(Namespace),
    fields: { 'status.phase': (o) => o.status?.phase },
  }),
  make({
    group: '', version: 'v1', plural: 'nodes', singular: 'node', kind: 'Node', namespaced: false,
    shortNames: ['no'], subresources: ['status'], validate: validator(Node),
    fields: { 'spec.unschedulable': (o) => String(Boolean(o.spec?.unschedulable)) },
  }),
  make({
    group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true,
    shortNames: ['po'], categories: ['all'], subresources: ['status', 'log', 'binding'], validate: validator(Pod),
    fields: {
      'spec.nodeName': (o) => o.spec?.nodeName,
      'spec.restartPolicy': (o) => o.spec?.restartPolicy,
      'spec.schedulerName': (o) => o.spec?.schedulerName,
      'spec.serviceAccountName': (o) => o.spec?.serviceAccountName,
      'status.phase': (o) => o.status?.phase,
      'status.podIP': (o) => o.status?.podIP,
      'status.nominatedNodeName': (o) => o.status?.nominatedNodeName,
    },
  }),
  make({
    group: '', version: 'v1', plural: 'services', singular: 'service', kind: 'Service', namespaced: true,
    shortNames: ['svc'], categories: ['all'], subresources: ['status'], nameRule: 'label', validate: validator(Service),
  }),
  make({
    group: '', version: 'v1', plural: 'endpoints', singular: 'endpoints', kind: 'Endpoints', namespaced: true,
    shortNames: ['ep'], validate: validator(Endpoints),
  }),
  make({
    group: '', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true,
    shortNames: ['ev'], validate: validator(Event),
    fields: {
      'involvedObject.kind': (o) => (o.involvedObject as KObject['spec'])?.kind,
      'involvedObject.namespace': (o) => (o.involvedObject as KObject['spec'])?.namespace,
      'involvedObject.name': (o) => (o.involvedObject as KObject['spec'])?.name,
      'involvedObject.uid': (o) => (o.involvedObject as KObject['spec'])?.uid,
      'involvedObject.apiVersion': (o) => (o.involvedObject as KObject['spec'])?.apiVersion,
      'involvedObject.resourceVersion': (o) => (o.involvedObject as KObject['spec'])?.resourceVersion,
      'involvedObject.fieldPath': (o) => (o.involvedObject as KObject['spec'])?.fieldPath,
      reason: (o) => o.reason as string | undefined,
      reportingComponent: (o) => o.reportingComponent as string | undefined,
      source: (o) => (o.source as KObject['spec'])?.component,
      type: (o) => o.type as string | undefined,
    },
  }),
  make({
    group: '', version: 'v1', plural: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true,
    shortNames: ['cm'], validate: validator(ConfigMap),
  }),
  make({
    group: '', version: 'v1', plural: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true,
    shortNames: [], validate: validator(Secret), fields: { type: (o) => o.type as string | undefined },
  }),
  make({
    group: 'coordination.k8s.io', version: 'v1', plural: 'leases', singular: 'lease', kind: 'Lease', namespaced: true,
    shortNames: [], validate: validator(Lease),
  }),
  make({
    group: 'apps', version: 'v1', plural: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true,
    shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'], validate: validator(Deployment),
  }),
];

const byId = new Map(RESOURCES.map((rt) => [resourceId(rt), rt]));

/** The served type for a group and plural, e.g. ('apps', 'deployments'). */
export function resourceFor(group: string, plural: string): ResourceType | undefined {
  return byId.get(`${group}/${plural}`);
}

/** Lookup by a key the code itself owns; a miss is a programming error. */
export function mustResource(group: string, plural: string): ResourceType {
  const rt = resourceFor(group, plural);
  if (!rt) throw new Error(`no served resource ${plural} in group "${group}"`);
  return rt;
}

export const POD = mustResource('', 'pods');
export const NODE = mustResource('', 'nodes');
export const NAMESPACE = mustResource('', 'namespaces');
export const DEPLOYMENT = mustResource('apps', 'deployments');
export const EVENT = mustResource('', 'events');
export const LEASE = mustResource('coordination.k8s.io', 'leases');

/** Group versions served, in discovery order. */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const rt of RESOURCES) seen.set(apiVersionOf(rt), { group: rt.group, version: rt.version });
  return [...seen.values()];
}
