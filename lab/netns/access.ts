// After a board's daemon listens, the host side must know it too: the real adb server connects to an Android
// board, the hdc stand-in records an OpenHarmony board. Down undoes both, so no stale device is listed.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { infra } from '../../harness/core/errors.ts';
import { waitFor } from '../../harness/core/wait.ts';
import type { BoardSpec } from '../../harness/inventory/schema.ts';
import { portOpen } from './endpoint.ts';
import { sh } from './host.ts';
import { HDC_CLI, REPO_DIR } from './paths.ts';

type AdbSpec = Extract<BoardSpec['transport'], { type: 'adb' }>;
type HdcSpec = Extract<BoardSpec['transport'], { type: 'hdc' }>;

function adbArgs(t: AdbSpec, args: string[]): string[] {
  return t.server ? ['-H', t.server.host, '-P', String(t.server.port), ...args] : args;
}

/** `adb connect` the board through the real adb server and wait until it is listed as `device`. */
export async function adbAttach(board: BoardSpec, timeoutMs = 20_000): Promise<void> {
  const t = board.transport as AdbSpec;
  await sh('adb', adbArgs(t, ['start-server']), { timeoutMs: 15_000 });
  await waitFor(`adb device ${t.serial} online`, timeoutMs, async () => {
    const c = await sh('adb', adbArgs(t, ['connect', t.serial]), { timeoutMs: 10_000 });
    const s = await sh('adb', adbArgs(t, ['-s', t.serial, 'get-state']), { timeoutMs: 10_000 });
    return { done: s.stdout.trim() === 'device', state: `${c.stdout.trim()} / ${s.stdout.trim() || s.stderr.trim()}` };
  }, { intervalMs: 500 });
}

export async function adbDetach(board: BoardSpec): Promise<void> {
  const t = board.transport as AdbSpec;
  // no server running means nothing to forget; any adb command would start one just to disconnect
  if (!(await portOpen(t.server?.host ?? '127.0.0.1', t.server?.port ?? 5037))) return;
  const devices = await sh('adb', adbArgs(t, ['devices']), { timeoutMs: 5_000 });
  if (devices.stdout.includes(t.serial)) await sh('adb', adbArgs(t, ['disconnect', t.serial]), { timeoutMs: 10_000 });
}

/** The hdc a board's transport names (relative paths resolve against the repository), else the stand-in. */
export function hdcBinary(board: BoardSpec, baseDir = REPO_DIR): string {
  const p = (board.transport as HdcSpec).hdcPath;
  if (!p) return existsSync(HDC_CLI) ? HDC_CLI : 'hdc';
  return p.includes('/') && !isAbsolute(p) ? resolve(baseDir, p) : p;
}

export async function hdcAttach(board: BoardSpec, baseDir?: string, timeoutMs = 20_000): Promise<void> {
  const t = board.transport as HdcSpec;
  const hdc = hdcBinary(board, baseDir);
  await waitFor(`hdc target ${t.connectKey} connected`, timeoutMs, async () => {
    const c = await sh(hdc, ['tconn', t.connectKey], { timeoutMs: 10_000 });
    const l = await sh(hdc, ['list', 'targets'], { timeoutMs: 10_000 });
    return { done: l.stdout.split('\n').includes(t.connectKey), state: `${c.stdout.trim()} / ${l.stdout.trim()}` };
  }, { intervalMs: 500 });
}

export async function hdcDetach(board: BoardSpec, baseDir?: string): Promise<void> {
  const t = board.transport as HdcSpec;
  const r = await sh(hdcBinary(board, baseDir), ['tconn', t.connectKey, '-remove'], { timeoutMs: 10_000 });
  if (r.exitCode !== 0) throw infra(`hdc tconn ${t.connectKey} -remove failed: ${r.stderr.trim()}`);
}
