// The root image must run without a package manager, so its library closure is computed from DT_NEEDED, not guessed.
import { closeSync, existsSync, lstatSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { infra } from '../../harness/core/errors.ts';
import { log } from '../../harness/core/log.ts';
import { type AptPackage, debFiles, downloadDebs, showPackages } from './apt.ts';
import { run } from './run.ts';

export interface ClosureOptions {
  /** packages wanted for their own content */
  seeds: readonly string[];
  arch: string;
  debDir: string;
  /** directory the packages are unpacked into (created empty by the caller) */
  treeDir: string;
  /** tree-relative paths (files or directories) removed after unpacking: content the board does not ship */
  prune?: readonly string[];
  /** tree-relative directories where the dynamic loader finds libraries */
  libDirs: readonly string[];
  /** sonames satisfied outside the tree (host libraries, for host tools) */
  provided?: (soname: string) => boolean;
}

export interface Closure {
  /** every package unpacked, seeds first, then in the order the closure pulled them in */
  packages: AptPackage[];
  /** soname -> the package that provided it (only for packages added by the closure) */
  pulledBy: Record<string, string>;
}

function isElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b.toString('latin1') === '\x7fELF';
  } finally {
    closeSync(fd);
  }
}

function* walkFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walkFiles(p);
    else if (e.isFile()) yield p;
  }
}

/** soname -> tree-relative files needing it, for every ELF file in the tree (readelf -d, batched). */
export async function neededSonames(treeDir: string): Promise<Map<string, string[]>> {
  const elfs = [...walkFiles(treeDir)].filter(isElf);
  const needs = new Map<string, string[]>();
  for (let i = 0; i < elfs.length; i += 100) {
    const batch = elfs.slice(i, i + 100);
    const text = await run('readelf', ['-d', '--wide', ...batch]).catch((err) => {
      throw infra(`readelf failed on ${batch.length} files under ${treeDir}`, { cause: err });
    });
    let current = batch.length === 1 ? batch[0]! : '';
    for (const line of text.split('\n')) {
      const f = /^File: (.+)$/.exec(line);
      if (f) current = f[1]!;
      const n = /\(NEEDED\)\s+Shared library: \[(.+)\]/.exec(line);
      if (n && current) {
        const rel = relative(treeDir, current);
        needs.set(n[1]!, [...(needs.get(n[1]!) ?? []), rel]);
      }
    }
  }
  return needs;
}

function presentSonames(treeDir: string, libDirs: readonly string[]): Set<string> {
  const have = new Set<string>();
  for (const d of libDirs) {
    const abs = join(treeDir, d);
    if (existsSync(abs)) for (const name of readdirSync(abs)) have.add(name);
  }
  return have;
}

/** Unpack seeds, then add packages from the Depends of packages already in until every DT_NEEDED is satisfied. */
export async function resolveElfClosure(opts: ClosureOptions): Promise<Closure> {
  const seeds = await showPackages(opts.seeds, opts.arch);
  const unknown = opts.seeds.filter((s) => !seeds.has(s));
  if (unknown.length) throw infra(`apt knows no ${opts.arch} package named ${unknown.join(', ')}`);
  const inSet = new Map<string, AptPackage>(seeds);
  const unpacked = new Set<string>();
  const pulledBy: Record<string, string> = {};
  const listings = new Map<string, string[]>();
  for (let round = 1; ; round++) {
    const todo = [...inSet.values()].filter((p) => !unpacked.has(p.name));
    const debs = await downloadDebs(todo, opts.debDir);
    for (const [i, deb] of debs.entries()) {
      await run('dpkg', ['-x', deb, opts.treeDir]);
      unpacked.add(todo[i]!.name);
    }
    for (const p of opts.prune ?? []) rmSync(join(opts.treeDir, p), { recursive: true, force: true });

    const needs = await neededSonames(opts.treeDir);
    const have = presentSonames(opts.treeDir, opts.libDirs);
    const missing = [...needs.keys()].filter((s) => !have.has(s) && !opts.provided?.(s));
    if (!missing.length) return { packages: [...inSet.values()], pulledBy };
    log.debug(`closure round ${round}: missing ${missing.join(' ')}`);

    const candidateNames = [...new Set([...inSet.values()].flatMap((p) => p.depends))].filter((n) => !inSet.has(n));
    const candidates = [...(await showPackages(candidateNames, opts.arch)).values()];
    const candidateDebs = await downloadDebs(candidates, opts.debDir);
    let added = 0;
    for (const [i, cand] of candidates.entries()) {
      const deb = candidateDebs[i]!;
      if (!listings.has(deb)) listings.set(deb, await debFiles(deb));
      const libs = listings.get(deb)!.filter((f) => opts.libDirs.some((d) => f.startsWith(`${d}/`) && !f.slice(d.length + 1).includes('/')));
      const provides = missing.filter((s) => libs.some((f) => basename(f) === s));
      if (!provides.length) continue;
      inSet.set(cand.name, cand);
      for (const s of provides) pulledBy[s] = cand.name;
      added++;
    }
    if (!added) {
      const detail = missing.map((s) => `${s} (needed by ${(needs.get(s) ?? []).slice(0, 3).join(', ')})`).join('; ');
      throw infra(`no dependency of the board packages provides: ${detail}`);
    }
  }
}

/** True when `path` exists as a regular file (used to check host sonames). */
export function isFile(path: string): boolean {
  try {
    return lstatSync(path).isFile() || lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
