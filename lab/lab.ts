// The virtual lab orchestrator: `lab up|down|status` over the virtual boards of an inventory. Netns boards are
// built here (netns/); qemu boards come from the qemu module. Up is idempotent: a warm call checks each part and
// repairs what is missing. Down removes everything the lab made, also after a crashed `up`.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import lockfile from 'proper-lockfile';
import { EdgecertError, errorChain, infra, usage } from '../harness/core/errors.ts';
import { log } from '../harness/core/log.ts';
import type { LabBoard, LabInventory } from './spec.ts';
import { loadDefects, type DefectSpec } from './defects.ts';
import { adbAttach, adbDetach, hdcAttach, hdcDetach } from './netns/access.ts';
import { boardAccess, boardAddress, type LabImage } from './netns/board-config.ts';
import { netnsBoardDown, netnsBoardStatus, netnsBoardUp, type NetnsBoardStatus } from './netns/board.ts';
import { edgeDown, edgeUp, labControlPlaneStatus, startLabControlPlane, stopLabControlPlane, type LabControlPlane } from './edge/index.ts';
import { bridgeState, ensureBridge, type BridgeState } from './netns/bridge.ts';
import { endpointState, ensureEndpoint, type EndpointState } from './netns/endpoint.ts';
import { pidAlive, readText, requireHost } from './netns/host.ts';
import { ensureLabImage, labImage } from './netns/image.ts';
import { ensureKeyPair, knownHostsName, updateKnownHosts } from './netns/keys.ts';
import { REPO_DIR, labPaths } from './netns/paths.ts';
import { labNetns, leftovers, sweepNetnsLab, type Leftovers } from './netns/sweep.ts';

export interface LabOptions {
  /** only these board ids (default: every virtual board of the inventory) */
  boards?: string[];
  /** directory relative paths of the inventory resolve against (default: the repository) */
  baseDir?: string;
  /** up: report a board that failed in its result instead of throwing (a run goes on with the others) */
  keepGoing?: boolean;
}

export interface LabBoardResult {
  id: string;
  kind: 'netns' | 'qemu';
  ok: boolean;
  action?: 'started' | 'kept' | 'repaired';
  ms: number;
  error?: string;
  /** qemu only: what the guest ran */
  kernelVersion?: string;
}

export interface LabUpResult {
  ms: number;
  boards: LabBoardResult[];
  endpoint?: string;
}

export interface LabBoardStatus {
  id: string;
  kind: 'netns' | 'qemu';
  os: LabBoard['os'];
  reach: string;
  state: 'up' | 'degraded' | 'down' | 'failed' | 'unknown';
  detail: string;
  defects: string[];
  netns?: NetnsBoardStatus;
  qemu?: { running: boolean; pid?: number; kernelVersion?: string; rssKb?: number };
}

export interface LabStatus {
  bridge: BridgeState;
  endpoint: EndpointState;
  image: LabImage & { present: boolean };
  boards: LabBoardStatus[];
}

type QemuApi = Pick<typeof import('./qemu/index.ts'), 'qemuBoardUp' | 'qemuBoardDown' | 'qemuBoardStatus'>;

// the qemu module is another engineer's; a lab of netns boards must work before (and without) it
async function loadQemu(): Promise<QemuApi | undefined> {
  const spec = './qemu/index.ts';
  if (!existsSync(new URL(spec, import.meta.url))) return undefined;
  return (await import(spec)) as QemuApi;
}

function selectBoards(inv: LabInventory, ids: string[] | undefined): LabBoard[] {
  const virtual = inv.boards.filter((b) => b.virtual);
  if (!ids?.length) return virtual;
  return ids.map((id) => {
    const b = inv.boards.find((x) => x.id === id);
    if (!b) throw usage(`no board \`${id}\` in the inventory (boards: ${inv.boards.map((x) => x.id).join(', ')})`);
    if (!b.virtual) throw usage(`board \`${id}\` is not a virtual board (no \`provision:\` block in the inventory): the lab cannot start it`);
    return b;
  });
}

function boardDefects(b: LabBoard, baseDir: string): DefectSpec[] {
  const file = b.virtual?.defects;
  if (!file) return [];
  return loadDefects(isAbsolute(file) ? file : resolve(baseDir, file), b.virtual!.kind);
}

function checkAddresses(boards: LabBoard[]): void {
  const seen = new Map<string, string>();
  for (const b of boards.filter((x) => x.virtual?.kind === 'netns')) {
    const a = boardAddress(b);
    const other = seen.get(a);
    if (other) throw usage(`boards ${other} and ${b.id} have the same provision.address ${a}`);
    seen.set(a, b.id);
    boardAccess(b, a);
  }
}

async function withLabLock<T>(stateDir: string, fn: () => Promise<T>): Promise<T> {
  const p = labPaths(stateDir);
  mkdirSync(p.dir, { recursive: true });
  const lockDir = `${p.lock}.lock`;
  const ownerFile = `${p.lock}.owner`;
  // a `lab up` killed with SIGKILL leaves its lock: when its owner is dead, the lock is taken over at once
  const owner = Number(readText(ownerFile)?.trim());
  if (existsSync(lockDir) && owner && owner !== process.pid && !pidAlive(owner)) {
    log.warn(`lab lock of dead process ${owner} removed`);
    rmSync(lockDir, { recursive: true, force: true });
  }
  let release: () => Promise<void>;
  if (existsSync(lockDir)) log.info(`waiting for the lab lock (${lockDir}) held by pid ${owner || '?'} (another lab up/down)`);
  try {
    release = await lockfile.lock(p.dir, {
      lockfilePath: lockDir,
      stale: 15_000,
      update: 3_000,
      retries: { retries: 400, minTimeout: 500, maxTimeout: 1_000 },
      onCompromised: (e) => log.warn(`lab lock: ${e.message}`),
    });
  } catch (cause) {
    throw infra(`another lab command holds ${lockDir}`, { cause });
  }
  writeFileSync(ownerFile, `${process.pid}\n`);
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

function sshKeyPath(b: LabBoard, baseDir: string): string | undefined {
  if (b.transport.type !== 'ssh') return undefined;
  return isAbsolute(b.transport.keyPath) ? b.transport.keyPath : resolve(baseDir, b.transport.keyPath);
}

/** Bring the virtual boards up (all, or `opts.boards`); fast and side-effect free when they already run. */
export async function labUp(inv: LabInventory, opts: LabOptions = {}): Promise<LabUpResult> {
  const t0 = performance.now();
  const baseDir = opts.baseDir ?? REPO_DIR;
  const boards = selectBoards(inv, opts.boards);
  const defects = new Map(boards.map((b) => [b.id, boardDefects(b, baseDir)]));
  checkAddresses(inv.boards.filter((b) => b.virtual));
  requireHost({ adb: boards.some((b) => b.transport.type === 'adb') });
  const stateDir = inv.lab.stateDir;
  const image = labImage(inv.lab);
  const netns = boards.filter((b) => b.virtual!.kind === 'netns');
  const qemu = boards.filter((b) => b.virtual!.kind === 'qemu');
  const qemuApi = qemu.length ? await loadQemu() : undefined;
  if (qemu.length && !qemuApi) {
    throw usage(`qemu boards (${qemu.map((b) => b.id).join(', ')}) need lab/qemu/index.ts, which is not there yet; use --board to pick netns boards`);
  }

  return withLabLock(stateDir, async () => {
    const keys = new Map<string, string>();
    for (const b of boards) {
      const k = sshKeyPath(b, baseDir);
      if (k && !keys.has(k)) keys.set(k, await ensureKeyPair(k, 'edgecert virtual lab'));
    }
    let endpoint: string | undefined;
    let controlPlane: LabControlPlane | undefined;
    if (netns.length || qemu.length) {
      await ensureBridge();
      endpoint = (await ensureEndpoint(stateDir)).url;
    }
    if (netns.length) {
      await ensureLabImage(image);
      // the stand-in control plane listens on the lab bridge, where the boards' edgecore stand-ins reach it
      if (netns.some((b) => b.cloud)) controlPlane = await startLabControlPlane(stateDir);
    }
    const hostKeys: { file: string; name: string; keyLine: string }[] = [];

    const upNetns = async (b: LabBoard): Promise<LabBoardResult> => {
      const t = performance.now();
      const k = sshKeyPath(b, baseDir);
      const r = await netnsBoardUp(b, { stateDir, defects: defects.get(b.id)!, image, authorizedKey: k ? keys.get(k) : undefined });
      if (b.transport.type === 'ssh' && r.hostKeyLine && !/^(ssh-|ecdsa-)/.test(b.transport.hostKey)) {
        hostKeys.push({ file: resolve(baseDir, b.transport.hostKey), name: knownHostsName(b.transport.host, b.transport.port), keyLine: r.hostKeyLine });
      }
      if (b.transport.type === 'adb') await adbAttach(b);
      if (b.transport.type === 'hdc') await hdcAttach(b, baseDir);
      if (b.cloud && controlPlane) await edgeUp(b, { controlPlane, stateDir, defects: defects.get(b.id)!, sandboxImage: image.ref });
      return { id: b.id, kind: 'netns', ok: true, action: r.action, ms: Math.round(performance.now() - t) };
    };
    const upQemu = async (b: LabBoard): Promise<LabBoardResult> => {
      const t = performance.now();
      const k = sshKeyPath(b, baseDir);
      const r = await qemuApi!.qemuBoardUp(b, { stateDir, defects: defects.get(b.id)!, authorizedKey: k ? keys.get(k)! : '', labEndpoint: endpointAddress(endpoint) });
      if (b.transport.type === 'ssh' && !/^(ssh-|ecdsa-)/.test(b.transport.hostKey)) {
        hostKeys.push({ file: resolve(baseDir, b.transport.hostKey), name: knownHostsName(b.transport.host, b.transport.port), keyLine: r.hostKeyLine });
      }
      return { id: b.id, kind: 'qemu', ok: true, ms: Math.round(performance.now() - t), kernelVersion: r.kernelVersion };
    };
    const settle = (b: LabBoard, p: Promise<LabBoardResult>) =>
      p.catch((e: unknown): LabBoardResult => {
        log.error(`board ${b.id}: ${errorChain(e)}`);
        if (e instanceof EdgecertError) for (const [k, v] of Object.entries(e.evidence)) log.error(`board ${b.id} ${k}:\n${v}`);
        return { id: b.id, kind: b.virtual!.kind, ok: false, ms: 0, error: errorChain(e) };
      });
    const results = await Promise.all([...netns.map((b) => settle(b, upNetns(b))), ...qemu.map((b) => settle(b, upQemu(b)))]);

    const byFile = new Map<string, { name: string; keyLine: string }[]>();
    for (const h of hostKeys) byFile.set(h.file, [...(byFile.get(h.file) ?? []), h]);
    for (const [file, entries] of byFile) updateKnownHosts(file, entries);

    const failed = results.filter((r) => !r.ok);
    const result = { ms: Math.round(performance.now() - t0), boards: results, endpoint };
    if (failed.length && !opts.keepGoing) {
      throw new EdgecertError('INFRA', `lab up: ${failed.length} of ${results.length} boards failed: ${failed.map((f) => `${f.id} (${f.error})`).join('; ')}`, {
        evidence: { 'lab up result': JSON.stringify(result, null, 2) },
      });
    }
    return result;
  });
}

/** Take the virtual boards down. Without `opts.boards`, also sweep every netns board of this host by name. */
export async function labDown(inv: LabInventory, opts: LabOptions = {}): Promise<Leftovers> {
  const baseDir = opts.baseDir ?? REPO_DIR;
  const boards = selectBoards(inv, opts.boards);
  requireHost();
  const stateDir = inv.lab.stateDir;
  const qemu = boards.filter((b) => b.virtual!.kind === 'qemu');
  const qemuApi = qemu.length ? await loadQemu() : undefined;
  return withLabLock(stateDir, async () => {
    const errors: string[] = [];
    const cpForDown = labControlPlaneStatus(stateDir).running ? await startLabControlPlane(stateDir).catch(() => undefined) : undefined;
    const attempt = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (e) {
        errors.push(`${what}: ${errorChain(e)}`);
      }
    };
    await Promise.all(
      boards.map(async (b) => {
        if (b.virtual!.kind === 'qemu') {
          if (qemuApi) await attempt(`board ${b.id}`, () => qemuApi.qemuBoardDown(b, { stateDir }));
          return;
        }
        if (b.cloud) await attempt(`edge stand-ins of ${b.id}`, () => edgeDown(b, { stateDir, controlPlane: cpForDown }));
        if (b.transport.type === 'adb') await attempt(`adb disconnect ${b.id}`, () => adbDetach(b));
        if (b.transport.type === 'hdc') await attempt(`hdc tconn -remove ${b.id}`, () => hdcDetach(b, baseDir));
        await attempt(`board ${b.id}`, () => netnsBoardDown(b.id, stateDir, b.virtual?.address));
      }),
    );
    let left: Leftovers;
    const whole = !opts.boards?.length || !(await labNetns()).length;
    if (whole) await attempt('control plane', () => stopLabControlPlane(stateDir));
    if (whole) left = await sweepNetnsLab(stateDir);
    else left = await leftovers(stateDir);
    if (errors.length) throw infra(`lab down: ${errors.join('; ')}`);
    return left;
  });
}

/** What runs now, per board and for the shared parts; never changes anything. */
export async function labStatus(inv: LabInventory, opts: LabOptions = {}): Promise<LabStatus> {
  const baseDir = opts.baseDir ?? REPO_DIR;
  const stateDir = inv.lab.stateDir;
  const boards = selectBoards(inv, opts.boards);
  const qemuApi = boards.some((b) => b.virtual!.kind === 'qemu') ? await loadQemu() : undefined;
  const image = labImage(inv.lab);
  const rows = await Promise.all(
    boards.map(async (b): Promise<LabBoardStatus> => {
      const defects = (() => {
        try {
          return boardDefects(b, baseDir).map((d) => (d.arg === undefined ? d.name : `${d.name}:${JSON.stringify(d.arg)}`));
        } catch (e) {
          return [`(unreadable: ${(e as Error).message})`];
        }
      })();
      const reach = reachOf(b);
      if (b.virtual!.kind === 'qemu') {
        if (!qemuApi) return { id: b.id, kind: 'qemu', os: b.os, reach, state: 'unknown', detail: 'qemu module not installed', defects };
        try {
          const q = await qemuApi.qemuBoardStatus(b, { stateDir });
          return { id: b.id, kind: 'qemu', os: b.os, reach, state: q.running ? 'up' : 'down', detail: q.running ? 'running' : 'not running', defects, qemu: q };
        } catch (e) {
          return { id: b.id, kind: 'qemu', os: b.os, reach, state: 'unknown', detail: errorChain(e), defects };
        }
      }
      const access = boardAccess(b, boardAddress(b));
      const s = await netnsBoardStatus(b, stateDir, access);
      const detail =
        s.state === 'up'
          ? `init ${s.init}, dockerd ${s.dockerd.state}, ${s.access.kind} ${s.access.pid ?? ''} (boot ${s.boot})`
          : s.state === 'down'
            ? 'not running'
            : s.state === 'failed'
              ? `failed: ${s.reason ?? 'see init.log'}`
              : s.problems.join('; ');
      return { id: b.id, kind: 'netns', os: b.os, reach, state: s.state, detail, defects, netns: s };
    }),
  );
  return { bridge: await bridgeState(), endpoint: endpointState(stateDir), image: { ...image, present: existsSync(image.tarball) }, boards: rows };
}

function reachOf(b: LabBoard): string {
  const t = b.transport;
  switch (t.type) {
    case 'ssh':
      return `ssh ${t.user}@${t.host}:${t.port}`;
    case 'adb':
      return `adb ${t.serial}`;
    case 'hdc':
      return `hdc ${t.connectKey}`;
    case 'local':
      return 'local';
  }
}

function endpointAddress(url: string | undefined): { host: string; port: number } | undefined {
  const m = url ? /^http:\/\/([\d.]+):(\d+)/.exec(url) : null;
  return m ? { host: m[1]!, port: Number(m[2]) } : undefined;
}
