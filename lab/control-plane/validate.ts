// 422 Invalid like a real apiserver: kubernetes-models schema checks plus the few semantic rules clients hit.
import { badRequest, invalid, type StatusCause } from './api-error.ts';
import type { ResourceType } from './resources.ts';
import { labelSelectorRequirements, matchesRequirements } from './selectors.ts';
import type { KObject } from './types.ts';
import { deepEqual } from './util.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

interface AjvError {
  keyword?: string;
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** "/spec/containers/0/name" -> "spec.containers[0].name" */
function fieldPath(instancePath: string, missing?: unknown): string {
  let out = '';
  for (const t of instancePath.split('/').filter(Boolean)) out += /^\d+$/.test(t) ? `[${t}]` : `${out ? '.' : ''}${t}`;
  if (typeof missing === 'string') out += `${out ? '.' : ''}${missing}`;
  return out || '<root>';
}

interface SchemaFindings {
  /** Wrong JSON types or unparsable times: upstream fails while decoding, with 400 rather than 422. */
  decode: string[];
  causes: StatusCause[];
}

function schemaFindings(rt: ResourceType, obj: KObject): SchemaFindings {
  try {
    rt.validate(obj);
    return { decode: [], causes: [] };
  } catch (err) {
    const errors = (err as { errors?: AjvError[] }).errors;
    if (!Array.isArray(errors)) return { decode: [], causes: [{ reason: 'FieldValueInvalid', message: String((err as Error).message) }] };
    const found: SchemaFindings = { decode: [], causes: [] };
    for (const e of errors) {
      const at = e.instancePath ?? '';
      const missing = e.params?.missingProperty;
      if (e.keyword === 'type' || e.keyword === 'format') found.decode.push(`${fieldPath(at)}: ${e.message ?? 'wrong type'}`);
      // Agents write status; upstream does not insist on the fields the schema lists as always serialised.
      else if (missing !== undefined && (at === '/status' || at.startsWith('/status/'))) continue;
      else if (missing !== undefined) found.causes.push({ reason: 'FieldValueRequired', field: fieldPath(at, missing), message: 'Required value' });
      else found.causes.push({ reason: 'FieldValueInvalid', field: fieldPath(at), message: `Invalid value: ${e.message ?? 'does not match the schema'}` });
    }
    return found;
  }
}

function nameCauses(rt: ResourceType, name: string | undefined): StatusCause[] {
  if (!name) return [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }];
  const ok = rt.nameRule === 'label' ? DNS1123_LABEL.test(name) && name.length <= 63 : DNS1123_SUBDOMAIN.test(name) && name.length <= 253;
  if (ok) return [];
  const what = rt.nameRule === 'label' ? 'a lowercase RFC 1123 label' : 'a lowercase RFC 1123 subdomain';
  return [{ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": must be ${what}` }];
}

function kindCauses(rt: ResourceType, obj: KObject): StatusCause[] {
  const causes: StatusCause[] = [];
  if (rt.kind === 'Pod' && Array.isArray(obj.spec?.containers) && obj.spec.containers.length === 0) {
    causes.push({ reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' });
  }
  if (rt.kind === 'Deployment') {
    const sel = obj.spec?.selector;
    const labels = obj.spec?.template?.metadata?.labels;
    if (!sel || (!sel.matchLabels && !sel.matchExpressions)) {
      causes.push({ reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' });
    } else if (!matchesRequirements(labelSelectorRequirements(sel), labels)) {
      causes.push({ reason: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: `Invalid value: ${JSON.stringify(labels ?? {})}: \`selector\` does not match template \`labels\`` });
    }
    if (!Array.isArray(obj.spec?.template?.spec?.containers) || obj.spec.template.spec.containers.length === 0) {
      causes.push({ reason: 'FieldValueRequired', field: 'spec.template.spec.containers', message: 'Required value' });
    }
    if (typeof obj.spec?.replicas === 'number' && obj.spec.replicas < 0) {
      causes.push({ reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${obj.spec.replicas}: must be greater than or equal to 0` });
    }
  }
  if (rt.kind === 'Secret') {
    for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, unknown>)) {
      if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) {
        causes.push({ reason: 'FieldValueInvalid', field: `data[${k}]`, message: 'Invalid value: not valid base64' });
      }
    }
  }
  return causes;
}

// Upstream decodes MicroTime with a fixed six-digit fraction, so a JavaScript Date's toISOString() is rejected.
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/;
const MICRO_TIME_FIELDS: Record<string, ((o: KObject) => unknown)[]> = {
  Lease: [(o) => o.spec?.acquireTime, (o) => o.spec?.renewTime],
  Event: [(o) => o.eventTime, (o) => (o.series as { lastObservedTime?: unknown } | undefined)?.lastObservedTime],
};

function microTimeErrors(rt: ResourceType, obj: KObject): string[] {
  return (MICRO_TIME_FIELDS[rt.kind] ?? [])
    .map((read) => read(obj))
    .filter((v) => v !== undefined && v !== null && !(typeof v === 'string' && MICRO_TIME.test(v)))
    .map((v) => `parsing time ${JSON.stringify(v)}: a MicroTime needs exactly six fractional digits (2006-01-02T15:04:05.000000Z07:00)`);
}

/** Throws 400 for what upstream could not decode, 422 for what it decodes but rejects. */
export function validateObject(rt: ResourceType, obj: KObject): void {
  const schema = schemaFindings(rt, obj);
  const decode = [...schema.decode, ...microTimeErrors(rt, obj)];
  if (decode.length) {
    throw badRequest(`${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: ${decode.join('; ')}`);
  }
  const causes = [...nameCauses(rt, obj.metadata.name), ...schema.causes, ...kindCauses(rt, obj)];
  if (causes.length) throw invalid(rt.kind, obj.metadata.name ?? '', rt.group, causes);
}

// Pod spec fields a kubelet-facing client may still change after creation (upstream's mutable set, abridged).
const POD_MUTABLE = ['activeDeadlineSeconds', 'tolerations', 'terminationGracePeriodSeconds'];

/** Rules that only apply to updates: immutable fields. */
export function validateUpdate(rt: ResourceType, next: KObject, prev: KObject): void {
  const causes: StatusCause[] = [];
  if (rt.kind === 'Pod') {
    const strip = (spec: Record<string, unknown> | undefined) => {
      const s = structuredClone(spec ?? {});
      for (const k of POD_MUTABLE) delete s[k];
      for (const list of ['containers', 'initContainers'] as const) {
        if (Array.isArray(s[list])) s[list] = (s[list] as Record<string, unknown>[]).map(({ image: _image, ...rest }) => rest);
      }
      return s;
    };
    if (!deepEqual(strip(next.spec), strip(prev.spec))) {
      causes.push({ reason: 'FieldValueForbidden', field: 'spec', message: 'Forbidden: pod updates may only change container images, activeDeadlineSeconds, tolerations and terminationGracePeriodSeconds' });
    }
  }
  if (rt.kind === 'Deployment' && !deepEqual(next.spec?.selector, prev.spec?.selector)) {
    causes.push({ reason: 'FieldValueInvalid', field: 'spec.selector', message: 'Invalid value: field is immutable' });
  }
  if (causes.length) throw invalid(rt.kind, next.metadata.name ?? '', rt.group, causes);
}
