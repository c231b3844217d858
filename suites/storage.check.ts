import { randomBytes } from 'node:crypto';
import { check, suite, type CheckContext } from '../harness/check/index.ts';
import { EdgecertError } from '../harness/core/errors.ts';
import { shQuote } from '../harness/core/quote.ts';
import { garbled } from '../harness/board/sections.ts';
import { mountFor, parseMounts, type MountEntry } from '../harness/parse/mounts.ts';
import {
  deviceOfCommand,
  driverStatus,
  edgedRootFromConfig,
  encryptedFlag,
  fileBasedEncryption,
  fsNameFromMagic,
  locateCommand,
  overlayCleanupCommand,
  overlayProbePaths,
  overlayProbeScript,
  parseDevice,
  parseDfPk,
  parseLocate,
  parseLsattrDir,
  parseOverlayProbe,
  parseStatfs,
  sameFsFamily,
  sameFsName,
  usedPercent,
} from '../harness/parse/storage.ts';

type DockerInfo = Record<string, unknown>;

// `docker info` is asked once per board; every storage check reads DockerRootDir and the driver from it.
const infos = new WeakMap<object, Promise<DockerInfo>>();

function dockerInfo(c: CheckContext): Promise<DockerInfo> {
  let p = infos.get(c.board);
  if (!p) infos.set(c.board, (p = fetchDockerInfo(c)));
  return p;
}

async function fetchDockerInfo(c: CheckContext): Promise<DockerInfo> {
  const ms = c.timeouts.hangProne;
  let apiError: string;
  try {
    const docker = await c.docker();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`GET /info did not answer within ${ms} ms`)), ms)));
    try {
      return (await Promise.race([docker.info(), timeout])) as DockerInfo;
    } finally {
      clearTimeout(timer);
    }
  } catch (err) {
    if (err instanceof EdgecertError) throw err;
    apiError = (err as Error).message;
  }
  // the API failed: ask the board itself, so a dead or hung dockerd is the board's FAIL and a broken forward the lab's INFRA
  const sock = shQuote(c.board.spec.docker.socket);
  const r = await c.run(`if [ -S ${sock} ]; then echo "@@socket"; fi; docker -H ${shQuote(`unix://${c.board.spec.docker.socket}`)} info --format '{{.Driver}}' 2>&1`, { timeout: ms });
  if (!r.stdout.includes('@@socket') && !r.timedOut) c.fail(`dockerd is not running: no socket at ${c.board.spec.docker.socket} (docker API: ${apiError})`);
  if (r.timedOut) c.fail(`dockerd accepts on ${c.board.spec.docker.socket} but does not answer within ${ms} ms (hung?); docker API: ${apiError}`);
  if (r.exitCode === 0) c.infra(`dockerd answers on the board but not through the lab's forward of ${c.board.spec.docker.socket}: ${apiError}`);
  return c.fail(`dockerd does not answer on ${c.board.spec.docker.socket}: ${apiError}; on the board: ${r.stdout.replace('@@socket', '').trim().slice(0, 200)}`);
}

const rootDir = (info: DockerInfo) => String(info.DockerRootDir ?? '');

/** The data-root's real path, the mount it lives on and its statfs magic, as the board sees them. */
async function locate(c: CheckContext, path: string): Promise<{ real: string; mount: MountEntry; magicFs?: string; mounts: MountEntry[] }> {
  const r = await c.must(locateCommand(path), { what: `locating ${path}` });
  if (garbled(r.stdout)) c.fail(`locating ${path} printed binary garbage (is \`cat\` or \`stat\` broken?)`);
  const l = parseLocate(r.stdout);
  if (!l.complete) c.fail(`the listing of /proc/mounts for ${path} was cut short`);
  if (!l.real) c.fail(`docker's data-root ${path} does not exist on the board (or cannot be entered)`);
  const { mounts } = parseMounts(l.mountsText);
  const mount = mountFor(l.real, mounts);
  if (!mount) c.fail(`no mount in /proc/mounts holds ${l.real}`);
  return { real: l.real, mount, magicFs: l.magic ? fsNameFromMagic(l.magic) : undefined, mounts };
}

const INFO = 'STORAGE-DOCKER-INFO';

suite('storage', () => {
  check(
    {
      id: INFO,
      title: 'dockerd answers `docker info` with its data-root',
      requirement: 'The board\'s dockerd MUST answer `docker info` on its socket within the profile\'s hang-prone budget and report an absolute DockerRootDir.',
      source: 'seed 002 step 9 "Verify the working status of docker" (docker info); keadm debug check runtime',
      remediation: 'Start dockerd (seed 002 step 8: dockerd -H unix:///var/run/docker.sock &) and check its log; a dockerd that accepts but never answers must be restarted.',
      severity: 'blocker',
    },
    async (c: CheckContext) => {
      const info = await dockerInfo(c);
      const status = driverStatus(info.DriverStatus);
      c.note('docker info', JSON.stringify({ ServerVersion: info.ServerVersion, Driver: info.Driver, DriverStatus: Object.fromEntries(status), DockerRootDir: info.DockerRootDir, CgroupDriver: info.CgroupDriver, CgroupVersion: info.CgroupVersion }, null, 2));
      c.assert(rootDir(info).startsWith('/'), `docker info reports DockerRootDir ${JSON.stringify(info.DockerRootDir)}, not an absolute path`);
    },
  );

  check(
    {
      id: 'STORAGE-DRIVER-OVERLAY2',
      title: 'docker uses overlay2 on a backing filesystem with d_type',
      requirement: 'docker MUST run the overlay2 storage driver, and `docker info` MUST report "Supports d_type: true" for its backing filesystem.',
      source: 'seed 002 step 7 (daemon.json "storage-driver": "overlay2"); seed 000 "Lack of support for overlay"; kubernetes system-validators DockerSpec.GraphDriver; moby overlay2 driver (refuses backing filesystems without d_type)',
      remediation: 'Put the data-root on a filesystem with d_type (ext4, f2fs, xfs with ftype=1) and start dockerd with --storage-driver overlay2 (or "storage-driver": "overlay2" in daemon.json).',
      dependsOn: [INFO],
    },
    async (c: CheckContext) => {
      const info = await dockerInfo(c);
      const status = driverStatus(info.DriverStatus);
      c.note('storage driver', `Driver: ${String(info.Driver)}\n${[...status].map(([k, v]) => `${k}: ${v}`).join('\n')}`);
      c.assert(info.Driver === 'overlay2', `docker's storage driver is ${JSON.stringify(info.Driver)}, not overlay2`);
      c.assert(status.get('Supports d_type') === 'true', `docker reports "Supports d_type: ${status.get('Supports d_type') ?? '(absent)'}" for backing filesystem ${status.get('Backing Filesystem') ?? '?'}`);
    },
  );

  check(
    {
      id: 'STORAGE-DATAROOT-FS',
      title: 'docker\'s data-root is on a filesystem the profile allows',
      requirement:
        'docker\'s data-root MUST live on a filesystem the profile allows (DAYU200: f2fs; otherwise any) and MUST NOT live on one overlay2 cannot use as backing (aufs, ecryptfs, nfs, overlay, zfs).',
      source: 'seed 002 "Modify the overlay filesystem" and step 4 "Format the sd card as the f2fs file system" (daemon.json "data-root": "/mnt/f2fs"); seed 000 "Modify Docker overlay backing filesystem" (f2fs SSD); moby overlay2 driver (incompatible backing filesystems)',
      remediation: 'Format a card/SSD with mkfs.f2fs (or the profile\'s filesystem), mount it (e.g. /mnt/f2fs) and point dockerd\'s data-root at it ("data-root" in /etc/docker/daemon.json).',
      dependsOn: [INFO],
    },
    async (c: CheckContext) => {
      const info = await dockerInfo(c);
      const { real, mount, magicFs } = await locate(c, rootDir(info));
      const backing = driverStatus(info.DriverStatus).get('Backing Filesystem');
      c.note('data-root', `${rootDir(info)} -> ${real}\nmount: ${mount.source} on ${mount.mountpoint} type ${mount.fstype} (${mount.options.join(',')})\nstatfs magic: ${magicFs ?? 'unknown'}\ndocker Backing Filesystem: ${backing ?? '(not reported)'}`);
      // /proc/mounts names the filesystem; statfs and docker's own view are cross-checks, reported when they differ
      if (magicFs && !sameFsFamily(magicFs, mount.fstype)) c.note('warning', `statfs says ${magicFs} but /proc/mounts says ${mount.fstype} for ${real}`);
      if (backing && !sameFsName(backing, mount.fstype)) c.note('warning', `docker reports Backing Filesystem ${backing}, the board's /proc/mounts says ${mount.fstype}: is dockerd in another mount namespace?`);
      const { dataRootFs, dataRootFsForbidden } = c.profile.storage;
      c.assert(!dataRootFsForbidden.includes(mount.fstype), `the data-root ${real} is on ${mount.fstype}, which overlay2 cannot use as backing filesystem`);
      c.assert(!dataRootFs.length || dataRootFs.includes(mount.fstype), `the data-root ${real} is on ${mount.fstype} (${mount.source} at ${mount.mountpoint}); profile ${c.profile.name} requires ${dataRootFs.join(' or ')}`);
    },
  );

  check(
    {
      id: 'STORAGE-DATAROOT-UNENCRYPTED',
      title: 'docker\'s data-root is not file-encrypted',
      requirement:
        'docker\'s data-root MUST NOT be file-encrypted: not on ecryptfs, no fscrypt policy on the directory (lsattr flag E), and not on an Android/OpenHarmony /data that ro.crypto.state/ro.crypto.type declare file-encrypted.',
      source: 'seed 002 step 4 ("the RK3568 data partition is encrypted ext4"; unencrypted f2fs card instead); seed 000 "Encryption file systems cannot be used as backing filesystems"',
      remediation: 'Move the data-root off the encrypted /data onto an unencrypted partition or card (seed 002: mkfs.f2fs on the sd card, "data-root": "/mnt/f2fs").',
      dependsOn: [INFO],
    },
    async (c: CheckContext) => {
      if (!c.profile.storage.unencrypted) c.skip(`profile ${c.profile.name} allows an encrypted data-root`);
      const info = await dockerInfo(c);
      const { real, mount } = await locate(c, rootDir(info));
      const props = c.board.facts.props;
      c.note('encryption evidence', `mount: ${mount.source} on ${mount.mountpoint} type ${mount.fstype}\nro.crypto.state=${props['ro.crypto.state'] ?? '(unset)'} ro.crypto.type=${props['ro.crypto.type'] ?? '(unset)'}`);
      c.assert(mount.fstype !== 'ecryptfs', `the data-root ${real} is on ecryptfs (stacked file encryption)`);
      // block-level encryption (dm-crypt, Android FDE) is transparent to overlay: a note, not a failure
      if (/^\/dev\/(mapper\/|dm-)/.test(mount.source)) c.note('block device', `${mount.source} may be dm-crypt (block-level encryption is transparent to overlay)`);
      const r = await c.run(`if command -v lsattr >/dev/null 2>&1; then lsattr -d ${shQuote(real)} 2>&1; else echo "@@no-lsattr"; fi`);
      const attr = parseLsattrDir(r.stdout, real);
      const fbe = fileBasedEncryption(props);
      const onData = mount.mountpoint === '/data' || mount.mountpoint.startsWith('/data/');
      if (attr) {
        c.note('lsattr -d', `${attr.flags} ${real}`);
        c.assert(!encryptedFlag(attr.flags), `the data-root ${real} has an fscrypt policy (lsattr flag E: ${attr.flags})`);
        return;
      }
      c.note('fscrypt policy', `not checked: ${r.stdout.includes('@@no-lsattr') ? 'no lsattr on the board' : `lsattr gave no flags for ${real}: ${r.stdout.trim().slice(0, 160)}`}`);
      c.assert(!(fbe && onData), `the data-root ${real} is on ${mount.mountpoint}, which ro.crypto.state=encrypted / ro.crypto.type=file declare file-encrypted, and no lsattr shows the directory exempt`);
    },
  );

  check(
    {
      id: 'STORAGE-OVERLAY-WHITEOUT',
      title: 'A real overlay mount on the data-root records deletions as whiteouts',
      requirement:
        'An overlay mount with lower, upper and work directories on docker\'s data-root MUST succeed, and deleting a lower file through it MUST leave a whiteout (character device 0:0) in the upper directory.',
      source: 'seed 002 "Modify the overlay filesystem" (overlay on unencrypted f2fs); seed 000 "Lack of support for overlay" / "Encryption file systems cannot be used as backing filesystems"; moby overlay2 driver (whiteouts as 0:0 char devices)',
      remediation: 'Enable CONFIG_OVERLAY_FS and put the data-root on a filesystem that supports overlay upper layers (xattrs, d_type, mknod of whiteouts): an unencrypted ext4/f2fs.',
      dependsOn: [INFO],
    },
    async (c: CheckContext) => {
      const info = await dockerInfo(c);
      const { real } = await locate(c, rootDir(info));
      const p = overlayProbePaths(real, randomBytes(4).toString('hex'));
      const cleanup = overlayCleanupCommand(p);
      // the board-wide cleanup list catches what this check's own finally could not (a lost link mid-check)
      c.board.cleanup.add(`overlay probe ${p.base}`, () => c.board.run(cleanup));
      try {
        const r = await c.run(overlayProbeScript(p), { timeout: c.timeouts.hangProne });
        if (r.timedOut) c.fail(`the overlay probe did not finish within ${r.durationMs} ms`);
        const res = parseOverlayProbe(r.stdout);
        c.note('overlay probe', `${p.base}\nsteps: ${res.steps.join(', ')}\n${res.detail}`);
        const failedStep = res.steps.find((s) => / failed$|not visible|still visible/.test(s));
        if (failedStep) c.fail(`overlay on ${real}: ${failedStep}: ${r.stdout.split('\n').filter((l) => l && !l.startsWith('@@')).join(' ').slice(0, 300)}`);
        if (!res.complete) c.fail('the overlay probe output was cut short (garbage or truncated output)');
        c.assert(res.kind === 'whiteout', `deleting a lower file through overlay on ${real} left ${res.kind === 'absent' ? 'nothing' : 'no 0:0 character device'} in upper (${res.detail})`);
      } finally {
        const done = await c.run(cleanup);
        if (done.exitCode !== 0) c.note('warning', `cleanup of ${p.base} failed; the board cleanup list retries it`);
      }
    },
  );

  check(
    {
      id: 'STORAGE-EDGED-SAME-FS',
      title: 'edged\'s root directory is on the data-root\'s filesystem',
      requirement: 'edged\'s root directory (edgecore.yaml, else the KubeEdge default) MUST be on the same filesystem as docker\'s data-root, or pods cannot start.',
      source: 'seed 002 problem 6 (the cloud cannot issue tasks until edged\'s DefaultRootDir is moved next to docker\'s overlay2 data: /mnt/f2fs/lib/edged); KubeEdge edgecore config (edged rootDirectory, default /var/lib/edged in v1alpha1, /var/lib/kubelet in v1alpha2)',
      remediation: 'Set edged\'s root directory in edgecore.yaml (modules.edged.tailoredKubeletFlag.rootDirectory, or modules.edged.rootDirectory on v1alpha1) to a directory on the data-root filesystem, e.g. /mnt/f2fs/lib/edged.',
      dependsOn: [INFO],
    },
    async (c: CheckContext) => {
      const cfgPath = c.profile.storage.edgecoreConfig;
      const cfg = await c.run(`cat ${shQuote(cfgPath)}`);
      if (cfg.exitCode !== 0 || cfg.timedOut) c.skip(`edgecore is not configured on this board (no readable ${cfgPath}): edged's root directory is not decided yet`);
      if (garbled(cfg.stdout)) c.fail(`reading ${cfgPath} printed binary garbage`);
      const edged = edgedRootFromConfig(cfg.stdout);
      if ('error' in edged) c.fail(`${cfgPath} is ${edged.error}`);
      const info = await dockerInfo(c);
      const r = await c.must(`${deviceOfCommand(rootDir(info))}; ${deviceOfCommand(edged.root)}`, { what: 'stat of the data-root and edged root' });
      const devs = [...r.stdout.matchAll(/^@@dev .*$/gm)].map((m) => parseDevice(m[0]));
      const [data, edgedDev] = devs;
      if (!data || !edgedDev) c.fail(`could not stat ${rootDir(info)} and ${edged.root}: ${r.stdout.trim().slice(0, 200)}`);
      c.note('edged root', `${edged.root} (${edged.source}); device ${edgedDev.dev} at ${edgedDev.path}\ndata-root ${rootDir(info)}: device ${data.dev}`);
      c.assert(data.dev === edgedDev.dev, `edged's root ${edged.root} (${edged.source}) is on device ${edgedDev.dev} (${edgedDev.path}), docker's data-root ${rootDir(info)} on device ${data.dev}`);
    },
  );

  check(
    {
      id: 'STORAGE-DISK-SPACE',
      title: 'The data-root filesystem has the space keadm asks for',
      requirement:
        'The filesystem holding docker\'s data-root MUST have at least the profile\'s total size and free space (keadm: 1 GB total, 512 MB free) and MUST NOT be used beyond the profile\'s percentage (keadm: 90 %).',
      source: 'keadm debug check disk (AllowedValueDisk 1 GB, AllowedCurrentValueDisk 512 MB, AllowedCurrentValueDiskRate 0.9)',
      remediation: 'Free space on the data-root filesystem (docker system prune, remove old images) or move the data-root to a larger card/partition.',
      dependsOn: [INFO],
    },
    async (c: CheckContext) => {
      const info = await dockerInfo(c);
      const root = shQuote(rootDir(info));
      const r = await c.run(`df -Pk ${root}; echo "@@statfs"; stat -f -c '%S %b %f %a' ${root}`);
      const [dfOut = '', statOut = ''] = r.stdout.split('@@statfs');
      const e = parseDfPk(dfOut) ?? parseStatfs(statOut);
      if (!e) c.fail(`neither df -Pk nor stat -f gave the size of ${rootDir(info)}: ${r.stdout.trim().slice(0, 200)}`);
      const t = c.profile.thresholds;
      const [totalMb, freeMb, used] = [Math.floor(e.totalKb / 1024), Math.floor(e.availKb / 1024), usedPercent(e)];
      c.measure('data-root filesystem total', totalMb, 'MB');
      c.measure('data-root filesystem free', freeMb, 'MB');
      c.measure('data-root filesystem used', used, '%');
      const problems = [
        totalMb < t.diskTotalMb && `total ${totalMb} MB < ${t.diskTotalMb} MB`,
        freeMb < t.diskFreeMb && `free ${freeMb} MB < ${t.diskFreeMb} MB`,
        used > t.diskUsedPctMax && `used ${used} % > ${t.diskUsedPctMax} %`,
      ].filter(Boolean);
      c.assert(!problems.length, `the data-root filesystem${e.mountpoint ? ` (${e.mountpoint})` : ''} is too small or too full: ${problems.join(', ')}`);
    },
  );
});
