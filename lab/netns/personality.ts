// What makes a netns board look like an Android RK3568, an OpenHarmony board or a plain Linux box from inside:
// the files bind into its root, its property store and its board tools. Defects that are file content live here.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { usage } from '../../harness/core/errors.ts';
import type { LabBoard } from '../spec.ts';
import { defectArg, hasDefect, type DefectSpec } from '../defects.ts';
import { renderEdgecoreYaml } from '../edge/edgecore-yaml.ts';
import { BOARD as EDGE_BOARD, LAB_CONTROL_PLANE } from '../edge/paths.ts';
import { BRIDGE } from './paths.ts';

export interface BoardFile {
  /** path inside the board */
  path: string;
  mode: number;
  content: string | Buffer;
}

export interface Personality {
  files: BoardFile[];
  /** board path of the property store read by getprop / param / adbd */
  propsPath: string;
  /** directory on the board's PATH holding the board tools */
  toolsDir: string;
  tools: string[];
  /** PATH of the board's shells (sshd, adbd and hdcd sessions) */
  path: string;
  selinuxEnforce: boolean;
}

const LINUX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const abi = (arch: LabBoard['arch']) => ({ amd64: 'x86_64', arm64: 'arm64-v8a', armhf: 'armeabi-v7a' })[arch];

function androidProps(board: LabBoard, adbTcp: boolean): string {
  const props: Record<string, string> = {
    'ro.product.model': 'rk3568_r',
    'ro.product.name': 'rk3568_r',
    'ro.product.device': 'rk3568_r',
    'ro.product.brand': 'rockchip',
    'ro.product.manufacturer': 'rockchip',
    'ro.board.platform': 'rk356x',
    'ro.hardware': 'rk30board',
    'ro.product.cpu.abi': abi(board.arch),
    'ro.build.version.release': '11',
    'ro.build.version.sdk': '30',
    'ro.build.type': 'userdebug',
    'ro.build.fingerprint': 'rockchip/rk3568_r/rk3568_r:11/RQ3A.211001.001/edgecert:userdebug/test-keys',
    'ro.crypto.state': 'unencrypted',
    'ro.debuggable': '1',
    'ro.secure': '0',
    'ro.serialno': board.id,
    'ro.edgecert.board': board.id,
  };
  // adbd serves TCP only where the lab reaches the board by adb over TCP, or where a defect says so
  if (adbTcp) props['service.adb.tcp.port'] = '5555';
  return `# ${board.model} — virtual board of the edgecert lab\n${Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
}

function openharmonyParams(board: LabBoard): string {
  const params: Record<string, string> = {
    'const.product.model': 'rk3568',
    'const.product.name': 'rk3568',
    'const.product.brand': 'HiHope',
    'const.product.manufacturer': 'HiHope',
    'const.product.cpu.abilist': abi(board.arch),
    'const.ohos.fullname': 'OpenHarmony-3.2.10.10',
    'const.ohos.apiversion': '9',
    'const.ohos.releasetype': 'Release',
    'const.ohos.version.security_patch': '2023-03-01',
    'const.build.characteristics': 'default',
    'const.debuggable': '1',
    'const.secure': '0',
    'ohos.boot.sn': board.id,
    'persist.hdc.mode': 'tcp',
    'persist.hdc.port': '8710',
    'const.edgecert.board': board.id,
  };
  return `# ${board.model} — virtual board of the edgecert lab\n${Object.entries(params).map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
}

const OS_RELEASE = {
  android: 'NAME="Android"\nID=android\nVERSION_ID=11\nPRETTY_NAME="Android 11 (edgecert virtual RK3568)"\n',
  openharmony: 'NAME="OpenHarmony"\nID=openharmony\nVERSION_ID=3.2\nVERSION="3.2.10.10 Release"\nPRETTY_NAME="OpenHarmony 3.2 Release (edgecert virtual board)"\n',
} as const;

/** Android's cgroups.json (the seeds widen it so that every v1 controller is mounted under /sys/fs/cgroup). */
function cgroupsJson(): string {
  const controllers = ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids'];
  const entries = controllers.map((c) => ({ Controller: c, Path: `/sys/fs/cgroup/${c}`, Mode: '0755', UID: 'system', GID: 'system' }));
  return `${JSON.stringify({ Cgroups: entries }, null, 2)}\n`;
}

function hosts(board: LabBoard, address: string, withLocalhost: boolean): string {
  const lines = [`${address}\t${board.id}`, `${BRIDGE.address}\tlab-host`];
  if (withLocalhost) lines.unshift('127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback');
  return `${lines.join('\n')}\n`;
}

/** An edgecore-style join token (`<64 hex>.<JWT>`), new per board and kept across `down`. */
export function newToken(): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const jwt = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ exp: 4102444800, lab: 'edgecert' })}.${randomBytes(32).toString('base64url')}`;
  return `${randomBytes(32).toString('hex')}.${jwt}`;
}

/** The host kernel's config text: what every netns board exposes unless a defect changes it. */
export function hostKernelConfig(release: string): string {
  if (existsSync('/proc/config.gz')) return gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
  const boot = `/boot/config-${release}`;
  if (existsSync(boot)) return readFileSync(boot, 'utf8');
  throw usage(`kernel_config_without needs the host kernel config: neither /proc/config.gz nor ${boot} exists`);
}

/** The config with these options set to y (a `# CONFIG_X is not set` line or another value is replaced). */
export function withOptions(config: string, options: readonly string[]): string {
  let out = config;
  for (const opt of options) {
    const re = new RegExp(`^(?:${opt}=.*|# ${opt} is not set)$`, 'm');
    out = re.test(out) ? out.replace(re, `${opt}=y`) : `${out.replace(/\n?$/, '\n')}${opt}=y\n`;
  }
  return out;
}

/** The config with these options turned into `# CONFIG_X is not set` (y and m both count as set). */
export function withoutOptions(config: string, options: readonly string[]): string {
  let out = config;
  for (const opt of options) {
    const re = new RegExp(`^${opt}=.*$`, 'm');
    out = re.test(out) ? out.replace(re, `# ${opt} is not set`) : `${out.replace(/\n?$/, '\n')}# ${opt} is not set\n`;
  }
  return out;
}

/** Where edged keeps its pods: on docker's data-root filesystem, unless a defect moves one or the other (also used by edge/index.ts). */
export function edgedRootDirectory(defects: readonly { name: string }[]): string {
  const has = (n: DefectSpec['name']) => defects.some((d) => d.name === n);
  // KubeEdge v1alpha1's default, on the board's root filesystem (seed 002 problem 6)
  if (has('edged_root_other_fs')) return '/var/lib/edged';
  if (has('data_root_fscrypt')) return `${FSCRYPT_DATA.mount}/edged`;
  return EDGE_BOARD.rootDirectory;
}

/** data_root_fscrypt: the loop ext4 is /data (as Android's file-encrypted userdata) and docker's data-root a policy dir in it. */
export const FSCRYPT_DATA = { mount: '/data', dataRoot: '/data/docker' } as const;

/** The edgecore.yaml every netns board carries (the edge stand-ins rewrite it with the control plane's token). */
function edgecoreYaml(board: LabBoard, defects: DefectSpec[], token: string, sandboxImage: string): string {
  return renderEdgecoreYaml({
    nodeName: board.cloud?.nodeName ?? board.id,
    server: `https://${LAB_CONTROL_PLANE.host}:${LAB_CONTROL_PLANE.port}`,
    token,
    sandboxImage,
    overrides: { 'modules.edged.rootDirectory': edgedRootDirectory(defects) },
  });
}

/** The kernel config the board exposes, when a defect changes the host's (undefined: the host's own /proc/config.gz). */
function kernelConfigFile(defects: DefectSpec[], kernelRelease: string): Buffer | undefined {
  const without = defectArg<string[]>(defects, 'kernel_config_without');
  const withOpts = defectArg<string[]>(defects, 'kernel_config_with');
  if (!without && !withOpts) return undefined;
  return gzipSync(withOptions(withoutOptions(hostKernelConfig(kernelRelease), without ?? []), withOpts ?? []));
}

export function renderPersonality(board: LabBoard, address: string, defects: DefectSpec[], token: string, kernelRelease: string, sandboxImage = 'edgecert/busybox:lab'): Personality {
  const resolv = hasDefect(defects, 'no_nameserver') ? '# no nameserver: Android resolves through netd and ships no resolv.conf (edgecert defect no_nameserver)\n' : `nameserver ${BRIDGE.address}\n`;
  const files: BoardFile[] = [
    { path: '/etc/hosts', mode: 0o644, content: hosts(board, address, !hasDefect(defects, 'no_localhost_in_hosts')) },
    { path: '/etc/hostname', mode: 0o644, content: `${board.id}\n` },
    { path: '/etc/resolv.conf', mode: 0o644, content: resolv },
    { path: '/etc/kubeedge/token', mode: hasDefect(defects, 'token_world_readable') ? 0o644 : 0o600, content: `${token}\n` },
    // it holds the token inline (modules.edgeHub.token), so 0600 like the token itself
    { path: EDGE_BOARD.config, mode: 0o600, content: edgecoreYaml(board, defects, token, sandboxImage) },
  ];
  const config = kernelConfigFile(defects, kernelRelease);
  // the board's mount namespace binds this over /proc/config.gz
  if (config) files.push({ path: '/.edgecert/kernel-config.gz', mode: 0o444, content: config });
  const release = defectArg<string>(defects, 'old_kernel_release');
  // bound over /proc/sys/kernel/osrelease; the uname wrapper answers the same
  if (release) files.push({ path: '/.edgecert/osrelease', mode: 0o444, content: `${release}\n` });
  const selinuxEnforce = !hasDefect(defects, 'selinux_permissive');
  const common = ['getenforce', 'setenforce', 'reboot'];
  switch (board.os) {
    case 'android':
      files.push(
        { path: '/etc/os-release', mode: 0o644, content: OS_RELEASE.android },
        { path: '/etc/cgroups.json', mode: 0o644, content: cgroupsJson() },
        { path: '/system/build.prop', mode: 0o644, content: androidProps(board, board.transport.type === 'adb' || hasDefect(defects, 'adbd_tcp_open')) },
        { path: '/data/local/tmp/.keep', mode: 0o644, content: '' },
      );
      return { files, propsPath: '/system/build.prop', toolsDir: '/system/bin', tools: ['getprop', ...common], path: `/system/bin:/system/xbin:${LINUX_PATH}`, selinuxEnforce };
    case 'openharmony':
      files.push(
        { path: '/etc/os-release', mode: 0o644, content: OS_RELEASE.openharmony },
        { path: '/etc/cgroups.json', mode: 0o644, content: cgroupsJson() },
        { path: '/system/etc/param/ohos.para', mode: 0o644, content: openharmonyParams(board) },
        { path: '/data/local/tmp/.keep', mode: 0o644, content: '' },
      );
      return { files, propsPath: '/system/etc/param/ohos.para', toolsDir: '/system/bin', tools: ['param', ...common], path: `/system/bin:${LINUX_PATH}`, selinuxEnforce };
    case 'linux':
      return { files, propsPath: '', toolsDir: '/usr/local/sbin', tools: common, path: LINUX_PATH, selinuxEnforce };
  }
}
