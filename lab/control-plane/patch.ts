// The three patch formats clients send: kubectl apply uses strategic merge, client-node defaults to JSON patch.
import { ApiError, badRequest } from './api-error.ts';

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (v: Json): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

/** RFC 7386: objects merge recursively, null deletes, everything else (arrays too) replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// Upstream reads patchMergeKey from the Go types; this stand-in knows the list fields edge clients touch.
const MERGE_KEYS: Record<string, string | ((item: JsonObject) => string)> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  addresses: 'type',
  ownerReferences: 'uid',
  containerStatuses: 'name',
  initContainerStatuses: 'name',
  ports: (item) => ('containerPort' in item ? 'containerPort' : 'port'),
};
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, items: Json[]): string | undefined {
  const rule = MERGE_KEYS[field];
  if (!rule) return undefined;
  if (typeof rule === 'string') return rule;
  const first = items.find(isObject);
  return first ? rule(first) : undefined;
}

/**
 * Strategic merge patch for the fields in MERGE_KEYS; other lists replace, as they would for a field
 * without a patch strategy. Honours $patch (replace/delete), $retainKeys, $deleteFromPrimitiveList and
 * ignores $setElementOrder (ordering only).
 */
export function strategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const rest = { ...patch };
    delete rest.$patch;
    return clone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = new Set(Array.isArray(v) ? v.map((x) => JSON.stringify(x)) : []);
      if (Array.isArray(out[field])) out[field] = (out[field] as Json[]).filter((x) => !drop.has(JSON.stringify(x)));
      continue;
    }
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = mergeList(k, out[k], v);
    else if (isObject(v)) {
      const merged = strategicMergePatch(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else out[k] = clone(v);
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  return out;
}

function mergeList(field: string, current: Json, patchItems: Json[]): Json[] {
  const base = Array.isArray(current) ? current : [];
  if (MERGED_PRIMITIVE_LISTS.has(field)) {
    const seen = new Set(base.map((x) => JSON.stringify(x)));
    return [...clone(base), ...patchItems.filter((x) => !seen.has(JSON.stringify(x)))];
  }
  const key = mergeKeyFor(field, patchItems) ?? mergeKeyFor(field, base);
  if (!key) return clone(patchItems.filter((x) => !(isObject(x) && x.$patch)));
  if (patchItems.some((x) => isObject(x) && x.$patch === 'replace')) {
    return clone(patchItems.filter((x) => !(isObject(x) && x.$patch === 'replace')));
  }
  const out = clone(base);
  for (const item of patchItems) {
    if (!isObject(item)) continue;
    const idx = out.findIndex((x) => isObject(x) && x[key] === item[key]);
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
    } else if (idx >= 0) out[idx] = strategicMergePatch(out[idx], item);
    else out.push(strategicMergePatch(undefined, item));
  }
  return out;
}

interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid JSON pointer "${path}"`);
  return path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const unprocessable = (message: string) => new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`);

function parentOf(doc: Json, tokens: string[], path: string): { parent: JsonObject | Json[]; last: string } {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined) throw unprocessable(`doc is missing path: "${path}"`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw unprocessable(`doc is missing path: "${path}"`);
  return { parent: cur, last: tokens[tokens.length - 1]! };
}

function arrayIndex(arr: Json[], token: string, allowEnd: boolean, path: string): number {
  if (allowEnd && token === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw unprocessable(`invalid array index "${token}" in "${path}"`);
  const i = Number(token);
  if (i > arr.length || (!allowEnd && i === arr.length)) throw unprocessable(`index out of range in "${path}"`);
  return i;
}

function read(doc: Json, path: string): Json {
  let cur = doc;
  for (const t of pointer(path)) {
    cur = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined;
    if (cur === undefined) throw unprocessable(`doc is missing path: "${path}"`);
  }
  return cur;
}

function add(doc: Json, path: string, value: Json): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return clone(value);
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true, path), 0, clone(value));
  else parent[last] = clone(value);
  return doc;
}

function remove(doc: Json, path: string): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) throw unprocessable('cannot remove the whole document');
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, false, path), 1);
  else if (!(last in parent)) throw unprocessable(`doc is missing key: "${path}"`);
  else delete parent[last];
  return doc;
}

/** RFC 6902 (add, remove, replace, move, copy, test). */
export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw badRequest('a JSON patch must be an array of operations');
  let doc = clone(target);
  for (const raw of ops as JsonPatchOp[]) {
    if (!isObject(raw) || typeof raw.path !== 'string') throw badRequest('each JSON patch operation needs "op" and "path"');
    switch (raw.op) {
      case 'add':
        doc = add(doc, raw.path, raw.value);
        break;
      case 'remove':
        doc = remove(doc, raw.path);
        break;
      case 'replace':
        read(doc, raw.path);
        doc = add(remove(doc, raw.path), raw.path, raw.value);
        break;
      case 'move': {
        const v = read(doc, raw.from ?? '');
        doc = add(remove(doc, raw.from ?? ''), raw.path, v);
        break;
      }
      case 'copy':
        doc = add(doc, raw.path, read(doc, raw.from ?? ''));
        break;
      case 'test':
        if (JSON.stringify(read(doc, raw.path)) !== JSON.stringify(raw.value)) throw unprocessable(`testing value ${raw.path} failed`);
        break;
      default:
        throw badRequest(`unknown JSON patch operation "${String(raw.op)}"`);
    }
  }
  return doc;
}

export const PATCH_TYPES = {
  'application/json-patch+json': jsonPatch,
  'application/merge-patch+json': mergePatch,
  'application/strategic-merge-patch+json': strategicMergePatch,
} as const;

export type PatchType = keyof typeof PATCH_TYPES;
export const isPatchType = (t: string): t is PatchType => Object.hasOwn(PATCH_TYPES, t);
