// Verb dispatch for resource URLs: maps method + route onto ClusterApi and shapes the responses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, methodNotAllowed, successStatus, unsupportedMediaType } from './api-error.ts';
import type { ClusterApi, ListOptions, WriteOptions } from './cluster-api.ts';
import { mediaType, readBody, sendJson } from './http-io.ts';
import { isPatchType, PATCH_TYPES } from './patch.ts';
import { servePodLog, type PodLogProvider } from './pod-log.ts';
import { apiVersionOf, type ResourceType } from './resources.ts';
import type { ResourceRoute } from './router.ts';
import { formatRequirements, labelSelectorRequirements } from './selectors.ts';
import type { DeleteOptions, KObject } from './types.ts';
import { toTable, wantsTable } from './table.ts';
import { serveWatch, type WatchSettings } from './watch.ts';

export interface HandlerContext {
  api: ClusterApi;
  watch: WatchSettings;
  podLogProvider(): PodLogProvider | undefined;
}

const PATCH_MEDIA = Object.keys(PATCH_TYPES);

function listOptions(q: URLSearchParams): ListOptions {
  const limit = q.get('limit');
  return {
    ...(q.get('labelSelector') ? { labelSelector: q.get('labelSelector')! } : {}),
    ...(q.get('fieldSelector') ? { fieldSelector: q.get('fieldSelector')! } : {}),
    ...(limit && /^\d+$/.test(limit) ? { limit: Number(limit) } : {}),
    ...(q.get('continue') ? { continue: q.get('continue')! } : {}),
  };
}

const FIELD_VALIDATION = new Set(['Strict', 'Warn', 'Ignore']);

function writeOptions(q: URLSearchParams, subresource?: 'status'): WriteOptions {
  const fv = q.get('fieldValidation') ?? 'Warn';
  if (!FIELD_VALIDATION.has(fv)) throw badRequest(`fieldValidation: invalid value "${fv}": must be Ignore, Warn or Strict`);
  return {
    ...(q.getAll('dryRun').includes('All') ? { dryRun: true } : {}),
    ...(subresource ? { subresource } : {}),
    fieldValidation: fv as 'Strict' | 'Warn' | 'Ignore',
    warnings: [],
  };
}

/** Upstream's 299 warnings; kubectl prints them as "Warning: ...". */
function sendWritten(res: ServerResponse, code: number, body: unknown, opts: WriteOptions): void {
  if (opts.warnings?.length) res.setHeader('Warning', opts.warnings.map((w) => `299 - ${JSON.stringify(w)}`));
  sendJson(res, code, body);
}

async function deleteOptions(req: IncomingMessage, q: URLSearchParams): Promise<DeleteOptions> {
  const body = ((await readBody(req)) ?? {}) as DeleteOptions & { orphanDependents?: boolean };
  const opts: DeleteOptions = { ...body };
  const grace = q.get('gracePeriodSeconds');
  if (grace !== null && /^-?\d+$/.test(grace)) opts.gracePeriodSeconds = Number(grace);
  const policy = q.get('propagationPolicy');
  if (policy === 'Orphan' || policy === 'Background' || policy === 'Foreground') opts.propagationPolicy = policy;
  if (body.orphanDependents === true || q.get('orphanDependents') === 'true') opts.propagationPolicy ??= 'Orphan';
  return opts;
}

/** Items of a list carry no kind/apiVersion on the wire, as upstream serialises typed lists. */
function listBody(rt: ResourceType, r: { items: KObject[]; resourceVersion: string; continue?: string; remainingItemCount?: number }) {
  const metadata: Record<string, unknown> = { resourceVersion: r.resourceVersion };
  if (r.continue) metadata.continue = r.continue;
  if (r.remainingItemCount !== undefined) metadata.remainingItemCount = r.remainingItemCount;
  const items = r.items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
  return { kind: `${rt.kind}List`, apiVersion: apiVersionOf(rt), metadata, items };
}

const tableOpt = (req: IncomingMessage) => {
  const table = wantsTable(req);
  return table ? { table } : {};
};

const isWatch = (route: ResourceRoute, q: URLSearchParams) => route.watchPath || q.get('watch') === 'true' || q.get('watch') === '1';

export async function handleResource(req: IncomingMessage, res: ServerResponse, route: ResourceRoute, q: URLSearchParams, ctx: HandlerContext): Promise<void> {
  const { rt, namespace, name, subresource } = route;
  const { api } = ctx;
  const method = req.method ?? 'GET';

  if (name === undefined) {
    if (method === 'GET' && isWatch(route, q)) return serveWatch(req, res, { rt, namespace, query: q, ...tableOpt(req) }, ctx.watch);
    if (method === 'GET') {
      const list = api.list(rt, namespace, listOptions(q));
      const table = wantsTable(req);
      if (!table) return sendJson(res, 200, listBody(rt, list));
      return sendJson(res, 200, toTable(rt, list.items, table, q, listBody(rt, list).metadata));
    }
    if (method === 'POST') {
      if (rt.namespaced && namespace === undefined) throw methodNotAllowed(`create ${rt.plural} needs a namespace in the path`);
      const opts = writeOptions(q);
      return sendWritten(res, 201, api.create(rt, namespace, await readBody(req), opts), opts);
    }
    if (method === 'DELETE') {
      const deleted = api.deleteCollection(rt, namespace, listOptions(q), await deleteOptions(req, q), writeOptions(q));
      return sendJson(res, 200, listBody(rt, { items: deleted, resourceVersion: String(api.store.resourceVersion) }));
    }
    throw methodNotAllowed();
  }

  if (subresource === 'log') {
    if (method !== 'GET') throw methodNotAllowed();
    return servePodLog(res, api, namespace!, name, q, ctx.podLogProvider());
  }
  if (subresource === 'binding') {
    if (method !== 'POST') throw methodNotAllowed();
    const body = (await readBody(req)) as { target?: { name?: string } } | undefined;
    if (!body?.target?.name) throw badRequest('a Binding needs target.name');
    api.bind(namespace!, name, body.target.name);
    return sendJson(res, 201, successStatus({ name, kind: 'pods' }));
  }
  if (subresource === 'scale') return handleScale(req, res, rt, namespace, name, q, api);

  if (method === 'GET' && isWatch(route, q)) return serveWatch(req, res, { rt, namespace, query: q, name, ...tableOpt(req) }, ctx.watch);
  const opts = writeOptions(q, subresource === 'status' ? 'status' : undefined);
  switch (method) {
    case 'GET': {
      const obj = api.get(rt, namespace, name);
      const table = wantsTable(req);
      return sendJson(res, 200, table ? toTable(rt, [obj], table, q, { resourceVersion: obj.metadata.resourceVersion }) : obj);
    }
    case 'PUT':
      return sendWritten(res, 200, api.update(rt, namespace, name, await readBody(req), opts), opts);
    case 'PATCH': {
      const type = mediaType(req);
      if (!isPatchType(type)) throw unsupportedMediaType(type);
      return sendWritten(res, 200, api.patch(rt, namespace, name, type, await readBody(req, PATCH_MEDIA), opts), opts);
    }
    case 'DELETE':
      if (subresource) throw methodNotAllowed();
      return sendJson(res, 200, api.delete(rt, namespace, name, await deleteOptions(req, q), opts));
    default:
      throw methodNotAllowed();
  }
}

function scaleOf(d: KObject): KObject {
  const { name, namespace, uid, resourceVersion, creationTimestamp } = d.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: d.spec?.replicas ?? 0 },
    status: { replicas: d.status?.replicas ?? 0, selector: formatRequirements(labelSelectorRequirements(d.spec?.selector)) },
  };
}

// deployments/scale reads and writes spec.replicas through an autoscaling/v1 Scale, as `kubectl scale` expects.
async function handleScale(req: IncomingMessage, res: ServerResponse, rt: ResourceType, namespace: string | undefined, name: string, q: URLSearchParams, api: ClusterApi): Promise<void> {
  const method = req.method ?? 'GET';
  const current = api.get(rt, namespace, name);
  if (method === 'GET') return sendJson(res, 200, scaleOf(current));
  let wanted: KObject;
  if (method === 'PUT') wanted = (await readBody(req)) as KObject;
  else if (method === 'PATCH') {
    const type = mediaType(req);
    if (!isPatchType(type)) throw unsupportedMediaType(type);
    wanted = PATCH_TYPES[type](scaleOf(current), await readBody(req, PATCH_MEDIA)) as KObject;
  } else throw methodNotAllowed();
  const replicas = wanted?.spec?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas)) throw badRequest('a Scale needs an integer spec.replicas');
  const next = { ...current, spec: { ...current.spec, replicas } };
  next.metadata = { ...current.metadata, resourceVersion: wanted.metadata?.resourceVersion ?? current.metadata.resourceVersion };
  return sendJson(res, 200, scaleOf(api.update(rt, namespace, name, next, writeOptions(q))));
}
