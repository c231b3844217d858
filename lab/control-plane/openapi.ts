// Just enough OpenAPI v3 for kubectl to learn that PATCH takes fieldValidation, so `kubectl apply` needs no
// --validate=false; there are no schemas, so kubectl builds patches from its compiled-in types instead.
import { createHash } from 'node:crypto';
import { groupVersions, RESOURCES, type ResourceType } from './resources.ts';
import { SERVER_VERSION } from './discovery.ts';

const gvPath = (group: string, version: string) => (group ? `apis/${group}/${version}` : `api/${version}`);

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({ name, in: 'query', schema: { type: 'string' } }));

function itemPath(rt: ResourceType): string {
  const ns = rt.namespaced ? '/namespaces/{namespace}' : '';
  return `/${gvPath(rt.group, rt.version)}${ns}/${rt.plural}/{name}`;
}

export function openApiV3Document(group: string, version: string): Record<string, unknown> | undefined {
  const rts = RESOURCES.filter((rt) => rt.group === group && rt.version === version);
  if (!rts.length) return undefined;
  const paths: Record<string, unknown> = {};
  for (const rt of rts) {
    const gvk = { group: rt.group, version: rt.version, kind: rt.kind };
    paths[itemPath(rt)] = {
      patch: {
        operationId: `patch${rt.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
        parameters: QUERY_PARAMS,
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'edgecert virtual-lab control plane (stand-in)', version: SERVER_VERSION.gitVersion }, paths, components: { schemas: {} } };
}

export function openApiV3Root(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const { group, version } of groupVersions()) {
    const hash = createHash('sha256').update(JSON.stringify(openApiV3Document(group, version))).digest('hex').slice(0, 16).toUpperCase();
    paths[gvPath(group, version)] = { serverRelativeURL: `/openapi/v3/${gvPath(group, version)}?hash=${hash}` };
  }
  return { paths };
}

/** Maps `/openapi/v3/api/v1` or `/openapi/v3/apis/apps/v1` to its document. */
export function openApiV3ForPath(pathname: string): Record<string, unknown> | undefined {
  const rest = pathname.replace(/^\/openapi\/v3\/?/, '');
  if (rest === '') return openApiV3Root();
  const m = rest.match(/^api\/([^/]+)$/) ?? rest.match(/^apis\/([^/]+)\/([^/]+)$/);
  if (!m) return undefined;
  const [group, version] = m.length === 2 || m[2] === undefined ? ['', m[1]!] : [m[1]!, m[2]];
  return openApiV3Document(group, version);
}
