// The qemu command line of the virtual DAYU200, with the settings measured to matter under TCG on this host.
import type { QemuArtefacts } from './artefacts.ts';

export interface QemuLaunch {
  boardId: string;
  artefacts: QemuArtefacts;
  dataDisk: string;
  seedDisk: string;
  /** host address and port forwarded to the guest's sshd */
  sshHost: string;
  sshPort: number;
  memMiB?: number;
  /** the lab endpoint on the host (NET-CONTAINER-EGRESS), reachable from the guest at GUEST_LAB_ENDPOINT_IP:port */
  labEndpoint?: { host: string; port: number };
  /** the guest RTC at power-on (defect clock_at: a board without an RTC battery); default: the host's clock */
  rtcBase?: string;
}

/** Where the guest sees the lab endpoint: slirp's restrict=on still honours explicit guest forwards. */
export const GUEST_LAB_ENDPOINT_IP = '10.0.2.100';

/** `-name guest=` carries this marker so a board's qemu can be told from any other. */
export const qemuMarker = (boardId: string) => `edgecert-${boardId}`;

export function qemuArgs(l: QemuLaunch): string[] {
  const a = l.artefacts;
  return [
    '-name', `guest=${qemuMarker(l.boardId)}`,
    '-M', 'virt',
    '-cpu', 'cortex-a57',
    '-smp', '2', // one vCPU makes docker ~50 % slower
    '-m', String(l.memMiB ?? 1024),
    '-accel', 'tcg,tb-size=256', // halves qemu RSS (the default translation buffer is 1 GiB)
    '-nographic',
    '-monitor', 'none',
    '-no-reboot', // with panic=-1 a guest panic ends qemu, which `up` notices at once
    '-kernel', a.kernel,
    '-initrd', a.initrd,
    '-append', 'console=ttyAMA0 apparmor=0 panic=-1 loglevel=4 rdinit=/init',
    // root: the cached image, copy-on-write per run (snapshot=on) so the cache stays pristine
    '-drive', `if=none,id=root,file=${a.rootImage},format=raw,snapshot=on`,
    '-device', 'virtio-blk-pci,drive=root,serial=edgecert-root',
    '-drive', `if=none,id=data,file=${l.dataDisk},format=raw`,
    '-device', 'virtio-blk-pci,drive=data,serial=edgecert-data',
    '-drive', `if=none,id=seed,file=${l.seedDisk},format=raw,readonly=on`,
    '-device', 'virtio-blk-pci,drive=seed,serial=edgecert-seed',
    '-device', 'virtio-rng-pci',
    ...(l.rtcBase ? ['-rtc', `base=${l.rtcBase},clock=host`] : []),
    // restrict=on: the guest reaches nothing; only the forwarded ssh port reaches it
    '-netdev', `user,id=net0,restrict=on,hostfwd=tcp:${l.sshHost}:${l.sshPort}-:22${guestfwd(l.labEndpoint)}`,
    '-device', 'virtio-net-pci,netdev=net0,romfile=',
  ];
}

// one host-side busybox nc per guest connection: a chardev target would connect only once, at qemu start
function guestfwd(e: QemuLaunch['labEndpoint']): string {
  if (!e) return '';
  if (!/^[\d.]+$/.test(e.host) || !Number.isInteger(e.port)) throw new Error(`lab endpoint ${e.host}:${e.port} is not an IPv4 address and port`);
  return `,guestfwd=tcp:${GUEST_LAB_ENDPOINT_IP}:${e.port}-cmd:/bin/busybox nc ${e.host} ${e.port}`;
}
