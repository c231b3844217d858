// The qemu board's pure parts (apt stanzas, defect lines, serial report, command line), checked without booting.
import { describe, expect, it } from 'vitest';
import { debFileName, parseStanzas } from '../../lab/qemu/apt.ts';
import { defectLines, rtcBase } from '../../lab/qemu/guest-defects.ts';
import { qemuArgs } from '../../lab/qemu/qemu-args.ts';
import type { QemuArtefacts } from '../../lab/qemu/artefacts.ts';
import { parseBoot } from '../../lab/qemu/serial.ts';

describe('apt stanzas', () => {
  it('reads versions and every dependency name, alternatives and Pre-Depends included', () => {
    const text = [
      'Package: docker.io',
      'Version: 20.10.24+dfsg1-1+deb12u1+b6',
      'Architecture: arm64',
      'Depends: libc6 (>= 2.34), libdevmapper1.02.1 (>= 2:1.02.97), adduser,',
      ' containerd (>= 1.4~) | foo:any',
      'Pre-Depends: init-system-helpers (>= 1.54~)',
      'Description: Linux container runtime',
      '',
      'Package: busybox-static',
      'Version: 1:1.35.0-4+deb12u1+b1',
      'Architecture: arm64',
      '',
    ].join('\n');
    const [docker, busybox] = parseStanzas(text);
    expect(docker?.depends).toEqual(['init-system-helpers', 'libc6', 'libdevmapper1.02.1', 'adduser', 'containerd', 'foo']);
    expect(busybox?.depends).toEqual([]);
    expect(debFileName(busybox!)).toBe('busybox-static_1%3a1.35.0-4+deb12u1+b1_arm64.deb');
  });
});

describe('defects for the guest', () => {
  it('writes one line per defect, with kernel options after the name', () => {
    expect(defectLines([{ name: 'f2fs_module_missing' }, { name: 'kernel_config_without', arg: ['CONFIG_A', 'CONFIG_B_2'] }])).toBe(
      'f2fs_module_missing\nkernel_config_without CONFIG_A CONFIG_B_2\n',
    );
  });
  it('sets the RTC of clock_at on the qemu command line, not in the guest', () => {
    const defects = [{ name: 'ip_forward_off' }, { name: 'clock_at', arg: '2024-01-01' }] as const;
    expect(defectLines(defects)).toBe('ip_forward_off\n');
    expect(rtcBase(defects)).toBe('2024-01-01T00:00:00');
    expect(rtcBase([{ name: 'ip_forward_off' }])).toBeUndefined();
    const artefacts = { kernel: '/c/vmlinuz', initrd: '/c/initrd.gz', rootImage: '/c/root.img' } as QemuArtefacts;
    const args = qemuArgs({ boardId: 'b1', artefacts, dataDisk: '/s/d.img', seedDisk: '/s/s.img', sshHost: '127.0.0.1', sshPort: 22203, rtcBase: rtcBase(defects) });
    expect(args[args.indexOf('-rtc') + 1]).toBe('base=2024-01-01T00:00:00,clock=host');
    expect(qemuArgs({ boardId: 'b1', artefacts, dataDisk: '/s/d.img', seedDisk: '/s/s.img', sshHost: '127.0.0.1', sshPort: 22203 })).not.toContain('-rtc');
  });
  it('refuses a defect the qemu board cannot inject as USAGE', () => {
    expect(() => defectLines([{ name: 'cpuset_mems_empty' }])).toThrow(expect.objectContaining({ outcome: 'USAGE' }));
  });
});

describe('serial console report', () => {
  it('reads stages, the kernel and the ready line', () => {
    const r = parseBoot(
      'EDGECERT-STAGE initramfs 0.89\r\n[    1.2] noise\nEDGECERT-STAGE docker-api 15.26\n' +
        'EDGECERT-KERNEL 6.1.0-56-arm64 #1 SMP Debian 6.1.192-2 (2026-11-16)\n' +
        'EDGECERT-READY kernel=6.1.0-56-arm64 data_root=/mnt/f2fs/docker f2fs=yes docker=up\n',
    );
    expect(r.stages).toEqual({ initramfs: 0.89, 'docker-api': 15.26 });
    expect(r.kernel).toEqual({ release: '6.1.0-56-arm64', build: '#1 SMP Debian 6.1.192-2 (2026-11-16)' });
    expect(r.ready).toMatchObject({ data_root: '/mnt/f2fs/docker', f2fs: 'yes', docker: 'up' });
    expect(r.fatal).toBeUndefined();
  });
  it('reports a fatal initramfs line', () => {
    expect(parseBoot('EDGECERT-FATAL no disk with serial edgecert-root after 30 s\n').fatal).toMatch(/no disk/);
  });
});

describe('qemu command line', () => {
  it('keeps the measured settings and forwards only ssh, on loopback', () => {
    const artefacts = { kernel: '/c/vmlinuz', initrd: '/c/initrd.gz', rootImage: '/c/root.img' } as QemuArtefacts;
    const args = qemuArgs({ boardId: 'b1', artefacts, dataDisk: '/s/d.img', seedDisk: '/s/s.img', sshHost: '127.0.0.1', sshPort: 22201 });
    const joined = args.join(' ');
    expect(joined).toContain('-M virt -cpu cortex-a57 -smp 2');
    expect(joined).toContain('-accel tcg,tb-size=256');
    expect(joined).toContain('apparmor=0');
    expect(joined).toContain('file=/c/root.img,format=raw,snapshot=on');
    const netdev = args[args.indexOf('-netdev') + 1];
    expect(netdev).toBe('user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:22201-:22');
  });
});
