import { usageError } from '../helpers/usage-error.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../harness/inventory/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgecert-inv-'));
function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const board = (extra = '', transport = '{ type: local }') => `
  - id: b1
    model: m
    os: linux
    arch: arm64
    profile: generic-linux
    transport: ${transport}${extra}`;
const inv = (boards: string, lab = 'lab: { name: t }') => `apiVersion: edgecert/v1\n${lab}\nboards:${boards}\n`;


describe('inventory (devices.yaml)', () => {
  it('loads the committed virtual lab', () => {
    const i = loadInventory(join(import.meta.dirname, '../../devices.yaml'));
    expect(i.boards.map((b) => b.id)).toContain('vl-dayu200-1');
    expect(new Set(i.boards.map((b) => b.transport.type))).toEqual(new Set(['ssh', 'adb', 'hdc']));
  });

  it('names file, line, path and expectation for an unknown key', () => {
    const f = write('unknown.yaml', inv(board('\n    colour: blue')));
    expect(usageError(() => loadInventory(f)).message).toBe(`${f}:10: inventory at \`boards[0].colour\`: unknown key \`colour\``);
  });

  it('rejects a wrong type with the line of the value', () => {
    const f = write('type.yaml', inv(board('', '{ type: ssh, host: h, port: "22", user: u, keyPath: k, hostKey: ssh-ed25519 AAAA }')));
    const m = usageError(() => loadInventory(f)).message;
    expect(m).toContain(`${f}:9: inventory at \`boards[0].transport.port\``);
    expect(m).toMatch(/expected number/);
  });

  it('rejects an unknown os and a bad transport type', () => {
    const f = write('os.yaml', inv(board().replace('os: linux', 'os: windows')));
    expect(usageError(() => loadInventory(f)).message).toMatch(/boards\[0\]\.os.*android.*openharmony.*linux/);
    const g = write('tr.yaml', inv(board('', '{ type: telnet }')));
    expect(usageError(() => loadInventory(g)).message).toContain('boards[0].transport.type');
  });

  it('rejects duplicate board ids naming both', () => {
    const f = write('dup.yaml', inv(board() + board()));
    expect(usageError(() => loadInventory(f)).message).toMatch(/:\d+: .*boards\[1\]\.id.*duplicate board id `b1` \(first at boards\[0\]\)/);
  });

  it('passes a provision block on unread, and names a missing inventory', () => {
    const f = write('prov.yaml', inv(board('\n    provision: { kind: netns, anything: [1, 2] }')));
    expect(loadInventory(f).boards[0]!.provision).toEqual({ kind: 'netns', anything: [1, 2] });
    expect(usageError(() => loadInventory(join(dir, 'absent.yaml'))).message).toMatch(/absent\.yaml: cannot read inventory \(ENOENT\)/);
  });

  it('names the line of a real board\'s ssh key or kubeconfig that does not exist, at load time', () => {
    const key = write('id_test', 'not really a key\n');
    const ssh = (keyPath: string, extra = '') => board(extra, `{ type: ssh, host: h, user: u, keyPath: ${keyPath}, hostKey: ssh-ed25519 AAAA }`);
    const f = write('key.yaml', inv(ssh('keys/none_ed25519')));
    expect(usageError(() => loadInventory(f)).message).toBe(
      `${f}:9: inventory at \`boards[0].transport.keyPath\`: ssh private key ${join(dir, 'keys/none_ed25519')} does not exist`,
    );
    expect(loadInventory(write('key-ok.yaml', inv(ssh(key)))).boards[0]!.transport).toMatchObject({ keyPath: key });
    const k = write('kube.yaml', inv(ssh(key, '\n    cloud: { kubeconfig: missing.kubeconfig, nodeName: b1 }')));
    expect(usageError(() => loadInventory(k)).message).toMatch(/:10: inventory at `boards\[0\]\.cloud\.kubeconfig`: kubeconfig .*missing\.kubeconfig does not exist/);
    // a provisioned board's key is made by its provisioner (the virtual lab's `up`): not required before it
    expect(loadInventory(write('virt.yaml', inv(ssh('keys/none_ed25519', '\n    provision: { kind: netns }')))).boards).toHaveLength(1);
  });

  it('rejects broken YAML with a line and duplicate keys', () => {
    const f = write('broken.yaml', 'apiVersion: edgecert/v1\nlab: { name: t\nboards: []\n');
    expect(usageError(() => loadInventory(f)).message).toMatch(/broken\.yaml:\d+: not valid YAML/);
    const g = write('dupkey.yaml', 'apiVersion: edgecert/v1\napiVersion: edgecert/v1\n');
    expect(usageError(() => loadInventory(g)).message).toMatch(/dupkey\.yaml:2: not valid YAML/);
  });

  it('requires apiVersion edgecert/v1 and at least one board', () => {
    const f = write('api.yaml', 'apiVersion: v2\nlab: { name: t }\nboards: []\n');
    expect(usageError(() => loadInventory(f)).message).toMatch(/apiVersion/);
  });
});
