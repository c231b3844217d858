// The semantics behind every verb (defaulting, validation, conflicts, graceful pod deletion, cascades), shared by
// the HTTP handlers and the built-in controllers so both obey the same rules.
import { randomUUID } from 'node:crypto';
import { alreadyExists, badRequest, conflict, notFound, unsupportedMediaType } from './api-error.ts';
import { applyCreateDefaults, applySecretStringData } from './defaults.ts';
import { isNodeReady } from './node-state.ts';
import { isPatchType, PATCH_TYPES } from './patch.ts';
import { NAMESPACE, NODE, POD, RESOURCES, apiVersionOf, resourceId, type ResourceType } from './resources.ts';
import { fieldPredicate, labelPredicate } from './selectors.ts';
import type { Store } from './store.ts';
import type { DeleteOptions, KObject } from './types.ts';
import { unknownFields } from './strict-fields.ts';
import { clone, deepEqual, nowTime, randomSuffix } from './util.ts';
import { validateObject, validateUpdate } from './validate.ts';

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface WriteOptions {
  dryRun?: boolean;
  subresource?: 'status';
  /** Unknown fields: Strict rejects (400), Warn (upstream's default) reports them in `warnings`, Ignore drops the check. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  /** Filled with warning texts, sent back as HTTP Warning headers. */
  warnings?: string[];
}

export interface ListResult {
  items: KObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

const SERVER_META = ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'selfLink', 'managedFields'];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Everything but metadata and status: a change here bumps metadata.generation. */
function specPart(o: KObject): Record<string, unknown> {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}

export class ClusterApi {
  readonly store: Store;
  #nextServiceIP = 10;

  constructor(store: Store) {
    this.store = store;
  }

  get(rt: ResourceType, namespace: string | undefined, name: string): KObject {
    const o = this.store.get(resourceId(rt), rt.namespaced ? namespace : undefined, name);
    if (!o) throw notFound(rt, name);
    return clone(o);
  }

  /** Like get, but undefined instead of 404; for controllers. */
  find(rt: ResourceType, namespace: string | undefined, name: string): KObject | undefined {
    const o = this.store.get(resourceId(rt), rt.namespaced ? namespace : undefined, name);
    return o && clone(o);
  }

  list(rt: ResourceType, namespace: string | undefined, opts: ListOptions = {}): ListResult {
    const byLabel = labelPredicate(opts.labelSelector);
    const byField = fieldPredicate(opts.fieldSelector, rt.fields);
    let items = this.store.list(resourceId(rt), rt.namespaced ? namespace : undefined).filter((o) => byLabel(o.metadata.labels) && byField(o));
    const resourceVersion = String(this.store.resourceVersion);
    if (opts.continue) {
      const after = decodeContinue(opts.continue);
      items = items.filter((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}` > after);
    }
    if (opts.limit && opts.limit > 0 && items.length > opts.limit) {
      const page = items.slice(0, opts.limit);
      const last = page[page.length - 1]!;
      return {
        items: page.map(clone),
        resourceVersion,
        continue: encodeContinue(`${last.metadata.namespace ?? ''}/${last.metadata.name}`),
        remainingItemCount: items.length - page.length,
      };
    }
    return { items: items.map(clone), resourceVersion };
  }

  create(rt: ResourceType, namespace: string | undefined, body: unknown, opts: WriteOptions = {}): KObject {
    const obj = this.#accept(rt, namespace, body);
    checkFields(rt, obj, opts);
    const meta = obj.metadata;
    for (const k of SERVER_META) delete meta[k];
    if (!meta.name && meta.generateName) {
      do meta.name = `${meta.generateName}${randomSuffix()}`;
      while (this.store.get(resourceId(rt), meta.namespace, meta.name));
    }
    if (rt.namespaced) {
      const ns = meta.namespace!;
      if (!this.store.get(resourceId(NAMESPACE), undefined, ns)) throw notFound(NAMESPACE, ns);
    }
    meta.creationTimestamp = nowTime();
    applyCreateDefaults(rt, obj, { allocateClusterIP: () => this.#allocateClusterIP() });
    validateObject(rt, obj);
    if (this.store.get(resourceId(rt), meta.namespace, meta.name!)) throw alreadyExists(rt, meta.name!);
    meta.uid = randomUUID();
    meta.generation = 1;
    if (opts.dryRun) return obj;
    return clone(this.store.commit('ADDED', resourceId(rt), obj));
  }

  update(rt: ResourceType, namespace: string | undefined, name: string, body: unknown, opts: WriteOptions = {}): KObject {
    const prev = this.#stored(rt, namespace, name);
    const incoming = this.#accept(rt, namespace, body);
    checkFields(rt, incoming, opts);
    if (incoming.metadata.name !== name) {
      throw badRequest(`the name of the object (${incoming.metadata.name ?? ''}) does not match the name on the URL (${name})`);
    }
    const sentRv = incoming.metadata.resourceVersion;
    if (sentRv && sentRv !== prev.metadata.resourceVersion) throw conflict(rt, name);
    let next: KObject;
    if (opts.subresource === 'status') {
      // A status write changes status only; labels, annotations and spec stay as stored (upstream's rule).
      next = clone(prev);
      next.status = incoming.status;
    } else {
      next = incoming;
      for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation']) {
        if (prev.metadata[k] === undefined) delete next.metadata[k];
        else next.metadata[k] = prev.metadata[k];
      }
      if (rt.subresources.includes('status')) next.status = clone(prev.status);
      if (rt.kind === 'Secret') applySecretStringData(next);
      if (!deepEqual(specPart(next), specPart(prev))) next.metadata.generation = (prev.metadata.generation ?? 1) + 1;
      validateUpdate(rt, next, prev);
    }
    delete next.metadata.managedFields;
    validateObject(rt, next);
    next.metadata.resourceVersion = prev.metadata.resourceVersion;
    if (deepEqual(next, prev)) return clone(prev);
    if (opts.dryRun) return next;
    // The last finalizer gone from an object already being deleted completes the deletion.
    if (prev.metadata.deletionTimestamp && prev.metadata.finalizers?.length && !next.metadata.finalizers?.length) {
      return clone(this.#remove(rt, next, { propagationPolicy: 'Background' }));
    }
    return clone(this.store.commit('MODIFIED', resourceId(rt), next, prev));
  }

  patch(rt: ResourceType, namespace: string | undefined, name: string, contentType: string, patch: unknown, opts: WriteOptions = {}): KObject {
    if (!isPatchType(contentType)) throw unsupportedMediaType(contentType);
    const prev = this.#stored(rt, namespace, name);
    const patched = PATCH_TYPES[contentType](clone(prev), patch);
    if (!isObject(patched) || !isObject(patched.metadata)) throw badRequest('the patch removed the object metadata');
    return this.update(rt, namespace, name, patched, opts);
  }

  /** Sets spec.nodeName like a Binding; bypasses the pod spec immutability that guards ordinary updates. */
  bind(namespace: string, name: string, nodeName: string): KObject {
    const prev = this.#stored(POD, namespace, name);
    if (prev.spec?.nodeName) throw conflict(POD, name, `pod ${name} is already assigned to node "${prev.spec.nodeName}"`);
    if (prev.metadata.deletionTimestamp) throw conflict(POD, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    const next = clone(prev);
    next.spec.nodeName = nodeName;
    const conditions: Record<string, unknown>[] = (next.status.conditions ?? []).filter((c: { type: string }) => c.type !== 'PodScheduled');
    conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowTime() });
    next.status.conditions = conditions;
    return clone(this.store.commit('MODIFIED', resourceId(POD), next, prev));
  }

  delete(rt: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}, opts: WriteOptions = {}): KObject {
    const prev = this.#stored(rt, namespace, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== prev.metadata.uid) {
      throw conflict(rt, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${prev.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== prev.metadata.resourceVersion) {
      throw conflict(rt, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${prev.metadata.resourceVersion}`);
    }
    if (opts.dryRun) return clone(prev);
    if (prev.metadata.finalizers?.length) {
      if (prev.metadata.deletionTimestamp) return clone(prev);
      const next = clone(prev);
      next.metadata.deletionTimestamp = nowTime();
      next.metadata.deletionGracePeriodSeconds = 0;
      return clone(this.store.commit('MODIFIED', resourceId(rt), next, prev));
    }
    const grace = this.#podGraceSeconds(rt, prev, options);
    if (grace > 0) {
      if (prev.metadata.deletionTimestamp && (prev.metadata.deletionGracePeriodSeconds ?? 0) <= grace) return clone(prev);
      const next = clone(prev);
      next.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      next.metadata.deletionGracePeriodSeconds = grace;
      return clone(this.store.commit('MODIFIED', resourceId(rt), next, prev));
    }
    return clone(this.#remove(rt, prev, options));
  }

  deleteCollection(rt: ResourceType, namespace: string | undefined, list: ListOptions, options: DeleteOptions = {}, opts: WriteOptions = {}): KObject[] {
    return this.list(rt, namespace, list).items.map((o) => this.delete(rt, o.metadata.namespace, o.metadata.name!, options, opts));
  }

  /**
   * Pods bound to a Ready node terminate gracefully: the node's agent (an edgecore stand-in, or a real
   * edgecore) finishes the deletion with gracePeriodSeconds=0. Pods nobody is running go at once.
   */
  #podGraceSeconds(rt: ResourceType, pod: KObject, options: DeleteOptions): number {
    if (rt !== POD || !pod.spec?.nodeName) return 0;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 0;
    if (!isNodeReady(this.store.get(resourceId(NODE), undefined, pod.spec.nodeName))) return 0;
    return Math.max(0, options.gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30);
  }

  #remove(rt: ResourceType, prev: KObject, options: DeleteOptions): KObject {
    const gone = this.store.commit('DELETED', resourceId(rt), clone(prev), prev);
    if (rt === NAMESPACE) this.#emptyNamespace(prev.metadata.name!);
    if (options.propagationPolicy !== 'Orphan' && prev.metadata.uid) this.#collectDependents(prev);
    return gone;
  }

  // Upstream marks the namespace Terminating and a controller empties it; here it is emptied at once.
  #emptyNamespace(ns: string): void {
    for (const rt of RESOURCES) {
      if (!rt.namespaced) continue;
      for (const o of this.store.list(resourceId(rt), ns)) this.store.commit('DELETED', resourceId(rt), clone(o), o);
    }
  }

  // Garbage collection by ownerReferences, in the background policy's spirit but synchronously; dependents go
  // through the ordinary delete, so pods on a Ready node terminate gracefully as they would upstream.
  #collectDependents(owner: KObject): void {
    const uid = owner.metadata.uid;
    for (const rt of RESOURCES) {
      if (!rt.namespaced) continue;
      for (const o of this.store.list(resourceId(rt), owner.metadata.namespace)) {
        if (o.metadata.ownerReferences?.some((r) => r.uid === uid)) this.delete(rt, o.metadata.namespace, o.metadata.name!, { propagationPolicy: 'Background' });
      }
    }
  }

  #stored(rt: ResourceType, namespace: string | undefined, name: string): KObject {
    const o = this.store.get(resourceId(rt), rt.namespaced ? namespace : undefined, name);
    if (!o) throw notFound(rt, name);
    return o;
  }

  /** A deep copy of a request body with apiVersion/kind/namespace checked against the URL and filled in. */
  #accept(rt: ResourceType, namespace: string | undefined, body: unknown): KObject {
    if (!isObject(body)) throw badRequest(`the body of the request must be a JSON object (a ${rt.kind})`);
    const obj = clone(body) as KObject;
    const want = apiVersionOf(rt);
    if (obj.apiVersion !== undefined && obj.apiVersion !== want) {
      throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${want})`);
    }
    if (obj.kind !== undefined && obj.kind !== rt.kind) {
      throw badRequest(`${String(obj.kind)} in version "${rt.version}" cannot be handled as a ${rt.kind}: the kind does not match`);
    }
    obj.apiVersion = want;
    obj.kind = rt.kind;
    if (!isObject(obj.metadata)) obj.metadata = {};
    if (rt.namespaced) {
      if (obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = namespace ?? obj.metadata.namespace ?? 'default';
    } else delete obj.metadata.namespace;
    return obj;
  }

  #allocateClusterIP(): string {
    const used = new Set(this.store.list('/services').map((s) => s.spec?.clusterIP));
    // 10.96.0.0/12, skipping .1 (kubernetes) and .10 (cluster DNS) as kubeadm clusters do.
    for (;;) {
      const n = this.#nextServiceIP++;
      const ip = `10.96.${Math.floor(n / 256) % 256}.${n % 256}`;
      if (n % 256 !== 0 && n % 256 !== 255 && n !== 10 && !used.has(ip)) return ip;
    }
  }
}

function checkFields(rt: ResourceType, obj: KObject, opts: WriteOptions): void {
  if (opts.fieldValidation === 'Ignore') return;
  const unknown = unknownFields(rt.kind, obj);
  if (!unknown.length) return;
  if (opts.fieldValidation === 'Strict') {
    throw badRequest(`${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
  }
  opts.warnings?.push(...unknown.map((f) => `unknown field "${f}"`));
}

const encodeContinue = (key: string) => Buffer.from(JSON.stringify({ v: 1, after: key })).toString('base64url');

function decodeContinue(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString()) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through to the 400 below
  }
  throw badRequest('continue key is not valid');
}
