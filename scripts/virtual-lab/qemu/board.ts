// Manual and CI entry point for the qemu board: `build` pre-warms the cache (host set-up); up/down/status act on devices.yaml boards.
import { ensureQemuArtefacts } from '../../../harness/virtual-lab/qemu/artefacts.ts';

const [cmd] = process.argv.slice(2);
if (cmd === 'build') {
  const t = performance.now();
  const a = await ensureQemuArtefacts();
  console.log(JSON.stringify({ ...a, packages: a.packages.map((p) => `${p.name}=${p.version}`), callMs: Math.round(performance.now() - t) }, null, 2));
} else {
  console.error('usage: board.ts build');
  process.exit(2);
}
