// The root disk: Debian arm64 packages unpacked with dpkg -x, the board's own files on top, made into ext4 on the host.
import { chmodSync, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { infra } from '../../harness/core/errors.ts';
import type { ModuleRef } from './kernel-modules.ts';
import { GUEST_SCRIPTS_DIR } from './paths.ts';
import { IPTABLES_LEGACY_LINKS } from './recipe.ts';
import { run } from './run.ts';

function forceSymlink(target: string, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { recursive: true, force: true });
  symlinkSync(target, path);
}

function treeBytes(dir: string): number {
  let sum = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sum += treeBytes(p) + 4096;
    else sum += lstatSync(p).size + 4096;
  }
  return sum;
}

/** Make executable, in `tree`, every file of the board's own overlay that lives in a bin directory (git may lose modes). */
function fixScriptModes(overlay: string, tree: string, rel = ''): void {
  for (const e of readdirSync(join(overlay, rel), { withFileTypes: true })) {
    const r = join(rel, e.name);
    if (e.isDirectory()) fixScriptModes(overlay, tree, r);
    else if (/(^|\/)s?bin\//.test(r)) chmodSync(join(tree, r), 0o755);
  }
}

export interface RootfsInputs {
  /** tree already holding the unpacked packages (the closure) */
  tree: string;
  /** unpacked kernel package (has boot/ and lib/modules/KVER) */
  kernelTree: string;
  kernelRelease: string;
  modules: ModuleRef[];
  /** written to /usr/lib/edgecert/packages.txt so the board can say what it is made of */
  packageList: string[];
}

/** Lay the board's files over the unpacked packages. */
export function finishRootTree(inp: RootfsInputs): void {
  const { tree, kernelRelease: kver } = inp;
  const overlay = join(GUEST_SCRIPTS_DIR, 'rootfs');
  cpSync(overlay, tree, { recursive: true, force: true });
  fixScriptModes(overlay, tree);
  for (const d of ['proc', 'sys', 'dev', 'run', 'tmp', 'mnt', 'root', 'data', 'boot', 'var/lib', 'var/log', 'etc/docker']) {
    mkdirSync(join(tree, d), { recursive: true });
  }
  chmodSync(join(tree, 'tmp'), 0o1777);
  chmodSync(join(tree, 'root'), 0o700);
  forceSymlink('../run', join(tree, 'var/run'));
  forceSymlink('/proc/self/mounts', join(tree, 'etc/mtab'));
  forceSymlink('../usr/lib/os-release', join(tree, 'etc/os-release'));
  forceSymlink('/bin/busybox', join(tree, 'sbin/init'));
  if (!existsSync(join(tree, 'bin/dash'))) throw infra('dash did not provide /bin/dash');
  forceSymlink('dash', join(tree, 'bin/sh')); // dpkg -x runs no dash postinst
  if (!existsSync(join(tree, 'bin/busybox'))) throw infra('busybox-static did not provide /bin/busybox');
  // dpkg -x runs no update-alternatives: point the iptables names at the legacy backend ourselves
  const multi = join(tree, 'usr/sbin/xtables-legacy-multi');
  if (!existsSync(multi)) throw infra('iptables did not provide /usr/sbin/xtables-legacy-multi');
  for (const name of IPTABLES_LEGACY_LINKS) forceSymlink('xtables-legacy-multi', join(tree, 'usr/sbin', name));

  // kernel modules the boot loads, and the pristine config copied to /boot at each boot
  const srcMod = join(inp.kernelTree, 'lib/modules', kver);
  const dstMod = join(tree, 'lib/modules', kver);
  for (const m of inp.modules) {
    mkdirSync(dirname(join(dstMod, m.path)), { recursive: true });
    copyFileSync(join(srcMod, m.path), join(dstMod, m.path));
  }
  for (const f of ['modules.builtin', 'modules.order']) copyFileSync(join(srcMod, f), join(dstMod, f));
  writeFileSync(join(dstMod, 'edgecert-load.list'), inp.modules.map((m) => `${m.name} ${m.path}\n`).join(''));
  mkdirSync(join(tree, 'usr/lib/edgecert'), { recursive: true });
  copyFileSync(join(inp.kernelTree, 'boot', `config-${kver}`), join(tree, 'usr/lib/edgecert', `config-${kver}`));
  writeFileSync(join(tree, 'usr/lib/edgecert/packages.txt'), inp.packageList.join('\n') + '\n');
}

/** ext4 image of `tree` with room for docker's data when the f2fs disk is not used (sparse file). */
export async function makeExt4(tree: string, image: string, label: string, headroomMiB: number): Promise<number> {
  const mib = Math.ceil((treeBytes(tree) * 1.2) / 2 ** 20) + headroomMiB;
  rmSync(image, { force: true });
  await run('mkfs.ext4', ['-q', '-F', '-L', label, '-E', 'root_owner=0:0', '-d', tree, image, `${mib}M`]);
  return mib;
}
