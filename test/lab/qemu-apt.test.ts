// The first run on a machine whose apt has never seen arm64: apt's own state-dir options give the test that machine.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAptArch, resolveMetapackage, setAptOptions, showPackages } from '../../lab/qemu/apt.ts';
import { BOARD_ARCH, KERNEL_META } from '../../lab/qemu/recipe.ts';

describe('apt from an empty state (no package lists for any architecture)', () => {
  let dir = '';
  const emptyState = () => [`Dir::State::Lists=${join(dir, 'lists')}`, `Dir::Cache=${join(dir, 'cache')}`];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'edgecert-apt-'));
    mkdirSync(join(dir, 'lists/partial'), { recursive: true });
    mkdirSync(join(dir, 'cache/archives/partial'), { recursive: true });
    setAptOptions(emptyState());
  });
  afterAll(() => {
    setAptOptions([]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('an unknown package is an empty answer, not an error (apt-cache exits 100)', async () => {
    expect(readdirSync(join(dir, 'lists')).filter((f) => f.endsWith('Packages'))).toEqual([]);
    const found = await showPackages([KERNEL_META], BOARD_ARCH);
    expect(found.size).toBe(0);
  });

  it('a real apt error still fails as INFRA', async () => {
    // an item without "=" is apt's own configuration error, also exit 100
    setAptOptions([...emptyState(), 'Edgecert::Broken']);
    try {
      await expect(showPackages([KERNEL_META], BOARD_ARCH)).rejects.toMatchObject({ outcome: 'INFRA' });
    } finally {
      setAptOptions(emptyState());
    }
  });

  it('ensureAptArch runs apt-get update, after which the board kernel resolves', { timeout: 900_000 }, async () => {
    await ensureAptArch(BOARD_ARCH, KERNEL_META);
    expect(readdirSync(join(dir, 'lists')).some((f) => f.includes(`binary-${BOARD_ARCH}_Packages`))).toBe(true);
    const kernel = await resolveMetapackage(KERNEL_META, BOARD_ARCH, 'linux-image-');
    expect(kernel.name).toMatch(/^linux-image-\d+\.\d+\.\d+-\d+-arm64$/);
    expect(kernel.arch).toBe(BOARD_ARCH);
  });
});
