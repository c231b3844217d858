import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { usage } from '../core/errors.ts';
import { Inventory, type BoardSpec } from './schema.ts';

/** Where a YAML path sits in the file, as `line N`, for error messages a lab engineer can act on. */
export function lineOf(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

export function yamlPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '') || '(top level)';
}

/** The first schema issue as the YAML path it concerns (an unknown key names that key) and what was expected. */
export function firstIssue(error: z.ZodError): { path: PropertyKey[]; detail: string } {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') return { path: [...issue.path, issue.keys[0]!], detail: `unknown key \`${issue.keys.join('`, `')}\`` };
  return { path: issue.path as PropertyKey[], detail: issue.message };
}

/** Read and parse a YAML file, keeping line positions for later error messages; unreadable or invalid YAML is USAGE. */
export function readYamlFile(file: string, what: string): { doc: Document; counter: LineCounter } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw usage(`${file}: cannot read ${what} (${(cause as NodeJS.ErrnoException).code ?? cause})`, { cause });
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? counter.linePos(e.pos[0]).line;
    throw usage(`${file}:${line}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  return { doc, counter };
}

/** Parse a YAML file and validate it with a zod schema; every error names file, line, YAML path and expectation. */
export function loadYamlFile<S extends z.ZodType>(file: string, schema: S, what: string): { data: z.infer<S>; doc: Document; counter: LineCounter } {
  const { doc, counter } = readYamlFile(file, what);
  const parsed = schema.safeParse(doc.toJS());
  if (!parsed.success) {
    const { path, detail } = firstIssue(parsed.error);
    const line = lineOf(doc, counter, path);
    throw usage(`${file}${line ? `:${line}` : ''}: ${what} at \`${yamlPath(path)}\`: ${detail}`);
  }
  return { data: parsed.data, doc, counter };
}

/** Load and validate devices.yaml: schema, unique ids, referenced files. Relative paths resolve against its directory. */
export function loadInventory(file: string): Inventory {
  const abs = resolve(file);
  const { data, doc, counter } = loadYamlFile(abs, Inventory, 'inventory');
  const where = (path: PropertyKey[]) => `${abs}:${lineOf(doc, counter, path) ?? '?'}`;
  const base = dirname(abs);
  const seen = new Map<string, number>();
  data.boards.forEach((b, i) => {
    const first = seen.get(b.id);
    if (first !== undefined) {
      throw usage(`${where(['boards', i, 'id'])}: inventory at \`boards[${i}].id\`: duplicate board id \`${b.id}\` (first at boards[${first}])`);
    }
    seen.set(b.id, i);
  });
  const resolvePath = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  for (const [i, b] of data.boards.entries()) {
    if (b.transport.type === 'ssh') {
      b.transport.keyPath = resolvePath(b.transport.keyPath);
      if (!b.transport.hostKey.startsWith('ssh-') && !b.transport.hostKey.startsWith('ecdsa-')) b.transport.hostKey = resolvePath(b.transport.hostKey);
    }
    if (b.transport.type === 'hdc' && b.transport.hdcPath?.includes('/')) b.transport.hdcPath = resolvePath(b.transport.hdcPath);
    if (b.cloud) b.cloud.kubeconfig = resolvePath(b.cloud.kubeconfig);
    // a board's files must exist now, unless its provisioner makes them (the virtual lab's keys and kubeconfig)
    if (!b.provision) {
      const files: [string | undefined, PropertyKey[], string][] = [
        [b.transport.type === 'ssh' ? b.transport.keyPath : undefined, ['transport', 'keyPath'], 'ssh private key'],
        [b.transport.type === 'ssh' && b.transport.hostKey.startsWith('/') ? b.transport.hostKey : undefined, ['transport', 'hostKey'], 'known_hosts file'],
        [b.cloud?.kubeconfig, ['cloud', 'kubeconfig'], 'kubeconfig'],
      ];
      for (const [path, key, what] of files) {
        if (!path) continue;
        const yp = ['boards', i, ...key];
        try {
          accessSync(path, constants.R_OK);
        } catch (e) {
          const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(e as NodeJS.ErrnoException).code})`;
          throw usage(`${where(yp)}: inventory at \`${yamlPath(yp)}\`: ${what} ${path} ${why}`);
        }
      }
    }
  }
  return data;
}

/** Files a board needs at run time (keys, kubeconfig): checked when the board is used, since the lab may create them. */
export function requireBoardFiles(board: BoardSpec): void {
  const need: [string, string][] = [];
  if (board.transport.type === 'ssh') {
    need.push([board.transport.keyPath, 'transport.keyPath']);
    if (board.transport.hostKey.startsWith('/')) need.push([board.transport.hostKey, 'transport.hostKey']);
  }
  for (const [p, key] of need) {
    if (!existsSync(p)) throw usage(`board ${board.id}: \`${key}\` names ${p}, which does not exist`);
  }
}
