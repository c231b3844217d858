// The slow part of the qemu board (kernel, root image, initramfs), built once and keyed on exact package versions.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log } from '../../harness/core/log.ts';
import { aptFingerprint, type AptPackage, downloadDebs, ensureAptArch, resolveMetapackage, showPackages } from './apt.ts';
import { ensureHostTools, type HostTools } from './host-key.ts';
import { resolveElfClosure } from './elf-closure.ts';
import { buildInitramfs } from './initramfs.ts';
import { moduleClosure } from './kernel-modules.ts';
import { withLock } from './lock.ts';
import { CACHE_DIR, cachePaths, GUEST_SCRIPTS_DIR, QEMU_TIMEOUTS } from './paths.ts';
import { BOARD_ARCH, INITRAMFS_MODULES, KERNEL_META, ROOT_LIB_DIRS, ROOT_MODULES, ROOT_PRUNE, ROOT_SEEDS } from './recipe.ts';
import { finishRootTree, makeExt4 } from './rootfs.ts';
import { run } from './run.ts';

export interface QemuArtefacts {
  /** cache key: hash of the recipe and every package version that went in */
  key: string;
  dir: string;
  kernel: string;
  initrd: string;
  rootImage: string;
  /** `uname -r` of the guest, e.g. 6.1.0-56-arm64 */
  kernelRelease: string;
  /** the Debian package that provided it, e.g. linux-image-6.1.0-56-arm64 6.1.192-2 */
  kernelPackage: { name: string; version: string };
  /** packages unpacked into the root image (seeds and their DT_NEEDED closure) */
  packages: { name: string; version: string }[];
  rootImageMiB: number;
  buildMs: number;
  /** false when this call built them */
  cached: boolean;
  /** host-architecture dropbear tools (host key generation) */
  hostTools: HostTools;
}

type Manifest = Omit<QemuArtefacts, 'dir' | 'kernel' | 'initrd' | 'rootImage' | 'cached' | 'hostTools'> & {
  recipeHash: string;
  builtAt: string;
  aptFingerprint: string;
};

const HERE = dirname(fileURLToPath(import.meta.url));
/** host-side files whose change must rebuild the images */
const RECIPE_SOURCES = ['recipe.ts', 'rootfs.ts', 'initramfs.ts', 'elf-closure.ts', 'kernel-modules.ts', 'artefacts.ts'];

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

/** Hash of everything on the host that shapes the images besides package versions. */
export function recipeHash(): string {
  const h = createHash('sha256');
  const files = [...RECIPE_SOURCES.map((f) => join(HERE, f)), ...['rootfs', 'initramfs'].flatMap((d) => listFiles(join(GUEST_SCRIPTS_DIR, d))).sort()];
  for (const f of files) h.update(relative(HERE, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex').slice(0, 16);
}

function keyOf(recipe: string, kernel: AptPackage, packages: { name: string; version: string }[]): string {
  const h = createHash('sha256').update(recipe).update(`${kernel.name}=${kernel.version}`);
  for (const p of [...packages].sort((a, b) => a.name.localeCompare(b.name))) h.update(`\n${p.name}=${p.version}`);
  return h.digest('hex').slice(0, 16);
}

function artefactsIn(dir: string, m: Manifest, cached: boolean, hostTools: HostTools): QemuArtefacts {
  return {
    ...m,
    hostTools,
    dir,
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.gz'),
    rootImage: join(dir, 'root.img'),
    cached,
  };
}

function readManifest(file: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** The last build, if apt still offers exactly the versions it was made of and the recipe is unchanged. */
async function upToDate(): Promise<QemuArtefacts | undefined> {
  const m = readManifest(cachePaths.current);
  if (!m) return undefined;
  const dir = cachePaths.build(m.key);
  if (!['vmlinuz', 'initrd.gz', 'root.img'].every((f) => existsSync(join(dir, f)))) return undefined;
  if (m.recipeHash !== recipeHash()) return log.info('qemu artefacts: recipe changed, rebuilding'), undefined;
  // same package lists as at build time: apt cannot offer other versions, no need to ask it (~1 s per query)
  if (m.aptFingerprint === aptFingerprint()) return artefactsIn(dir, m, true, await ensureHostTools());
  try {
    const names = [KERNEL_META, m.kernelPackage.name, ...m.packages.map((p) => p.name)];
    const now = await showPackages(names, BOARD_ARCH);
    const target = now.get(KERNEL_META)?.depends.find((d) => d.startsWith('linux-image-'));
    if (target !== m.kernelPackage.name || now.get(target)?.version !== m.kernelPackage.version) {
      return log.info(`qemu artefacts: ${KERNEL_META} now names ${target} ${now.get(target ?? '')?.version}, rebuilding`), undefined;
    }
    const changed = m.packages.filter((p) => now.get(p.name)?.version !== p.version);
    if (changed.length) return log.info(`qemu artefacts: ${changed.map((p) => p.name).join(', ')} changed, rebuilding`), undefined;
  } catch {
    return undefined;
  }
  writeManifest(dir, { ...m, aptFingerprint: aptFingerprint() });
  return artefactsIn(dir, m, true, await ensureHostTools());
}

function writeManifest(dir: string, m: Manifest): void {
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
  writeFileSync(`${cachePaths.current}.tmp`, JSON.stringify(m, null, 2));
  renameSync(`${cachePaths.current}.tmp`, cachePaths.current);
}

/** Unpacked kernel package, kept per version (the modules are read from it at every build). */
async function unpackedKernel(kernel: AptPackage): Promise<string> {
  const dir = join(CACHE_DIR, `kernel-${kernel.name}-${kernel.version}`);
  if (existsSync(join(dir, 'done'))) return dir;
  const [deb] = await downloadDebs([kernel], cachePaths.debs);
  rmSync(dir, { recursive: true, force: true });
  await run('dpkg', ['-x', deb!, dir]);
  mkdirSync(join(dir, 'done'));
  return dir;
}

async function build(): Promise<QemuArtefacts> {
  const t0 = performance.now();
  await ensureAptArch(BOARD_ARCH, KERNEL_META);
  const kernel = await resolveMetapackage(KERNEL_META, BOARD_ARCH, 'linux-image-');
  const kernelTree = await unpackedKernel(kernel);
  const kver = readdirSync(join(kernelTree, 'lib/modules'))[0]!;
  log.info(`qemu artefacts: kernel ${kernel.name} ${kernel.version} (${kver})`);

  const work = join(CACHE_DIR, `build-tmp-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  const tree = join(work, 'root');
  mkdirSync(tree, { recursive: true });
  const closure = await resolveElfClosure({
    seeds: ROOT_SEEDS,
    arch: BOARD_ARCH,
    debDir: cachePaths.debs,
    treeDir: tree,
    prune: ROOT_PRUNE,
    libDirs: ROOT_LIB_DIRS,
  });
  const packages = closure.packages.map((p) => ({ name: p.name, version: p.version }));
  log.info(`qemu artefacts: root image packages: ${packages.map((p) => `${p.name}=${p.version}`).join(' ')}`);
  const recipe = recipeHash();
  const key = keyOf(recipe, kernel, packages);
  const dir = cachePaths.build(key);

  const modDir = join(kernelTree, 'lib/modules', kver);
  const rootModules = await moduleClosure(modDir, ROOT_MODULES);
  const bootModules = await moduleClosure(modDir, INITRAMFS_MODULES);
  finishRootTree({
    tree,
    kernelTree,
    kernelRelease: kver,
    modules: rootModules,
    packageList: [`${kernel.name}=${kernel.version}`, ...packages.map((p) => `${p.name}=${p.version}`)],
  });
  const out = join(work, 'out');
  mkdirSync(out);
  const rootImageMiB = await makeExt4(tree, join(out, 'root.img'), 'edgecert-root', 1536);
  await buildInitramfs({
    workDir: join(work, 'initramfs'),
    busybox: join(tree, 'bin/busybox'),
    kernelModDir: modDir,
    modules: bootModules,
    output: join(out, 'initrd.gz'),
  });
  copyFileSync(join(kernelTree, 'boot', `vmlinuz-${kver}`), join(out, 'vmlinuz'));
  const manifest: Manifest = {
    key,
    aptFingerprint: aptFingerprint(),
    recipeHash: recipe,
    kernelRelease: kver,
    kernelPackage: { name: kernel.name, version: kernel.version },
    packages,
    rootImageMiB,
    buildMs: Math.round(performance.now() - t0),
    builtAt: new Date().toISOString(),
  };
  rmSync(dir, { recursive: true, force: true });
  renameSync(out, dir);
  rmSync(work, { recursive: true, force: true });
  writeManifest(dir, manifest);
  // older builds are unreferenced now (a running board keeps its open backing file until it is restarted)
  for (const e of readdirSync(CACHE_DIR)) {
    const stale =
      (e.startsWith('build-') && e !== `build-${key}`) || (e.startsWith('kernel-') && e !== `kernel-${kernel.name}-${kernel.version}`);
    if (stale) {
      rmSync(join(CACHE_DIR, e), { recursive: true, force: true });
    }
  }
  log.info(`qemu artefacts: built ${key} in ${manifest.buildMs} ms (root image ${rootImageMiB} MiB, ${packages.length} packages)`);
  return artefactsIn(dir, manifest, false, await ensureHostTools());
}

/** Build (or find cached) the kernel, initramfs and root image of the qemu board. Safe to call concurrently. */
export async function ensureQemuArtefacts(): Promise<QemuArtefacts> {
  mkdirSync(CACHE_DIR, { recursive: true });
  return withLock(cachePaths.lock, QEMU_TIMEOUTS.buildLock, async () => (await upToDate()) ?? (await build()));
}
