// Test boards for the edge stand-ins: real netns boards (own dockerd, no access daemon) in a private state dir, and
// the lab control plane on a test port, so these tests never touch a running lab.
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import type { LabBoard } from '../../lab/spec.ts';
import { netnsBoardDown, netnsBoardUp } from '../../lab/netns/board.ts';
import { ensureBridge } from '../../lab/netns/bridge.ts';
import { ensureLabImage } from '../../lab/netns/image.ts';
import { startLabControlPlane, stopLabControlPlane, type LabControlPlane } from '../../lab/edge/index.ts';
import { boardInitPid } from '../../lab/edge/board-process.ts';

export const TEST_STATE = '/var/lib/edgecert-edge-test';
export const TEST_CP_PORT = 16443;
export const IMAGE = { tarball: '/var/lib/edgecert/virtual-lab/images/edgecert-busybox.tar', ref: 'edgecert/busybox:lab' };

/** Can this host run netns boards at all (root, docker, the lab image or busybox to build it)? */
export function canRunBoards(): boolean {
  return process.getuid?.() === 0 && existsSync('/usr/sbin/dockerd') && existsSync('/usr/bin/nsenter') && (existsSync(IMAGE.tarball) || existsSync('/bin/busybox'));
}

export function testBoard(id: string, last: number): LabBoard {
  return {
    id,
    model: 'edge stand-in test board',
    os: 'linux',
    arch: 'amd64',
    profile: 'generic-linux',
    pools: [],
    tags: [],
    features: [],
    transport: { type: 'local' },
    docker: { socket: '/var/run/docker.sock' },
    cloud: { kubeconfig: `${TEST_STATE}/virtual-lab/control-plane/kubeconfig`, nodeName: id },
    virtual: { kind: 'netns', address: `10.77.0.${last}` },
  } as LabBoard;
}

export async function boardsUp(boards: LabBoard[]): Promise<LabControlPlane> {
  await ensureBridge();
  await ensureLabImage(IMAGE);
  const cp = await startLabControlPlane(TEST_STATE, { port: TEST_CP_PORT, nodeMonitorGracePeriodMs: 8_000 });
  await Promise.all(boards.map((b) => netnsBoardUp(b, { stateDir: TEST_STATE, defects: [], image: IMAGE })));
  return cp;
}

export async function boardsDown(boards: LabBoard[]): Promise<void> {
  for (const b of boards) await netnsBoardDown(b.id, TEST_STATE, b.virtual?.address).catch(() => undefined);
  await stopLabControlPlane(TEST_STATE);
}

/** A shell command inside a board (its mount, net and uts namespaces). */
export async function inBoard(board: LabBoard, script: string, timeoutMs = 30_000): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const pid = boardInitPid(TEST_STATE, board.id);
  const r = await execa('nsenter', ['-t', String(pid), '-m', '-n', '-u', '-r', '-w', '--', 'sh', '-c', script], { reject: false, timeout: timeoutMs, env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}
