// Defects reach the guest as lines of a file on its seed disk; the boot script applies each by real means.
import { usage } from '../../harness/core/errors.ts';
import type { DefectName, DefectSpec } from '../defects.ts';

/** What the qemu board's boot script knows how to inject (see lab/scripts/qemu/rootfs/sbin/edgecert-boot). */
export const QEMU_DEFECTS: ReadonlySet<DefectName> = new Set<DefectName>([
  'ip_forward_off',
  'no_rule_pref_1',
  'kernel_config_without',
  'kernel_config_missing',
  'memory_stat_openharmony',
  'selinux_enforcing',
  'dockerd_stopped',
  'dockerd_tcp_open',
  'data_root_not_f2fs',
  'no_localhost_in_hosts',
  'token_world_readable',
  'f2fs_module_missing',
  'overlay_module_missing',
  'cpuset_noprefix',
  'namespace_limit_zero',
  'clock_at',
]);

/** The guest's real-time clock at power-on, from a `clock_at: YYYY-MM-DD` defect (qemu's -rtc base=); else the host's. */
export function rtcBase(defects: readonly DefectSpec[]): string | undefined {
  const d = defects.find((x) => x.name === 'clock_at');
  if (!d) return undefined;
  if (typeof d.arg !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(d.arg)) throw usage('clock_at needs a date like 2024-01-01');
  return `${d.arg}T00:00:00`;
}

/** One line per defect: `name` or `name ARG ARG...`; throws USAGE for a defect this board cannot carry. */
export function defectLines(defects: readonly DefectSpec[]): string {
  const unsupported = defects.filter((d) => !QEMU_DEFECTS.has(d.name)).map((d) => d.name);
  if (unsupported.length) {
    throw usage(`the qemu board cannot inject ${unsupported.join(', ')}; it supports ${[...QEMU_DEFECTS].join(', ')}`);
  }
  return defects
    .filter((d) => d.name !== 'clock_at') // set on the qemu command line, not by the guest
    .map((d) => {
      if (d.name === 'namespace_limit_zero') {
        const ns = d.arg as string[];
        if (!Array.isArray(ns) || !ns.every((n) => /^[a-z]+$/.test(n))) throw usage('namespace_limit_zero needs a list of namespace names like [pid]');
        return `${d.name} ${ns.join(' ')}`;
      }
      if (d.name !== 'kernel_config_without') return d.name;
      const opts = d.arg as string[];
      if (!Array.isArray(opts) || !opts.every((o) => /^CONFIG_[A-Z0-9_]+$/.test(o))) {
        throw usage('kernel_config_without needs a list of CONFIG_* names');
      }
      return `${d.name} ${opts.join(' ')}`;
    })
    .map((l) => `${l}\n`)
    .join('');
}
