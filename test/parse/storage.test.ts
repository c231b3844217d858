import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mountFor, parseMounts } from '../../harness/parse/mounts.ts';
import {
  driverStatus,
  edgedRootFromConfig,
  encryptedFlag,
  fileBasedEncryption,
  fsNameFromMagic,
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
} from '../../harness/parse/storage.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('the data-root on the board', () => {
  it('finds the netns board\'s data-root mount (ext4 loop) by longest prefix', () => {
    const l = parseLocate(fixture('vl-linux-1-locate.txt'));
    expect(l).toMatchObject({ real: '/var/lib/docker', magic: 'ef53', complete: true });
    const m = mountFor('/var/lib/docker', parseMounts(l.mountsText).mounts)!;
    expect(m).toMatchObject({ mountpoint: '/var/lib/docker', fstype: 'ext4' });
    expect(mountFor('/var/lib/dockerx', parseMounts(l.mountsText).mounts)?.mountpoint).toBe('/');
  });
  it('takes the last of two mounts on one path (it shadows the first) and unescapes spaces', () => {
    const mounts = parseMounts('/dev/a /mnt/f2fs ext4 rw 0 0\n/dev/mmcblk0p1 /mnt/f2fs f2fs rw 0 0\n/dev/b /mnt/my\\040card vfat rw 0 0\n').mounts;
    expect(mountFor('/mnt/f2fs/docker', mounts)?.fstype).toBe('f2fs');
    expect(mountFor('/mnt/my card/x', mounts)?.fstype).toBe('vfat');
  });
  it('names filesystems by statfs magic and matches docker\'s names', () => {
    expect(fsNameFromMagic('f2f52010')).toBe('f2fs');
    expect(fsNameFromMagic('EF53')).toBe('ext4');
    expect(fsNameFromMagic('01021994')).toBe('tmpfs');
    expect(sameFsFamily('ext4', 'ext3')).toBe(true);
    expect(sameFsName('extfs', 'ext4')).toBe(true);
    expect(sameFsName('f2fs', 'f2fs')).toBe(true);
    expect(sameFsName('extfs', 'f2fs')).toBe(false);
  });
  it('reads DriverStatus pairs defensively', () => {
    expect(driverStatus([['Backing Filesystem', 'f2fs'], ['Supports d_type', 'true']]).get('Backing Filesystem')).toBe('f2fs');
    expect(driverStatus('garbage').size).toBe(0);
  });
});

describe('encryption', () => {
  it('reads lsattr -d flags (E = FS_ENCRYPT_FL) from e2fsprogs and busybox', () => {
    expect(encryptedFlag(parseLsattrDir('--------------e------- /var/lib/docker\n', '/var/lib/docker')!.flags)).toBe(false);
    expect(encryptedFlag(parseLsattrDir('----------I--E-------- /data/docker\n', '/data/docker')!.flags)).toBe(true);
    expect(parseLsattrDir('lsattr: Inappropriate ioctl for device While reading flags on /tmp/x\n', '/tmp/x')).toBeUndefined();
  });
  it('reads file-based encryption from Android/OpenHarmony props', () => {
    expect(fileBasedEncryption({ 'ro.crypto.state': 'encrypted', 'ro.crypto.type': 'file' })).toBe(true);
    expect(fileBasedEncryption({ 'ro.crypto.state': 'encrypted', 'ro.crypto.type': 'block' })).toBe(false);
    expect(fileBasedEncryption({ 'ro.crypto.state': 'unencrypted' })).toBe(false);
  });
});

describe('the overlay whiteout probe', () => {
  const p = overlayProbePaths('/mnt/f2fs/docker/', 'abcd1234');
  it('keeps every path under the data-root and quotes them', () => {
    expect(p.base).toBe('/mnt/f2fs/docker/edgecert-overlay-probe-abcd1234');
    expect(overlayProbeScript(overlayProbePaths("/data/it's docker", 'x'))).toContain(`'/data/it'\\''s docker/edgecert-overlay-probe-x/lower'`);
  });
  it('reads a real run on the netns board: a 0:0 character device in upper', () => {
    expect(parseOverlayProbe(fixture('vl-linux-1-overlay-probe.txt'))).toMatchObject({ steps: ['mounted', 'deleted'], kind: 'whiteout', complete: true });
  });
  it('falls back to ls -ln when stat -c is not understood, and tells other outcomes apart', () => {
    expect(parseOverlayProbe('@@step mounted\n@@step deleted\n@@stat stat: unknown option\n@@ls crw-r--r-- 1 0 0 0, 0 Jan 1 00:00 /x/upper/gone\n@@end\n').kind).toBe('whiteout');
    expect(parseOverlayProbe('@@step mounted\n@@step deleted\n@@stat character special file|1|3\n@@ls x\n@@end\n').kind).toBe('other');
    expect(parseOverlayProbe("@@step mounted\n@@step deleted\n@@stat stat: can't stat '/x/upper/gone': No such file or directory\n@@ls ls: /x/upper/gone: No such file or directory\n@@end\n").kind).toBe('absent');
    expect(parseOverlayProbe('mount: permission denied\n@@step mount failed\n').steps).toEqual(['mount failed']);
  });
});

describe('free space (keadm debug check disk)', () => {
  it('reads df -Pk of the netns board and its statfs fallback', () => {
    const [df, st] = fixture('vl-linux-1-df.txt').split('@@statfs');
    const e = parseDfPk(df!)!;
    expect(e).toMatchObject({ totalKb: 1992552, usedKb: 2392, availKb: 1973776, mountpoint: '/var/lib/docker' });
    expect(usedPercent(e)).toBe(1);
    const s = parseStatfs(st!)!;
    expect(Math.round(s.totalKb / 1024)).toBe(Math.round((498138 * 4096) / 1024 / 1024));
  });
  it('returns undefined for garbage rather than zeros', () => {
    expect(parseDfPk('Filesystem 1024-blocks Used\n\xff\xfe\x1b[7m#%!<garbage\n')).toBeUndefined();
    expect(parseStatfs('garbage')).toBeUndefined();
  });
});

describe('edged root directory (seed 002 problem 6)', () => {
  it('reads v1alpha1 (KubeEdge 1.9, seed 002) and defaults to /var/lib/edged', () => {
    expect(edgedRootFromConfig('apiVersion: edgecore.config.kubeedge.io/v1alpha1\nkind: EdgeCore\nmodules:\n  edged:\n    rootDirectory: /mnt/f2fs/lib/edged\n')).toEqual({ root: '/mnt/f2fs/lib/edged', source: 'edgecore.yaml modules.edged.rootDirectory' });
    expect(edgedRootFromConfig('apiVersion: edgecore.config.kubeedge.io/v1alpha1\nkind: EdgeCore\nmodules:\n  edged:\n    cgroupDriver: cgroupfs\n')).toMatchObject({ root: '/var/lib/edged' });
  });
  it('reads v1alpha2 (KubeEdge >= 1.12) and defaults to /var/lib/kubelet', () => {
    expect(edgedRootFromConfig('apiVersion: edgecore.config.kubeedge.io/v1alpha2\nmodules:\n  edged:\n    tailoredKubeletFlag:\n      rootDirectory: /mnt/f2fs/kubelet\n')).toMatchObject({ root: '/mnt/f2fs/kubelet' });
    expect(edgedRootFromConfig('apiVersion: edgecore.config.kubeedge.io/v1alpha2\nmodules: {}\n')).toMatchObject({ root: '/var/lib/kubelet' });
  });
  it('reports invalid YAML instead of guessing', () => {
    expect(edgedRootFromConfig('modules: [unclosed\n')).toHaveProperty('error');
    expect(edgedRootFromConfig('just a string')).toHaveProperty('error');
  });
  it('reads the device line of the nearest existing ancestor', () => {
    expect(parseDevice('@@dev 64769 /mnt/f2fs\n')).toEqual({ dev: '64769', path: '/mnt/f2fs' });
    expect(parseDevice('@@dev  /x\n')).toBeUndefined();
  });
});
