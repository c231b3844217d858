import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../harness/profiles/load.ts';
import { isEnabled, judgeAnyOf, judgeForbidden, judgeRequired, parseKernelConfig, parseKernelRelease } from '../../harness/parse/kernel-config.ts';
import { waiversFor } from '../../harness/parse/waivers.ts';

// The conformant virtual boards must pass their profile: netns boards run this lab host's 6.18 kernel, the virtual
// DAYU200 Debian's arm64 6.1. A profile edit that would fail them (or a waiver that is no longer needed) shows here.
const config = (name: string) => parseKernelConfig(gunzipSync(readFileSync(new URL(`./fixtures/${name}`, import.meta.url))).toString('utf8'));
const host = config('host-6.18-config.gz');
const debian = config('debian-6.1-arm64-config.gz');

const cases = [
  { profile: 'generic-linux', cfg: host, release: '6.18.44-fc-v657' },
  { profile: 'android-rk3568', cfg: host, release: '6.18.44-fc-v657' },
  { profile: 'openharmony-generic', cfg: host, release: '6.18.44-fc-v657' },
  { profile: 'openharmony-dayu200', cfg: debian, release: '6.1.0-56-arm64' },
] as const;

describe.each(cases)('profile $profile on its conformant virtual board kernel', ({ profile, cfg, release }) => {
  const p = loadProfile(profile);
  it('has every required option, or a waiver with a reason', () => {
    const v = judgeRequired(cfg, p.kernel.required, p.kernel.requiredBefore, parseKernelRelease(release), waiversFor(p, 'KERNEL-CONFIG-REQUIRED').options);
    expect(v.missing).toEqual([]);
    for (const w of v.waived) expect(w.reason.length).toBeGreaterThan(40);
  });
  it('satisfies every group of alternatives and enables nothing forbidden', () => {
    expect(judgeAnyOf(cfg, p.kernel.anyOf, []).unsatisfied).toEqual([]);
    expect(judgeForbidden(cfg, p.kernel.forbidden, []).present).toEqual([]);
  });
  it('lists no option twice across required, optional and forbidden', () => {
    const all = [...p.kernel.required, ...p.kernel.optional, ...p.kernel.forbidden];
    expect(all.length).toBe(new Set(all).size);
  });
});

describe('profile decisions the seeds force', () => {
  it('DAYU200 requires f2fs as data-root filesystem and kernel option (seed 002)', () => {
    const p = loadProfile('openharmony-dayu200');
    expect(p.storage.dataRootFs).toEqual(['f2fs']);
    expect(p.kernel.required).toContain('CONFIG_F2FS_FS');
    expect(p.kernel.filesystems).toContain('f2fs');
    expect(isEnabled(debian, 'CONFIG_F2FS_FS_XATTR')).toBe(true);
  });
  it('Android waives only what android-base.config forbids (SYSVIPC, IP6_NF_NAT) plus the swarm-only ipvs match', () => {
    const p = loadProfile('android-rk3568');
    expect(waiversFor(p, 'KERNEL-CONFIG-REQUIRED').options.map((w) => w.option).sort()).toEqual(['CONFIG_IP6_NF_NAT', 'CONFIG_NETFILTER_XT_MATCH_IPVS', 'CONFIG_SYSVIPC']);
    expect(p.kernel.required).toContain('CONFIG_CFS_BANDWIDTH');
  });
  it('every profile requires the unprivileged-socket effect (ANDROID_PARANOID_NETWORK: seeds disagree)', () => {
    for (const name of ['generic-linux', 'android-rk3568', 'openharmony-generic', 'openharmony-dayu200']) expect(loadProfile(name).kernel.unprivilegedInetSocket).toBe('required');
  });
});
