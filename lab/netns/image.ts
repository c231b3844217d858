// The lab's offline container image: built once from busybox-static, then `docker load`ed by every board.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LabSpec } from '../../harness/inventory/schema.ts';
import { usage } from '../../harness/core/errors.ts';
import type { LabImage } from './board-config.ts';
import { must } from './host.ts';
import { SCRIPTS_DIR, labDir } from './paths.ts';

export const DEFAULT_IMAGE_REF = 'edgecert/busybox:lab';

/** The image the boards load: devices.yaml `lab.image` when it names a tarball, else the lab default. */
export function labImage(lab: LabSpec): LabImage {
  const img = lab.image;
  if (img && 'tarball' in img) return { tarball: img.tarball, ref: img.ref };
  if (img && 'registry' in img) throw usage('the virtual lab builds its own image offline: lab.image must be { tarball, ref }, not a registry');
  return { tarball: join(labDir(lab.stateDir), 'images', 'edgecert-busybox.tar'), ref: DEFAULT_IMAGE_REF };
}

export async function ensureLabImage(image: LabImage): Promise<{ built: boolean }> {
  if (existsSync(image.tarball)) return { built: false };
  mkdirSync(dirname(image.tarball), { recursive: true });
  await must('bash', [join(SCRIPTS_DIR, 'build-lab-image.sh'), image.tarball, image.ref], { timeoutMs: 120_000 });
  return { built: true };
}
