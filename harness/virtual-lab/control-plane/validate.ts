// 422 Invalid like a real apiserver: kubernetes-models schema checks plus the few semantic rules clients hit.
import { invalid, type StatusCause } from './api-error.ts';
import type { ResourceType } from './resources.ts';
import { labelSelectorRequirements, matchesRequirements } from './selectors.ts';
import type { KObject } from './types.ts';
import { deepEqual } from './util.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

interface AjvError {
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

function schemaCauses(rt: ResourceType, obj: KObject): StatusCause[] {
  try {
    rt.validate(obj);
    return [];
  } catch (err) {
    const errors = (err as { errors?: AjvError[] }).errors;
    if (!Array.isArray(errors)) return [{ reason: 'FieldValueInvalid', message: String((err as Error).message) }];
    return errors.map((e) => {
      const missing = e.params?.missingProperty;
      return missing !== undefined
        ? { reason: 'FieldValueRequired', field: fieldPath(e.instancePath ?? '', missing), message: 'Required value' }
        : { reason: 'FieldValueInvalid', field: fieldPath(e.instancePath ?? ''), message: `Invalid value: ${e.message ?? 'does not match the schema'}` };
    });
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

/** Throws 422 when `obj` would be rejected on create or update. */
export function validateObject(rt: ResourceType, obj: KObject): void {
  const causes = [...nameCauses(rt, obj.metadata.name), ...schemaCauses(rt, obj), ...kindCauses(rt, obj)];
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
