// SELinux mode of a board and whether it is a security finding. Both seeds run `setenforce 0` so that dockerd
// and its containers are not denied by the platform policy; that leaves every process of the board unconfined.

export type SelinuxMode = 'enforcing' | 'permissive' | 'disabled';

/** `getenforce` answers Enforcing/Permissive/Disabled; /sys/fs/selinux/enforce holds 1/0 when a policy is loaded. */
export function parseSelinuxMode(getenforce: string | undefined, enforceFile: string | undefined): { mode: SelinuxMode; from: string } | undefined {
  const g = getenforce?.trim().toLowerCase();
  if (g === 'enforcing' || g === 'permissive' || g === 'disabled') return { mode: g, from: 'getenforce' };
  const f = enforceFile?.trim();
  if (f === '1') return { mode: 'enforcing', from: '/sys/fs/selinux/enforce' };
  if (f === '0') return { mode: 'permissive', from: '/sys/fs/selinux/enforce' };
  return undefined;
}

/**
 * The finding, if any. Permissive is a finding everywhere: a policy is loaded and deliberately not enforced.
 * Disabled/absent is a finding on Android and OpenHarmony, which ship SELinux enforcing as a base security
 * boundary; on a plain Linux distribution that does not use SELinux it is not (other LSMs are not assessed).
 */
export function selinuxFinding(mode: SelinuxMode | 'absent', os: 'android' | 'openharmony' | 'linux'): string | undefined {
  if (mode === 'enforcing') return undefined;
  if (mode === 'permissive') return 'SELinux is Permissive: policy violations are logged but not denied (the seeds\' `setenforce 0`), so no process on the board is confined';
  if (os === 'linux') return undefined;
  return `SELinux is ${mode === 'absent' ? 'not present' : 'disabled'} on an ${os === 'android' ? 'Android' : 'OpenHarmony'} board, whose platform security model relies on it being enforcing`;
}
