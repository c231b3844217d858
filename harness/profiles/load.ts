import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Document, LineCounter } from 'yaml';
import { usage } from '../core/errors.ts';
import { firstIssue, lineOf, readYamlFile, yamlPath } from '../inventory/load.ts';
import { Profile } from './schema.ts';

export const PROFILES_DIR = dirname(fileURLToPath(import.meta.url));

// A profile may say `extends: <profile>`: its mappings merge over the parent's key by key, a list replaces the
// parent's, and `key+: [...]` appends to the parent's list. One copy of each shared option list, overlays for the rest.

interface Layer {
  file: string;
  doc: Document;
  counter: LineCounter;
  data: Record<string, unknown>;
}

function profileFile(nameOrPath: string): string {
  const file = nameOrPath.endsWith('.yaml') ? resolve(nameOrPath) : join(PROFILES_DIR, `${nameOrPath}.yaml`);
  if (!existsSync(file)) throw usage(`profile \`${nameOrPath}\`: ${file} does not exist`);
  return file;
}

function readLayer(file: string): Layer {
  const { doc, counter } = readYamlFile(file, 'profile');
  const data = doc.toJS() as unknown;
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw usage(`${file}: a profile must be a mapping`);
  return { file, doc, counter, data: data as Record<string, unknown> };
}

/** The profile's file and those it extends, the root first. */
function layersOf(file: string, seen: string[] = []): Layer[] {
  if (seen.includes(file)) throw usage(`${file}: \`extends\` loops: ${[...seen, file].join(' -> ')}`);
  const layer = readLayer(file);
  const parent = layer.data.extends;
  if (parent === undefined) return [layer];
  const where = `${file}:${lineOf(layer.doc, layer.counter, ['extends']) ?? '?'}`;
  if (typeof parent !== 'string' || !/^[a-z0-9-]+$/.test(parent)) throw usage(`${where}: profile at \`extends\`: the name of another profile, like generic-linux`);
  const parentFile = join(PROFILES_DIR, `${parent}.yaml`);
  if (!existsSync(parentFile)) throw usage(`${where}: profile at \`extends\`: ${parentFile} does not exist`);
  return [...layersOf(parentFile, [...seen, file]), layer];
}

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function merge(base: Record<string, unknown>, over: Record<string, unknown>, layer: Layer, path: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (path.length === 0 && key === 'extends') continue;
    if (key.endsWith('+')) {
      const k = key.slice(0, -1);
      const prev = out[k] ?? [];
      if (!Array.isArray(prev) || !Array.isArray(value)) {
        const p = [...path, key];
        throw usage(`${layer.file}:${lineOf(layer.doc, layer.counter, p) ?? '?'}: profile at \`${yamlPath(p)}\`: \`${key}\` appends a list to the list \`${k}\` of the profile it extends`);
      }
      out[k] = [...prev, ...value];
    } else out[key] = isMap(value) && isMap(out[key]) ? merge(out[key] as Record<string, unknown>, value, layer, [...path, key]) : value;
  }
  return out;
}

/** A profile by name (harness/profiles/<name>.yaml) or by path; schema errors name file, line and YAML path. */
export function loadProfile(nameOrPath: string): Profile {
  const file = profileFile(nameOrPath);
  const layers = layersOf(file);
  const merged = layers.reduce<Record<string, unknown>>((acc, l) => merge(acc, l.data, l, []), {});
  const parsed = Profile.safeParse(merged);
  if (!parsed.success) {
    const { path, detail } = firstIssue(parsed.error);
    // the nearest file that spells out that path (the profile itself first, then what it extends)
    const own = [...layers].reverse().find((l) => l.doc.hasIn(path as unknown[])) ?? layers.at(-1)!;
    const line = lineOf(own.doc, own.counter, path);
    throw usage(`${own.file}${line ? `:${line}` : ''}: profile at \`${yamlPath(path)}\`: ${detail}`);
  }
  const data = parsed.data;
  if (!file.endsWith(`/${data.name}.yaml`)) throw usage(`${file}: profile name \`${data.name}\` must match its file name`);
  return data;
}
