// The provision hook: edgecert runs the inventory's command and believes only its one-line JSON answer.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../harness/inventory/load.ts';
import { provisionArgv, provisionBoards } from '../../harness/provision.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgecert-provision-'));
const inventory = (command: string) => {
  const f = join(dir, `inv-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    f,
    `apiVersion: edgecert/v1
lab: { name: t, provision: { command: ${command} } }
boards:
  - { id: a, model: m, os: linux, arch: amd64, profile: generic-linux, transport: { type: local }, provision: { slot: 1 } }
  - { id: b, model: m, os: linux, arch: amd64, profile: generic-linux, transport: { type: local }, provision: { slot: 2 } }
  - { id: c, model: m, os: linux, arch: amd64, profile: generic-linux, transport: { type: local } }
`,
  );
  return { f, inv: loadInventory(f) };
};

describe('provision hook', () => {
  it('builds the command line: this node, the inventory, the boards that ask; it runs in the inventory\'s directory', async () => {
    const { f, inv } = inventory('[node, tools/up.js, provision]');
    expect(provisionArgv(inv, f, ['a', 'b'])).toEqual([process.execPath, 'tools/up.js', 'provision', '--inventory', f, '--board', 'a', '--board', 'b']);
    mkdirSync(join(dir, 'tools'), { recursive: true });
    writeFileSync(join(dir, 'tools/up.js'), 'console.log(JSON.stringify({ boards: [{ id: "a", ok: true }, { id: "b", ok: false, error: process.cwd() }] }));\n');
    expect([...(await provisionBoards(inv, f, inv.boards))]).toEqual([['b', dir]]);
  });

  it('reads which boards came up; a board it does not mention did not', async () => {
    const { f, inv } = inventory(`[sh, -c, 'echo progress >&2; echo "{\\"boards\\":[{\\"id\\":\\"a\\",\\"ok\\":true},{\\"id\\":\\"c\\",\\"ok\\":false,\\"error\\":\\"x\\"}]}"', sh]`);
    const down = await provisionBoards(inv, f, inv.boards);
    // c has no provision block: it was never asked for; b was asked and not answered
    expect([...down]).toEqual([['b', 'the provisioner did not report this board']]);
  });

  it('a failing or mute command makes every asked board INFRA with the reason', async () => {
    const failing = inventory("[sh, -c, 'echo broken bridge; exit 3', sh]");
    expect([...(await provisionBoards(failing.inv, failing.f, failing.inv.boards)).values()]).toEqual([
      'the provision command exited 3: broken bridge',
      'the provision command exited 3: broken bridge',
    ]);
    const mute = inventory("[sh, -c, 'echo not json', sh]");
    const why = [...(await provisionBoards(mute.inv, mute.f, mute.inv.boards)).values()];
    expect(why).toHaveLength(2);
    expect(why[0]).toMatch(/printed no answer/);
  });
});
