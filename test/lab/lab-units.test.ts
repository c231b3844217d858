import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EdgecertError } from '../../harness/core/errors.ts';
import { loadLabInventory } from '../../lab/spec.ts';
import { renderStatus } from '../../lab/cli.ts';
import { boardAccess, boardAddress } from '../../lab/netns/board-config.ts';
import { splitRule } from '../../lab/netns/bridge.ts';
import { updateKnownHosts } from '../../lab/netns/keys.ts';
import { dockerBip, REPO_DIR, vethName } from '../../lab/netns/paths.ts';
import { renderPersonality, withOptions, withoutOptions } from '../../lab/netns/personality.ts';

// The pure parts of the lab: no root, no namespace.
const dir = mkdtempSync(join(tmpdir(), 'edgecert-lab-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const inv = loadLabInventory(join(REPO_DIR, 'devices.yaml'));
const board = (id: string) => inv.boards.find((b) => b.id === id)!;

describe('known_hosts', () => {
  it('sets the lines of these hosts and keeps every other host', () => {
    const f = join(dir, 'known_hosts');
    writeFileSync(f, '10.77.0.11 ssh-ed25519 OLD\nother.example ssh-rsa KEEP\n');
    updateKnownHosts(f, [
      { name: '10.77.0.11', keyLine: 'ssh-ed25519 NEW vl-linux-1 host key' },
      { name: '[127.0.0.1]:22201', keyLine: '[127.0.0.1]:22201 ssh-ed25519 QEMU' },
    ]);
    expect(readFileSync(f, 'utf8')).toBe('other.example ssh-rsa KEEP\n10.77.0.11 ssh-ed25519 NEW\n[127.0.0.1]:22201 ssh-ed25519 QEMU\n');
  });
});

describe('kernel config without options', () => {
  it('turns set options into "is not set" and appends absent ones', () => {
    const cfg = 'CONFIG_A=y\nCONFIG_AB=m\n# CONFIG_C is not set\n';
    expect(withoutOptions(cfg, ['CONFIG_A', 'CONFIG_D'])).toBe('# CONFIG_A is not set\nCONFIG_AB=m\n# CONFIG_C is not set\n# CONFIG_D is not set\n');
  });

  it('kernel_config_with sets options to y, replacing "is not set" and m, appending absent ones', () => {
    const cfg = 'CONFIG_A=m\nCONFIG_AB=m\n# CONFIG_C is not set\n';
    expect(withOptions(cfg, ['CONFIG_A', 'CONFIG_C', 'CONFIG_D'])).toBe('CONFIG_A=y\nCONFIG_AB=m\nCONFIG_C=y\nCONFIG_D=y\n');
  });
});

describe('iptables -S lines', () => {
  it('split back into arguments, quoted comments included', () => {
    expect(splitRule('FORWARD -i ecbr0 ! -o ecbr0 -m comment --comment "edgecert-lab ecbr0" -j DROP')).toEqual([
      'FORWARD', '-i', 'ecbr0', '!', '-o', 'ecbr0', '-m', 'comment', '--comment', 'edgecert-lab ecbr0', '-j', 'DROP',
    ]);
  });
});

describe('board addressing', () => {
  it('derives the access daemon, veth and docker0 subnet from devices.yaml', () => {
    expect(boardAccess(board('vl-linux-1'), '10.77.0.11')).toEqual({ kind: 'ssh', port: 22 });
    expect(boardAccess(board('vl-android-1'), '10.77.0.12')).toEqual({ kind: 'adb', port: 5555 });
    expect(boardAccess(board('vl-oh-1'), '10.77.0.13')).toEqual({ kind: 'hdc', port: 8710 });
    expect(vethName('10.77.0.13')).toBe('ecv13');
    expect(dockerBip('10.77.0.13')).toBe('172.30.13.1/24');
  });

  it('refuses a transport that does not point at the board, and addresses off the lab bridge', () => {
    expect(() => boardAccess(board('vl-linux-1'), '10.77.0.99')).toThrow(EdgecertError);
    expect(() => boardAddress({ ...board('vl-linux-1'), virtual: { kind: 'netns', address: '10.77.0.1' } })).toThrow(/from \.2 to \.254/);
    expect(() => boardAddress({ ...board('vl-linux-1'), virtual: { kind: 'netns' } })).toThrow(/needs provision.address/);
  });
});

describe('personality', () => {
  it('gives each OS its files, tools and PATH; defects change the content', () => {
    const android = renderPersonality(board('vl-android-1'), '10.77.0.12', [], 'tok', '6.1.0');
    expect(android.propsPath).toBe('/system/build.prop');
    expect(android.tools).toContain('getprop');
    expect(android.path.startsWith('/system/bin:')).toBe(true);
    const props = String(android.files.find((f) => f.path === '/system/build.prop')!.content);
    expect(props).toMatch(/^ro\.product\.model=rk3568/m);
    expect(props).toMatch(/^ro\.crypto\.state=unencrypted$/m);
    const token = android.files.find((f) => f.path === '/etc/kubeedge/token')!;
    expect(token.mode).toBe(0o600);

    expect(android.selinuxEnforce).toBe(true);
    expect(String(android.files.find((f) => f.path === '/etc/kubeedge/config/edgecore.yaml')!.content)).toMatch(/^ {4}rootDirectory: \/var\/lib\/docker\/edged$/m);

    const oh = renderPersonality(board('vl-oh-1'), '10.77.0.13', [{ name: 'no_localhost_in_hosts' }, { name: 'token_world_readable' }, { name: 'selinux_permissive' }, { name: 'no_nameserver' }, { name: 'edged_root_other_fs' }], 'tok', '6.1.0');
    expect(String(oh.files.find((f) => f.path === '/system/etc/param/ohos.para')!.content)).toMatch(/^const\.product\.model=rk3568$/m);
    expect(String(oh.files.find((f) => f.path === '/etc/hosts')!.content)).not.toContain('localhost');
    expect(oh.files.find((f) => f.path === '/etc/kubeedge/token')!.mode).toBe(0o644);
    expect(oh.selinuxEnforce).toBe(false);
    expect(String(oh.files.find((f) => f.path === '/etc/resolv.conf')!.content)).not.toMatch(/nameserver \d/);
    const edgecore = oh.files.find((f) => f.path === '/etc/kubeedge/config/edgecore.yaml')!;
    expect([edgecore.mode, /rootDirectory: (\S+)/.exec(String(edgecore.content))?.[1]]).toEqual([0o600, '/var/lib/edged']);
    expect(oh.files.some((f) => f.path === '/etc/cgroups.json')).toBe(true);

    const linux = renderPersonality(board('vl-linux-1'), '10.77.0.11', [], 'tok', '6.1.0');
    expect(linux.files.some((f) => f.path === '/etc/os-release' || f.path === '/etc/cgroups.json')).toBe(false);
    expect(linux.toolsDir).toBe('/usr/local/sbin');
  });
});

describe('status table', () => {
  it('prints shared parts and one row per board', () => {
    const text = renderStatus({
      bridge: { present: true, up: true, address: true, rules: 3 },
      endpoint: { running: true, pid: 7, url: 'http://10.77.0.1:8080/' },
      image: { tarball: '/x.tar', ref: 'edgecert/busybox:lab', present: true },
      boards: [{ id: 'vl-linux-1', kind: 'netns', os: 'linux', reach: 'ssh root@10.77.0.11:22', state: 'up', detail: 'init 1', defects: [] }],
    });
    expect(text).toContain('bridge ecbr0 up 10.77.0.1/24, 3 host rules');
    expect(text).toMatch(/^vl-linux-1 +netns +linux +ssh root@10\.77\.0\.11:22 +up /m);
  });
});

describe("the lab's view of an inventory (provision: blocks)", () => {
  const write = (name: string, body: string) => {
    const f = join(dir, name);
    writeFileSync(f, `apiVersion: edgecert/v1\nlab: { name: t }\nboards:\n  - id: b1\n    model: m\n    os: linux\n    arch: amd64\n    profile: generic-linux\n    transport: { type: local }\n${body}`);
    return f;
  };
  it('validates the block and resolves its defects file against the inventory', () => {
    writeFileSync(join(dir, 'd.yaml'), 'defects: [ip_forward_off]\n');
    expect(loadLabInventory(write('ok.yaml', '    provision: { kind: netns, address: 10.77.0.40, defects: d.yaml }\n')).boards[0]!.virtual).toEqual({
      kind: 'netns',
      address: '10.77.0.40',
      defects: join(dir, 'd.yaml'),
    });
  });
  it('names file, line and path of a bad block or a missing defects file', () => {
    const bad = write('bad.yaml', '    provision: { kind: vm }\n');
    expect(() => loadLabInventory(bad)).toThrow(new RegExp(`^${bad}:10: inventory at \`boards\\[0\\]\\.provision\\.kind\``));
    const gone = write('gone.yaml', '    provision: { kind: netns, defects: nope.yaml }\n');
    expect(() => loadLabInventory(gone)).toThrow(/gone\.yaml:10: inventory at `boards\[0\]\.provision\.defects`: defects file .*nope\.yaml does not exist/);
  });
});
