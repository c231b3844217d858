// Where the qemu board keeps things: a shared cache (slow to build, keyed on package versions) and per-board state.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Cache of downloaded .debs, unpacked trees and built images; survives `down`. */
export const CACHE_DIR = process.env.EDGECERT_QEMU_CACHE ?? '/var/lib/edgecert/cache/qemu';

/** Guest-side files (init scripts, personality) shipped into the images. */
export const GUEST_SCRIPTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../scripts/qemu');

export const cachePaths = {
  debs: join(CACHE_DIR, 'debs'),
  lock: join(CACHE_DIR, 'build.lock'),
  /** the manifest of the last successful build: its key and the packages that went in */
  current: join(CACHE_DIR, 'current.json'),
  build: (key: string) => join(CACHE_DIR, `build-${key}`),
  hostTools: (key: string) => join(CACHE_DIR, `host-dropbear-${key}`),
};

export function boardPaths(stateDir: string, boardId: string) {
  const dir = join(stateDir, 'virtual-lab', boardId);
  return {
    dir,
    pid: join(dir, 'qemu.pid'),
    serial: join(dir, 'serial.log'),
    rootDisk: join(dir, 'root.qcow2'),
    dataDisk: join(dir, 'data-f2fs.img'),
    seedDisk: join(dir, 'seed.img'),
    seedDir: join(dir, 'seed'),
    /** what `up` learned and the config it booted with, for idempotent re-`up` and `status` */
    record: join(dir, 'board.json'),
    /** kept across `down`: the board's ssh identity must not change between runs */
    hostKeyDir: join(dir, 'hostkey'),
  };
}

/** Every timeout of the qemu board, in one place (ms). TCG on 2 shared cores: ~13 s to the docker API when idle. */
export const QEMU_TIMEOUTS = {
  /** qemu start to the guest's "ready" line (dropbear + dockerd + image import) */
  boot: Number(process.env.EDGECERT_QEMU_BOOT_TIMEOUT_MS ?? 300_000),
  /** graceful exit after SIGTERM before SIGKILL */
  stop: 10_000,
  /** one TCP probe of the forwarded ssh port */
  sshProbe: 3_000,
  /** waiting for another process building the artefacts */
  buildLock: 900_000,
} as const;
