// labelSelector / fieldSelector query strings, and the structured LabelSelector that deployments carry.
import { badRequest } from './api-error.ts';
import type { FieldReader } from './resources.ts';
import type { KObject } from './types.ts';

type Labels = Record<string, string> | undefined;

export type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export type LabelPredicate = (labels: Labels) => boolean;

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside `in (...)` parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t.length > 0);
}

function checkKey(key: string, whole: string): string {
  if (!KEY.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${whole}"`);
  return key;
}

function checkValue(value: string, whole: string): string {
  if (!VALUE.test(value) || value.length > 63) throw badRequest(`unable to parse requirement: invalid label value "${value}" in selector "${whole}"`);
  return value;
}

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h` (and `==`). */
export function parseLabelSelector(s: string): Requirement[] {
  const reqs: Requirement[] = [];
  for (const term of splitTerms(s)) {
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^!\s*(\S+)$/))) reqs.push({ key: checkKey(m[1]!, s), op: 'notexists' });
    else if ((m = term.match(/^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      const values = m[3]!.split(',').map((v) => checkValue(v.trim(), s));
      reqs.push({ key: checkKey(m[1]!, s), op: m[2] as 'in' | 'notin', values });
    } else if ((m = term.match(/^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/))) {
      reqs.push({ key: checkKey(m[1]!, s), op: m[2] === '!=' ? 'neq' : 'eq', value: checkValue(m[3]!, s) });
    } else if ((m = term.match(/^(\S+)$/))) reqs.push({ key: checkKey(m[1]!, s), op: 'exists' });
    else throw badRequest(`unable to parse requirement: "${term}" in label selector "${s}"`);
  }
  return reqs;
}

export function matchesRequirements(reqs: Requirement[], labels: Labels): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case 'eq':
        return has && l[r.key] === r.value;
      case 'neq':
        return !has || l[r.key] !== r.value;
      case 'in':
        return has && r.values.includes(l[r.key]!);
      case 'notin':
        return !has || !r.values.includes(l[r.key]!);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}

export function labelPredicate(s: string | undefined): LabelPredicate {
  if (!s) return () => true;
  const reqs = parseLabelSelector(s);
  return (labels) => matchesRequirements(reqs, labels);
}

export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/** The structured form (a deployment's spec.selector). An empty selector matches everything, as upstream. */
export function labelSelectorRequirements(sel: LabelSelectorSpec | undefined): Requirement[] {
  const reqs: Requirement[] = Object.entries(sel?.matchLabels ?? {}).map(([key, value]) => ({ key, op: 'eq', value }));
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === 'In') reqs.push({ key: e.key, op: 'in', values: e.values ?? [] });
    else if (e.operator === 'NotIn') reqs.push({ key: e.key, op: 'notin', values: e.values ?? [] });
    else if (e.operator === 'Exists') reqs.push({ key: e.key, op: 'exists' });
    else reqs.push({ key: e.key, op: 'notexists' });
  }
  return reqs;
}

/** The query-string rendering of a structured selector, as a Scale's status.selector carries it. */
export function formatRequirements(reqs: Requirement[]): string {
  return reqs
    .map((r) => {
      switch (r.op) {
        case 'eq':
          return `${r.key}=${r.value}`;
        case 'neq':
          return `${r.key}!=${r.value}`;
        case 'in':
        case 'notin':
          return `${r.key} ${r.op} (${r.values.join(',')})`;
        case 'exists':
          return r.key;
        case 'notexists':
          return `!${r.key}`;
      }
    })
    .join(',');
}

export type ObjectPredicate = (o: KObject) => boolean;

/** fieldSelector: `metadata.name=x,spec.nodeName!=y`; only the fields a kind supports, else 400 like upstream. */
export function fieldPredicate(s: string | undefined, fields: Record<string, FieldReader>): ObjectPredicate {
  if (!s) return () => true;
  const tests: ObjectPredicate[] = [];
  for (const term of s.split(',').map((t) => t.trim()).filter(Boolean)) {
    const m = term.match(/^([^=!]+)(==|=|!=)(.*)$/);
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    const [, field, op, value] = m as unknown as [string, string, string, string];
    const read = fields[field];
    if (!read) throw badRequest(`field label not supported: ${field}`);
    const eq = (o: KObject) => String(read(o) ?? '') === value;
    tests.push(op === '!=' ? (o) => !eq(o) : eq);
  }
  return (o) => tests.every((t) => t(o));
}
