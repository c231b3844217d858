import type { CheckMeta } from './meta.ts';

// Collect mode lets `edgecert catalog` list every check by importing the suites without running them.
const g = globalThis as { __edgecertCollect?: CheckMeta[] };

export function collecting(): boolean {
  return Array.isArray(g.__edgecertCollect);
}

export function collect(meta: CheckMeta): void {
  g.__edgecertCollect!.push(meta);
}

export async function collectChecks(files: string[]): Promise<CheckMeta[]> {
  g.__edgecertCollect = [];
  try {
    for (const f of files) await import(f);
    return g.__edgecertCollect;
  } finally {
    delete g.__edgecertCollect;
  }
}
