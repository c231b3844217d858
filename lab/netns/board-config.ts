// Renders everything the board init (lab/scripts/board-init.sh) reads: board.env, the personality
// files, sshd_config. Its fingerprint tells a warm `lab up` whether the running board still matches the inventory.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { usage } from '../../harness/core/errors.ts';
import { shQuote } from '../../harness/core/quote.ts';
import type { LabBoard } from '../spec.ts';
import type { DefectSpec } from '../defects.ts';
import { BRIDGE, REPO_DIR, boardPaths, cgroupName, dockerBip } from './paths.ts';
import { FSCRYPT_DATA, edgedRootDirectory, newToken, renderPersonality } from './personality.ts';

export type AccessKind = 'ssh' | 'adb' | 'hdc' | 'none';

export interface BoardAccess {
  kind: AccessKind;
  port: number;
}

export interface LabImage {
  tarball: string;
  ref: string;
}

/** How the lab reaches a netns board, from its transport; the transport must point at the board's address. */
export function boardAccess(board: LabBoard, address: string): BoardAccess {
  const t = board.transport;
  const hostPort = (s: string, what: string): number => {
    const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(s);
    if (!m || m[1] !== address) throw usage(`board ${board.id}: ${what} ${s} must be ${address}:PORT (provision.address)`);
    return Number(m[2]);
  };
  switch (t.type) {
    case 'ssh':
      if (t.host !== address) throw usage(`board ${board.id}: transport.host ${t.host} must be the board's provision.address ${address}`);
      return { kind: 'ssh', port: t.port };
    case 'adb':
      return { kind: 'adb', port: hostPort(t.serial, 'transport.serial') };
    case 'hdc':
      return { kind: 'hdc', port: hostPort(t.connectKey, 'transport.connectKey') };
    case 'local':
      return { kind: 'none', port: 0 };
  }
}

/** A netns board's address: on the lab bridge's /24, never the bridge itself. */
export function boardAddress(board: LabBoard): string {
  const a = board.virtual?.address;
  if (!a) throw usage(`board ${board.id}: a netns board needs provision.address (an address in ${BRIDGE.subnet})`);
  const last = Number(a.split('.')[3]);
  if (!a.startsWith('10.77.0.') || !(last >= 2 && last <= 254)) {
    throw usage(`board ${board.id}: provision.address ${a} must be in ${BRIDGE.subnet}, from .2 to .254`);
  }
  return a;
}

function sshdConfig(board: LabBoard, address: string, port: number, path: string, p: ReturnType<typeof boardPaths>): string {
  return [
    `# sshd of the virtual board ${board.id}; written by lab/netns/board-config.ts`,
    `ListenAddress ${address}:${port}`,
    `HostKey ${p.hostKey}`,
    `AuthorizedKeysFile ${p.authorizedKeys}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'AllowTcpForwarding yes',
    'AllowStreamLocalForwarding yes',
    'StreamLocalBindUnlink yes',
    'PidFile /run/sshd.pid',
    'PrintMotd no',
    'UseDNS no',
    'Subsystem sftp internal-sftp',
    // the board tools (getprop, param, reboot ...) must be found by session shells
    `SetEnv PATH=${path}`,
    '',
  ].join('\n');
}

export interface RenderedBoard {
  address: string;
  access: BoardAccess;
  fingerprint: string;
}

/** Write the board's config into its state dir (keys and token are created once and kept). */
export function renderBoardConfig(board: LabBoard, defects: DefectSpec[], image: LabImage, authorizedKey: string | undefined, stateDir: string): RenderedBoard {
  const address = boardAddress(board);
  const access = boardAccess(board, address);
  const p = boardPaths(stateDir, board.id);
  mkdirSync(p.dir, { recursive: true, mode: 0o755 });
  chmodSync(p.dir, 0o755);

  if (!existsSync(p.token)) writeFileSync(p.token, newToken(), { mode: 0o600 });
  const token = readFileSync(p.token, 'utf8').trim();
  const persona = renderPersonality(board, address, defects, token, release(), image.ref);

  rmSync(p.personality, { recursive: true, force: true });
  mkdirSync(p.personality, { recursive: true });
  const list: string[] = [];
  persona.files.forEach((f, i) => {
    const src = `f${i}`;
    writeFileSync(join(p.personality, src), f.content, { mode: 0o600 });
    list.push(`${f.mode.toString(8).padStart(4, '0')} ${f.path} ${src}`);
  });
  writeFileSync(join(p.personality, 'files.list'), `${list.join('\n')}\n`);

  const names = defects.map((d) => d.name);
  const words = (name: string) => ((defects.find((d) => d.name === name)?.arg as string[] | undefined) ?? []).join(' ');
  const fscrypt = names.includes('data_root_fscrypt');
  const env: Record<string, string> = {
    EC_BOARD_ID: board.id,
    EC_OS: board.os,
    EC_ADDRESS: address,
    EC_STATE: p.dir,
    EC_REPO: REPO_DIR,
    EC_NODE: process.execPath,
    EC_ACCESS: access.kind,
    EC_ACCESS_PORT: String(access.port),
    EC_BIP: dockerBip(address),
    EC_CGROUP: cgroupName(board.id),
    EC_IMAGE_TARBALL: image.tarball,
    EC_IMAGE_REF: image.ref,
    EC_TOOLS_DIR: persona.toolsDir,
    EC_TOOLS: persona.tools.join(' '),
    EC_PATH: persona.path,
    EC_PROPS_PATH: persona.propsPath,
    EC_SELINUX_ENFORCE: persona.selinuxEnforce ? '1' : '0',
    EC_DEFECTS: names.join(' '),
    EC_TOOL_MISSING: words('tool_missing'),
    EC_GARBAGE_OUTPUT: words('garbage_output'),
    EC_STORAGE_DRIVER: String(defects.find((d) => d.name === 'dockerd_storage_driver')?.arg ?? 'overlay2'),
    EC_CGROUP_UNMOUNT: names.includes('cgroups_unmounted') ? 'all' : words('cgroup_controller_unmounted'),
    EC_NS_LIMIT_ZERO: words('namespace_limit_zero'),
    // where the loop ext4 is mounted, and docker's data-root in it
    EC_DATA_MOUNT: fscrypt ? FSCRYPT_DATA.mount : '/var/lib/docker',
    EC_DATA_ROOT: fscrypt ? FSCRYPT_DATA.dataRoot : '/var/lib/docker',
    EC_EDGED_ROOT: edgedRootDirectory(defects),
  };
  const envText = `# written by lab/netns/board-config.ts for lab/scripts/board-init.sh\n${Object.entries(env)
    .map(([k, v]) => `${k}=${shQuote(v)}`)
    .join('\n')}\n`;
  writeFileSync(p.env, envText);
  if (access.kind === 'ssh') {
    writeFileSync(p.sshdConfig, sshdConfig(board, address, access.port, persona.path, p));
    if (authorizedKey) writeFileSync(p.authorizedKeys, `${authorizedKey.trim()}\n`, { mode: 0o600 });
  }

  const h = createHash('sha256').update(envText);
  for (const f of persona.files) h.update(f.path).update(String(f.mode)).update(f.content);
  if (access.kind === 'ssh') h.update(readFileSync(p.sshdConfig));
  return { address, access, fingerprint: h.digest('hex').slice(0, 16) };
}
