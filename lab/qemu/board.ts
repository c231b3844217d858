// Lifecycle of one qemu board: up (idempotent), down, status. State lives under <stateDir>/virtual-lab/<id>/.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EdgecertError, infra, usage } from '../../harness/core/errors.ts';
import { log } from '../../harness/core/log.ts';
import { waitFor } from '../../harness/core/wait.ts';
import type { LabBoard } from '../spec.ts';
import type { DefectSpec } from '../defects.ts';
import { ensureQemuArtefacts } from './artefacts.ts';
import { defectLines, rtcBase } from './guest-defects.ts';
import { ensureHostKey } from './host-key.ts';
import { withLock } from './lock.ts';
import { boardPaths, QEMU_TIMEOUTS } from './paths.ts';
import { alive, findBoardQemu, rssKb, stopProcess } from './process.ts';
import { qemuArgs } from './qemu-args.ts';
import { run } from './run.ts';
import { parseBoot, readSerial, serialTail } from './serial.ts';
import { writeSeedDisk } from './seed-disk.ts';
import { sshBanner } from './ssh-probe.ts';

export interface QemuUpContext {
  stateDir: string;
  defects: DefectSpec[];
  /** OpenSSH public key line allowed to log in as root */
  authorizedKey: string;
  /** the lab endpoint on the host, forwarded into the guest (see GUEST_LAB_ENDPOINT_IP) */
  labEndpoint?: { host: string; port: number };
}

export interface QemuUpResult {
  /** known_hosts line for the forwarded port, e.g. `[127.0.0.1]:22201 ssh-ed25519 AAAA...` */
  hostKeyLine: string;
  /** `uname -r` of the kernel that ran */
  kernelVersion: string;
  /** qemu start to the guest's ready line (sshd, dockerd and the offline image) */
  bootMs: number;
}

export interface QemuStatus {
  running: boolean;
  pid?: number;
  kernelVersion?: string;
  rssKb?: number;
}

/** What `up` learned; read back by a later `up` (idempotence) and by `status`. */
interface BoardRecord {
  configHash: string;
  pid: number;
  hostKeyLine: string;
  kernelVersion: string;
  kernelBuild: string;
  kernelPackage: { name: string; version: string };
  artefactKey: string;
  bootMs: number;
  /** host-side ms after qemu start */
  timings: { sshBannerMs: number; dockerApiMs?: number; readyMs: number };
  /** guest uptime (s) per boot stage */
  stages: Record<string, number>;
  ready: Record<string, string>;
  startedAt: string;
}

/** 2 GiB sparse f2fs disk: the unencrypted "sd card" docker's data-root lives on (seed 002). */
const DATA_DISK_BYTES = 2 * 1024 ** 3;
/**
 * dropbear 2022.83 forwards TCP (direct-tcpip) but not unix sockets (direct-streamlocal@openssh.com), so dockerd
 * also listens on this guest-loopback port for the ssh transport to forward to.
 */
export const GUEST_DOCKER_TCP_PORT = 2375;

function sshEndpoint(board: LabBoard): { host: string; port: number } {
  if (board.virtual?.kind !== 'qemu') throw usage(`board ${board.id} is not a qemu board (provision.kind must be qemu)`);
  if (board.arch !== 'arm64') throw usage(`board ${board.id}: the qemu board is arm64, devices.yaml says ${board.arch}`);
  const t = board.transport;
  if (t.type !== 'ssh') throw usage(`board ${board.id}: the qemu board is reached over ssh, devices.yaml says ${t.type}`);
  if (!/^127\.\d+\.\d+\.\d+$/.test(t.host)) throw usage(`board ${board.id}: the qemu board's ssh forward binds loopback only, not ${t.host}`);
  return { host: t.host, port: t.port };
}

function knownHostsLine(host: string, port: number, publicKey: string): string {
  return `${port === 22 ? host : `[${host}]:${port}`} ${publicKey}`;
}

function readRecord(file: string): BoardRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BoardRecord;
  } catch {
    return undefined;
  }
}

function removeRuntime(p: ReturnType<typeof boardPaths>): void {
  for (const f of [p.pid, p.serial, p.dataDisk, p.seedDisk, p.record, p.seedDir]) rmSync(f, { recursive: true, force: true });
}

async function healthy(p: ReturnType<typeof boardPaths>, host: string, port: number): Promise<boolean> {
  if (!parseBoot(readSerial(p.serial)).ready) return false;
  return !!(await sshBanner(host, port, QEMU_TIMEOUTS.sshProbe));
}

/** Boot the board (or return at once if it already runs, healthy, with the same configuration). */
export async function qemuBoardUp(board: LabBoard, ctx: QemuUpContext): Promise<QemuUpResult> {
  const { host, port } = sshEndpoint(board);
  const defects = defectLines(ctx.defects);
  const rtc = rtcBase(ctx.defects);
  if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-\S+) [A-Za-z0-9+/=]+/.test(ctx.authorizedKey.trim())) {
    throw usage(`board ${board.id}: authorizedKey is not an OpenSSH public key line`);
  }
  const artefacts = await ensureQemuArtefacts();
  const tools = artefacts.hostTools;
  const p = boardPaths(ctx.stateDir, board.id);
  mkdirSync(p.dir, { recursive: true });
  return withLock(join(p.dir, 'board.lock'), QEMU_TIMEOUTS.boot, async () => {
    const hostKey = await ensureHostKey(p.hostKeyDir, tools);
    const hostKeyLine = knownHostsLine(host, port, hostKey.publicKey);
    const configHash = createHash('sha256')
      .update(JSON.stringify([artefacts.key, defects, ctx.authorizedKey.trim(), host, port, hostKey.publicKey, GUEST_DOCKER_TCP_PORT, ctx.labEndpoint ?? null, rtc ?? null]))
      .digest('hex')
      .slice(0, 16);

    const running = findBoardQemu(board.id, p.pid);
    if (running) {
      const rec = readRecord(p.record);
      if (rec?.configHash === configHash && rec.pid === running && (await healthy(p, host, port))) {
        log.info(`qemu board ${board.id}: already up (pid ${running})`);
        return { hostKeyLine, kernelVersion: rec.kernelVersion, bootMs: rec.bootMs };
      }
      log.info(`qemu board ${board.id}: restarting (configuration changed or not healthy)`);
      await stopProcess(running, `qemu of ${board.id}`, QEMU_TIMEOUTS.stop);
    }
    removeRuntime(p);

    writeFileSync(p.dataDisk, '');
    truncateSync(p.dataDisk, DATA_DISK_BYTES);
    await run('mkfs.f2fs', ['-q', '-f', '-l', 'edgecert-data', p.dataDisk]);
    await writeSeedDisk(p.seedDir, p.seedDisk, {
      hostname: board.id,
      authorizedKey: ctx.authorizedKey,
      hostKeyFile: hostKey.keyFile,
      defects,
      dockerLoopbackTcpPort: GUEST_DOCKER_TCP_PORT,
    });

    const args = qemuArgs({ boardId: board.id, artefacts, dataDisk: p.dataDisk, seedDisk: p.seedDisk, sshHost: host, sshPort: port, labEndpoint: ctx.labEndpoint, rtcBase: rtc });
    const out = openSync(p.serial, 'w');
    const t0 = performance.now();
    // detached: the board outlives the process that brought it up (`lab up`, then runs)
    const child = spawn('qemu-system-aarch64', args, {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, TMPDIR: p.dir }, // snapshot=on puts the root disk's copy-on-write file here
    });
    closeSync(out);
    const pid = child.pid;
    if (!pid) throw infra(`could not start qemu-system-aarch64 for ${board.id}`);
    child.unref();
    writeFileSync(p.pid, `${pid}\n`);
    log.info(`qemu board ${board.id}: started pid ${pid}, ssh on ${host}:${port}`);

    const abort = new AbortController();
    child.on('exit', (code, signal) =>
      abort.abort(infra(`qemu of ${board.id} exited during boot (${code ?? signal})`, { evidence: { 'serial log tail': serialTail(p.serial) } })),
    );
    const elapsed = () => Math.round(performance.now() - t0);
    let sshBannerMs: number | undefined;
    let dockerApiMs: number | undefined;
    try {
      await waitFor(
        `qemu board ${board.id} to boot (ssh banner on ${host}:${port} and the guest's ready line)`,
        QEMU_TIMEOUTS.boot,
        async () => {
          const boot = parseBoot(readSerial(p.serial));
          if (boot.fatal) abort.abort(infra(`qemu board ${board.id}: ${boot.fatal}`, { evidence: { 'serial log tail': serialTail(p.serial) } }));
          if (dockerApiMs === undefined && boot.stages['docker-api'] !== undefined) dockerApiMs = elapsed();
          if (sshBannerMs === undefined && boot.stages.dropbear !== undefined && (await sshBanner(host, port, QEMU_TIMEOUTS.sshProbe))) {
            sshBannerMs = elapsed();
          }
          return { done: !!boot.ready && sshBannerMs !== undefined, state: { stages: boot.stages, lastLine: boot.lastLine } };
        },
        { intervalMs: 250, signal: abort.signal, onTimeout: 'INFRA' },
      );
    } catch (err) {
      if (alive(pid)) await stopProcess(pid, `qemu of ${board.id}`, QEMU_TIMEOUTS.stop).catch(() => undefined);
      const evidence = { ...(err instanceof EdgecertError ? err.evidence : {}), 'serial log tail': serialTail(p.serial) };
      throw infra(`qemu board ${board.id} did not come up (serial log: ${p.serial})`, { cause: err, evidence });
    }
    const bootMs = elapsed();
    const boot = parseBoot(readSerial(p.serial));
    const rec: BoardRecord = {
      configHash,
      pid,
      hostKeyLine,
      kernelVersion: boot.kernel?.release ?? boot.ready!.kernel ?? '',
      kernelBuild: boot.kernel?.build ?? '',
      kernelPackage: artefacts.kernelPackage,
      artefactKey: artefacts.key,
      bootMs,
      timings: { sshBannerMs: sshBannerMs!, dockerApiMs, readyMs: bootMs },
      stages: boot.stages,
      ready: boot.ready!,
      startedAt: new Date(Date.now() - bootMs).toISOString(),
    };
    writeFileSync(p.record, JSON.stringify(rec, null, 2));
    log.info(
      `qemu board ${board.id}: up in ${bootMs} ms (ssh ${sshBannerMs} ms, docker API ${dockerApiMs ?? '-'} ms), ` +
        `kernel ${rec.kernelVersion} (${rec.kernelPackage.name} ${rec.kernelPackage.version}), ${JSON.stringify(rec.ready)}`,
    );
    return { hostKeyLine, kernelVersion: rec.kernelVersion, bootMs };
  });
}

/** Stop the board's qemu and remove its runtime state (disks, logs); the cache and the host key stay. */
export async function qemuBoardDown(board: LabBoard, ctx: { stateDir: string }): Promise<void> {
  const p = boardPaths(ctx.stateDir, board.id);
  if (!existsSync(p.dir)) return;
  await withLock(join(p.dir, 'board.lock'), QEMU_TIMEOUTS.boot, async () => {
    const pid = findBoardQemu(board.id, p.pid);
    if (pid) await stopProcess(pid, `qemu of ${board.id}`, QEMU_TIMEOUTS.stop);
    removeRuntime(p);
  });
  log.info(`qemu board ${board.id}: down`);
}

export async function qemuBoardStatus(board: LabBoard, ctx: { stateDir: string }): Promise<QemuStatus> {
  const p = boardPaths(ctx.stateDir, board.id);
  const pid = findBoardQemu(board.id, p.pid);
  if (!pid) return { running: false };
  const rec = readRecord(p.record);
  return { running: true, pid, kernelVersion: rec?.pid === pid ? rec.kernelVersion : undefined, rssKb: rssKb(pid) };
}
