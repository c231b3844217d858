import type { Transport } from '../transport/types.ts';
import { infra } from '../core/errors.ts';
import { mark, parseSections, sectionScript } from './sections.ts';

/** What the harness learns about a board before any check runs, in a single round trip. */
export interface BoardFacts {
  kernelRelease: string;
  machine: string;
  hostname: string;
  osRelease: Record<string, string>;
  /** Android `getprop` / OpenHarmony `param get` values that matter for conformance (empty when absent). */
  props: Record<string, string>;
  /** the first readable kernel config source, e.g. /proc/config.gz or /boot/config-<release> */
  kernelConfigPath: string | null;
  collectedAt: string;
}

export const KERNEL_CONFIG_PATHS = [
  '/proc/config.gz',
  '/boot/config-$(uname -r)',
  '/boot/config',
  '/lib/modules/$(uname -r)/build/.config',
  '/usr/src/linux-$(uname -r)/.config',
  '/usr/src/linux/.config',
  '/etc/kernel-config',
] as const;

const PROPS = ['ro.product.model', 'ro.product.device', 'ro.build.version.release', 'ro.crypto.state', 'ro.crypto.type', 'const.product.model', 'const.ohos.fullname', 'const.product.software.version'];

const SCRIPT = sectionScript([
  `${mark('uname')}; uname -r; uname -m; hostname 2>/dev/null || cat /proc/sys/kernel/hostname`,
  `${mark('os-release')}; cat /etc/os-release 2>/dev/null`,
  `${mark('props')}; for p in ${PROPS.join(' ')}; do v=""; if command -v getprop >/dev/null 2>&1; then v=$(getprop "$p" 2>/dev/null); fi; if [ -z "$v" ] && command -v param >/dev/null 2>&1; then v=$(param get "$p" 2>/dev/null | grep -v -i "fail\\|error"); fi; echo "$p=$v"; done`,
  `${mark('config')}; for f in ${KERNEL_CONFIG_PATHS.join(' ')}; do if [ -r "$f" ] && [ -s "$f" ]; then echo "$f"; break; fi; done`,
]);

export async function gatherFacts(t: Transport, timeout: number): Promise<BoardFacts> {
  const r = await t.exec(SCRIPT, { timeout });
  const out = parseSections(r.stdout);
  if (r.timedOut || !out.complete) {
    throw infra(`board ${t.board}: fact gathering did not complete (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`})`, {
      evidence: { 'fact gathering output': r.stdout + r.stderr },
    });
  }
  const sections = { get: (name: string) => out.lines(name) };
  const kv = (lines: string[] = [], strip = false) =>
    Object.fromEntries(
      lines
        .map((l) => /^([A-Za-z0-9_.]+)=(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1]!, strip ? m[2]!.replace(/^"(.*)"$/, '$1') : m[2]!]),
    );
  const [kernelRelease = '', machine = '', hostname = ''] = sections.get('uname') ?? [];
  const props = Object.fromEntries(Object.entries(kv(sections.get('props'))).filter(([, v]) => v !== ''));
  return {
    kernelRelease: kernelRelease.trim(),
    machine: machine.trim(),
    hostname: hostname.trim(),
    osRelease: kv(sections.get('os-release'), true),
    props,
    kernelConfigPath: (sections.get('config') ?? []).find((l) => l.trim())?.trim() ?? null,
    collectedAt: new Date().toISOString(),
  };
}
