// Profiles share one copy of each option list: `extends:` merges mappings, replaces lists, `key+:` appends.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfile, PROFILES_DIR } from '../../harness/profiles/load.ts';
import { usageError } from '../helpers/usage-error.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgecert-profile-'));
const write = (name: string, text: string) => {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, text);
  return f;
};

describe('profile extends', () => {
  const base = loadProfile('generic-linux');

  it('an overlay takes the parent\'s policy and changes only what it says', () => {
    const f = write('overlay-a', 'name: overlay-a\nextends: generic-linux\ndescription: d\nkernel:\n  minVersion: "5.10"\n  optional+: [CONFIG_F2FS_FS]\nwaivers: []\n');
    const p = loadProfile(f);
    expect(p.kernel.minVersion).toBe('5.10');
    expect(p.kernel.required).toEqual(base.kernel.required);
    expect(p.kernel.optional).toEqual([...base.kernel.optional, 'CONFIG_F2FS_FS']);
    expect(p.waivers).toEqual([]);
    expect(p.suites).toEqual(base.suites);
    expect(p).not.toHaveProperty('extends');
  });

  it('the committed overlays resolve to what they say they are', () => {
    const dayu = loadProfile('openharmony-dayu200');
    expect(dayu.kernel.required.slice(-3)).toEqual(['CONFIG_F2FS_FS', 'CONFIG_F2FS_FS_XATTR', 'CONFIG_F2FS_FS_POSIX_ACL']);
    expect(dayu.kernel.required.slice(0, -3)).toEqual(base.kernel.required);
    expect(dayu.notApplicable).toEqual(loadProfile('openharmony-generic').notApplicable);
    expect(loadProfile('android-rk3568').waivers.map((w) => w.option)).toEqual([...base.waivers.map((w) => w.option), 'CONFIG_SYSVIPC', 'CONFIG_IP6_NF_NAT']);
  });

  it('errors name the file and line that say it: unknown parent, appending to a non-list, a bad value, a loop', () => {
    const a = write('overlay-b', 'name: overlay-b\nextends: no-such-profile\ndescription: d\n');
    expect(usageError(() => loadProfile(a)).message).toBe(`${a}:2: profile at \`extends\`: ${join(PROFILES_DIR, 'no-such-profile.yaml')} does not exist`);
    const b = write('overlay-c', 'name: overlay-c\nextends: generic-linux\ndescription: d\nkernel:\n  minVersion+: ["5.10"]\n');
    expect(usageError(() => loadProfile(b)).message).toMatch(new RegExp(`^${b}:5: profile at \`kernel.minVersion\\+\`: .*appends a list to the list \`minVersion\``));
    const c = write('overlay-d', 'name: overlay-d\nextends: generic-linux\ndescription: d\nkernel:\n  required+: [NOT_AN_OPTION]\n');
    expect(usageError(() => loadProfile(c)).message).toMatch(new RegExp(`^${c}:\\d+: profile at \`kernel.required\\[\\d+\\]\`: .*CONFIG_PID_NS`));
    const d = write('overlay-e', 'name: overlay-e\nextends: generic-linux\n');
    expect(loadProfile(d).description).toBe(base.description);
  });
});
