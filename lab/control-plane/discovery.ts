// The legacy (unaggregated) discovery documents; kubectl falls back to these when aggregated discovery is absent.
import { apiVersionOf, groupVersions, RESOURCES, VERBS, type ResourceType, type Subresource } from './resources.ts';

/** The version this stand-in claims; the "+virtual-lab" build metadata tells any reader it is not a real apiserver. */
export const SERVER_VERSION = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0+virtual-lab',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-08-13T00:00:00Z',
  goVersion: 'none (edgecert virtual-lab stand-in, TypeScript)',
  compiler: 'none',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

const SUBRESOURCE_VERBS: Record<Subresource, string[]> = {
  status: ['get', 'patch', 'update'],
  scale: ['get', 'patch', 'update'],
  log: ['get'],
  binding: ['create'],
};

const SUBRESOURCE_KIND: Partial<Record<Subresource, { kind: string; group?: string; version?: string }>> = {
  scale: { kind: 'Scale', group: 'autoscaling', version: 'v1' },
  binding: { kind: 'Binding' },
};

function resourceEntries(rt: ResourceType): Record<string, unknown>[] {
  const main: Record<string, unknown> = {
    name: rt.plural,
    singularName: rt.singular,
    namespaced: rt.namespaced,
    kind: rt.kind,
    verbs: [...VERBS],
  };
  if (rt.shortNames.length) main.shortNames = rt.shortNames;
  if (rt.categories.length) main.categories = rt.categories;
  const subs = rt.subresources.map((sub) => ({
    name: `${rt.plural}/${sub}`,
    singularName: '',
    namespaced: rt.namespaced,
    ...(SUBRESOURCE_KIND[sub] ?? { kind: rt.kind }),
    verbs: SUBRESOURCE_VERBS[sub],
  }));
  return [main, ...subs];
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(group: string): Record<string, unknown> {
  const versions = groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: `${gv.group}/${gv.version}`, version: gv.version }));
  return { name: group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(): Record<string, unknown> {
  const groups = [...new Set(groupVersions().map((gv) => gv.group).filter(Boolean))];
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(apiGroup) };
}

/** `/apis/<group>`, or undefined for a group not served. */
export function apiGroupDocument(group: string): Record<string, unknown> | undefined {
  if (!groupVersions().some((gv) => gv.group === group && gv.group !== '')) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group) };
}

/** `/api/v1` or `/apis/<group>/<version>`, or undefined for a group version not served. */
export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const rts = RESOURCES.filter((rt) => rt.group === group && rt.version === version);
  if (!rts.length) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(rts[0]!), resources: rts.flatMap(resourceEntries) };
}
