// What goes into the virtual DAYU200: the package seeds, what is pruned, and which kernel modules each stage loads.
// Everything else (library closure, module dependencies, versions) is derived, so this is the one list to review.

export const BOARD_ARCH = 'arm64';
/** apt metapackage that names the current Debian arm64 kernel */
export const KERNEL_META = 'linux-image-arm64';

/** Packages wanted for their own binaries; their libraries are added by the DT_NEEDED closure. */
export const ROOT_SEEDS = [
  'busybox-static', // init, coreutils and the offline container image
  'dash', // /bin/sh: busybox's own sh runs its applets ahead of PATH (iproute2's ip, the modprobe stub)
  'libc6',
  'docker.io', // dockerd + docker CLI 20.10
  'containerd',
  'runc',
  'tini', // docker-init (`docker run --init`) points at its tini-static
  'iptables', // legacy backend, linked by hand (dpkg -x runs no alternatives)
  'iproute2', // `ip rule`, as seed 002 uses
  'dropbear-bin', // sshd: the board's only way in
] as const;

/** Content the board does not ship: docs, and tools whose libraries would only bloat the closure. */
export const ROOT_PRUNE = [
  'usr/share/doc',
  'usr/share/man',
  'usr/share/locale',
  'usr/share/lintian',
  'usr/share/bug',
  'usr/include',
  'usr/bin/dnet', // libnetwork test tools shipped by docker.io
  'usr/sbin/ovrouter',
  'usr/lib/aarch64-linux-gnu/tc', // tc qdisc plugins (libatm)
  'usr/sbin/arpd', // libdb
  'usr/lib/aarch64-linux-gnu/gconv', // iconv charset modules
] as const;

export const ROOT_LIB_DIRS = ['lib', 'usr/lib', 'lib/aarch64-linux-gnu', 'usr/lib/aarch64-linux-gnu'] as const;

/** Loaded by the initramfs: just enough to reach the ext4 root on virtio-blk (crc32c: ext4 checksums, no modprobe yet). */
export const INITRAMFS_MODULES = ['virtio_pci', 'virtio_blk', 'virtio_rng', 'crc32c_generic', 'ext4'] as const;

/**
 * Loaded by the root's boot script, in this order (dependencies first). crc32_generic must precede f2fs:
 * f2fs only soft-depends on it and without it the mount fails with ENOENT.
 */
export const ROOT_MODULES = [
  'virtio_net',
  'overlay',
  'crc32_generic',
  'f2fs',
  'bridge',
  'br_netfilter',
  'veth',
  'nf_conntrack',
  'nf_nat',
  'ip_tables',
  'iptable_filter',
  'iptable_nat',
  'iptable_mangle',
  'iptable_raw',
  'xt_MASQUERADE',
  'xt_addrtype',
  'xt_conntrack',
  'xt_nat',
  'xt_tcpudp',
  'xt_multiport',
  'xt_mark',
  'xt_comment',
  'xt_REDIRECT',
  'xt_ipvs',
  'ip6_tables',
  'ip6table_filter',
  'ip6table_nat',
] as const;

/** iptables front-ends docker calls, all pointing at the legacy multi-call binary (what update-alternatives would do). */
export const IPTABLES_LEGACY_LINKS = [
  'iptables',
  'iptables-save',
  'iptables-restore',
  'ip6tables',
  'ip6tables-save',
  'ip6tables-restore',
  'iptables-legacy',
  'iptables-legacy-save',
  'iptables-legacy-restore',
  'ip6tables-legacy',
  'ip6tables-legacy-save',
  'ip6tables-legacy-restore',
] as const;

/** Host-side key generation uses Debian's own dropbear tools for the host architecture. */
export const HOST_TOOL_SEEDS = ['dropbear-bin'] as const;
