// Debian ships no modules.dep in the .deb (depmod runs at install), so load order comes from each module's depends=.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { infra } from '../../harness/core/errors.ts';
import { run } from './run.ts';

export interface ModuleRef {
  name: string;
  /** path relative to /lib/modules/KVER */
  path: string;
}

const norm = (n: string) => n.replace(/-/g, '_');

function indexModules(modDir: string): Map<string, string> {
  const index = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ko')) index.set(norm(e.name.slice(0, -3)), relative(modDir, p));
    }
  };
  walk(join(modDir, 'kernel'));
  return index;
}

function builtins(modDir: string): Set<string> {
  const f = join(modDir, 'modules.builtin');
  if (!existsSync(f)) return new Set();
  return new Set(
    readFileSync(f, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => norm(l.split('/').pop()!.replace(/\.ko$/, ''))),
  );
}

async function dependsOf(file: string): Promise<string[]> {
  const text = await run('readelf', ['-p', '.modinfo', file]);
  const line = /\]\s+depends=(.*)$/m.exec(text)?.[1]?.trim() ?? '';
  return line ? line.split(',').map(norm).filter(Boolean) : [];
}

/**
 * The modules to insmod, dependencies first, for the wanted names (built-in ones are skipped).
 * `modDir` is the unpacked /lib/modules/KVER.
 */
export async function moduleClosure(modDir: string, wanted: readonly string[]): Promise<ModuleRef[]> {
  const index = indexModules(modDir);
  const builtin = builtins(modDir);
  const order: ModuleRef[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = async (name: string, chain: string[]): Promise<void> => {
    const n = norm(name);
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'visiting') throw infra(`module dependency cycle: ${[...chain, n].join(' -> ')}`);
    const path = index.get(n);
    if (!path) {
      if (builtin.has(n)) return void state.set(n, 'done');
      throw infra(`kernel has no module ${n} (needed via ${chain.join(' -> ') || 'the wanted list'})`);
    }
    state.set(n, 'visiting');
    for (const dep of await dependsOf(join(modDir, path))) await visit(dep, [...chain, n]);
    state.set(n, 'done');
    order.push({ name: n, path });
  };
  for (const w of wanted) await visit(w, []);
  return order;
}
