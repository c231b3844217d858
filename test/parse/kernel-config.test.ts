import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  GZIP_READERS,
  compareVersions,
  configProblem,
  isEnabled,
  judgeAnyOf,
  judgeForbidden,
  judgeRequired,
  parseKernelConfig,
  parseKernelRelease,
  parseMajorMinor,
  parseReaderOutput,
  readConfigCommand,
} from '../../harness/parse/kernel-config.ts';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
// real samples: this lab host's /proc/config.gz (6.18, x86_64) and Debian's arm64 6.1 config (the virtual DAYU200)
const hostText = gunzipSync(readFileSync(fixture('host-6.18-config.gz'))).toString('utf8');
const debianText = gunzipSync(readFileSync(fixture('debian-6.1-arm64-config.gz'))).toString('utf8');

// what the virtual lab's garbage_output defect prints: half the real answer, then bytes no parser expects
const garble = (s: string) => `${s.slice(0, s.length / 2)}\n\xff\xfe\x1b[7m#%!<garbage\x00 truncated>\n`;

describe('parseKernelConfig on real configs', () => {
  const host = parseKernelConfig(hostText);
  const debian = parseKernelConfig(debianText);

  it('reads y, m, unset and string values', () => {
    expect(host.options.get('CONFIG_NAMESPACES')).toBe('y');
    expect(host.options.get('CONFIG_F2FS_FS')).toBe('n');
    expect(debian.options.get('CONFIG_F2FS_FS')).toBe('m');
    expect(debian.options.get('CONFIG_OVERLAY_FS')).toBe('m');
    expect(host.options.get('CONFIG_DEFAULT_HOSTNAME')).toMatch(/^".*"$/);
  });

  it('counts y and m as enabled, n and absent as not (check-config.sh is_set)', () => {
    expect(isEnabled(debian, 'CONFIG_VETH')).toBe(true); // =m
    expect(isEnabled(host, 'CONFIG_VETH')).toBe(true); // =y
    expect(isEnabled(host, 'CONFIG_IP_VS')).toBe(false); // is not set
    expect(isEnabled(host, 'CONFIG_ANDROID_PARANOID_NETWORK')).toBe(false); // absent
  });

  it('finds no problem in a complete config', () => {
    expect(configProblem(host)).toBeUndefined();
    expect(configProblem(debian)).toBeUndefined();
    expect(host.badLines).toEqual([]);
  });

  it('rejects garbage, truncation and empty files', () => {
    expect(configProblem(parseKernelConfig(garble(hostText)))).toMatch(/binary/);
    // cut mid-line: the torn line is not config syntax; cut at a line end: too few options for a real kernel
    expect(configProblem(parseKernelConfig(hostText.slice(0, 2000)))).toMatch(/not kernel config syntax|only \d+ option/);
    expect(configProblem(parseKernelConfig(hostText.slice(0, hostText.indexOf('\n', 2000) + 1)))).toMatch(/only \d+ option/);
    expect(configProblem(parseKernelConfig(''))).toMatch(/only 0 option/);
    expect(configProblem(parseKernelConfig('gzip: /proc/config.gz: unexpected end of file\n'))).toMatch(/not kernel config syntax/);
  });
});

describe('reader commands and their output', () => {
  it('tries zcat first and has busybox/toybox fallbacks (seed 002 boards lack zcat)', () => {
    expect(GZIP_READERS[0]).toBe('zcat');
    expect(GZIP_READERS).toContain('busybox zcat');
    expect(readConfigCommand('/proc/config.gz', 'gzip -dc')).toContain('command -v gzip');
    expect(readConfigCommand("/boot/config-5.10.0 x'y", null)).toContain(`'/boot/config-5.10.0 x'\\''y'`);
  });

  it('splits the status line off, with or without a final newline in the config', () => {
    expect(parseReaderOutput('CONFIG_A=y\n\n@@status 0\n')).toEqual({ missing: false, status: 0, text: 'CONFIG_A=y\n' });
    expect(parseReaderOutput('CONFIG_A=y\n@@status 1\n').status).toBe(1);
    expect(parseReaderOutput('@@missing zcat\n')).toEqual({ missing: true, status: null, text: '' });
    expect(parseReaderOutput('half a config, link lost').status).toBeNull();
  });
});

describe('kernel versions', () => {
  it('parses uname -r of lab, Debian, Rockchip and OpenHarmony kernels', () => {
    expect(parseKernelRelease('6.18.44-fc-v657')).toEqual({ major: 6, minor: 18, patch: 44 });
    expect(parseKernelRelease('6.1.0-56-arm64')).toEqual({ major: 6, minor: 1, patch: 0 });
    expect(parseKernelRelease('4.19.232')).toEqual({ major: 4, minor: 19, patch: 232 });
    expect(parseKernelRelease('5.10')).toEqual({ major: 5, minor: 10, patch: 0 });
    expect(parseKernelRelease('\u00ff\u00fegarbage')).toBeUndefined();
  });
  it('compares numerically, not as strings', () => {
    expect(compareVersions(parseKernelRelease('5.10.79')!, parseMajorMinor('5.9'))).toBeGreaterThan(0);
    expect(compareVersions(parseKernelRelease('4.19.232')!, parseMajorMinor('5.10'))).toBeLessThan(0);
  });
});

describe('judging option sets', () => {
  const host = parseKernelConfig(hostText);

  it('reports a required option that a defect removed (kernel_config_without)', () => {
    const without = parseKernelConfig(hostText.replace(/^CONFIG_CGROUP_PIDS=y$/m, '# CONFIG_CGROUP_PIDS is not set').replace(/^CONFIG_BRIDGE_NETFILTER=.*$/m, ''));
    const v = judgeRequired(without, ['CONFIG_CGROUP_PIDS', 'CONFIG_BRIDGE_NETFILTER', 'CONFIG_NAMESPACES'], [], parseKernelRelease('6.18.44'), []);
    expect(v.missing).toEqual(['CONFIG_CGROUP_PIDS', 'CONFIG_BRIDGE_NETFILTER']);
  });

  it('moves a waived option out of the required set and says whether it is present', () => {
    const v = judgeRequired(host, ['CONFIG_NETFILTER_XT_MATCH_IPVS', 'CONFIG_SYSVIPC'], [], undefined, [{ option: 'CONFIG_NETFILTER_XT_MATCH_IPVS', reason: 'no swarm' }]);
    expect(v.missing).toEqual([]);
    expect(v.waived).toEqual([{ option: 'CONFIG_NETFILTER_XT_MATCH_IPVS', reason: 'no swarm', present: false }]);
  });

  it('requires version-conditional options only below their version (moby NF_NAT_IPV4 <= 5.1)', () => {
    const rb = [{ below: '5.2', options: ['CONFIG_NF_NAT_IPV4'] }];
    expect(judgeRequired(host, [], rb, parseKernelRelease('6.18.44'), []).missing).toEqual([]);
    expect(judgeRequired(host, [], rb, parseKernelRelease('4.19.232'), []).missing).toEqual(['CONFIG_NF_NAT_IPV4']);
    // unknown version: keep the older-kernel options (a FAIL with evidence beats a silent pass)
    expect(judgeRequired(host, [], rb, undefined, []).missing).toEqual(['CONFIG_NF_NAT_IPV4']);
  });

  it('accepts either alias of a group and flags a group with none (k8s Aliases)', () => {
    const group = ['CONFIG_NETFILTER_XT_TARGET_REDIRECT', 'CONFIG_IP_NF_TARGET_REDIRECT'];
    expect(judgeAnyOf(host, [group], []).unsatisfied).toEqual([]);
    const none = parseKernelConfig(hostText.replace(/^CONFIG_NETFILTER_XT_TARGET_REDIRECT=.*$/m, '').replace(/^CONFIG_IP_NF_TARGET_REDIRECT=.*$/m, ''));
    expect(judgeAnyOf(none, [group], []).unsatisfied).toEqual([group]);
  });

  it('flags forbidden options that are enabled', () => {
    expect(judgeForbidden(host, ['CONFIG_LEGACY_VSYSCALL_NATIVE'], []).present).toEqual([]);
    const bad = parseKernelConfig(`${hostText}\nCONFIG_LEGACY_VSYSCALL_NATIVE=y\n`);
    expect(judgeForbidden(bad, ['CONFIG_LEGACY_VSYSCALL_NATIVE'], []).present).toEqual(['CONFIG_LEGACY_VSYSCALL_NATIVE']);
  });
});
