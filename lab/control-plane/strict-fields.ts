// fieldValidation: upstream rejects (Strict) or warns about (Warn, the default) fields its Go types lack; kubectl
// sends Strict. client-node's generated models carry the same field lists, so they serve as the type tree here.
import * as models from '@kubernetes/client-node';

type AttributeMap = { baseName: string; type: string }[];
type ModelCtor = { getAttributeTypeMap(): AttributeMap };

const table = models as unknown as Record<string, ModelCtor | undefined>;
const fieldsCache = new Map<string, Map<string, string> | undefined>();

function fieldsOf(type: string): Map<string, string> | undefined {
  if (!fieldsCache.has(type)) {
    const ctor = table[type];
    fieldsCache.set(type, typeof ctor?.getAttributeTypeMap === 'function' ? new Map(ctor.getAttributeTypeMap().map((a) => [a.baseName, a.type])) : undefined);
  }
  return fieldsCache.get(type);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function walk(value: unknown, type: string, path: string, out: string[]): void {
  if (value === null || value === undefined) return;
  let m: RegExpExecArray | null;
  if ((m = /^Array<(.+)>$/.exec(type))) {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, m![1]!, `${path}[${i}]`, out));
    return;
  }
  if ((m = /^\{ \[key: string\]: (.+); \}$/.exec(type))) {
    if (isObject(value)) for (const [k, v] of Object.entries(value)) walk(v, m[1]!, `${path}[${k}]`, out);
    return;
  }
  const fields = fieldsOf(type);
  if (!fields || !isObject(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const child = fields.get(k);
    const at = path ? `${path}.${k}` : k;
    if (child === undefined) out.push(at);
    else walk(v, child, at, out);
  }
}

/** Dotted paths of fields the kind's type does not declare, e.g. ["spec.contianers"]. */
export function unknownFields(kind: string, obj: unknown): string[] {
  const out: string[] = [];
  walk(obj, kind === 'Event' ? 'CoreV1Event' : `V1${kind}`, '', out);
  return out;
}
