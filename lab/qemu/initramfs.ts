// The initramfs holds only busybox, its /init and the modules that reach the root disk (a few MiB, built in seconds).
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ModuleRef } from './kernel-modules.ts';
import { GUEST_SCRIPTS_DIR } from './paths.ts';
import { shQuote } from '../../harness/core/quote.ts';
import { run } from './run.ts';

export async function buildInitramfs(opts: {
  workDir: string;
  busybox: string;
  kernelModDir: string;
  modules: ModuleRef[];
  output: string;
}): Promise<void> {
  const dir = opts.workDir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'bin'), { recursive: true });
  copyFileSync(opts.busybox, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  copyFileSync(join(GUEST_SCRIPTS_DIR, 'initramfs/init'), join(dir, 'init'));
  chmodSync(join(dir, 'init'), 0o755);
  for (const m of opts.modules) {
    mkdirSync(dirname(join(dir, 'lib/modules', m.path)), { recursive: true });
    copyFileSync(join(opts.kernelModDir, m.path), join(dir, 'lib/modules', m.path));
  }
  writeFileSync(join(dir, 'lib/modules/load.list'), opts.modules.map((m) => `${m.name} ${m.path}\n`).join(''));
  // newc cpio via the host's busybox (setup-host installs busybox-static); the kernel wants newc, gzip is built in
  await run('sh', ['-c', `find . | busybox cpio -o -H newc | gzip -1 > ${shQuote(opts.output)}`], { cwd: dir });
  rmSync(dir, { recursive: true, force: true });
}
