// Docker's data-root as the board sees it: filesystem, encryption flag, overlay whiteouts, free space, edged's root.
import { mark, parseSections, sectionScript } from '../board/sections.ts';
import { parseDocument } from 'yaml';
import { shQuote } from '../core/quote.ts';

// ---- docker info

/** DriverStatus pairs ([["Backing Filesystem","extfs"],["Supports d_type","true"],...]) as a map. */
export function driverStatus(raw: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(raw)) return out;
  for (const pair of raw) if (Array.isArray(pair) && typeof pair[0] === 'string') out.set(pair[0], String(pair[1] ?? ''));
  return out;
}

/** docker's backing-filesystem names (graphdriver FsNames) for the names /proc/mounts uses. */
const DOCKER_FS_NAMES: Record<string, string[]> = { extfs: ['ext2', 'ext3', 'ext4'] };

export function sameFsName(dockerName: string, mountsName: string): boolean {
  return dockerName === mountsName || (DOCKER_FS_NAMES[dockerName] ?? []).includes(mountsName);
}

// ---- filesystem type by statfs magic (stat -f -c %t), a cross-check of /proc/mounts

const FS_MAGIC: Record<string, string> = {
  ef53: 'ext4',
  f2f52010: 'f2fs',
  '58465342': 'xfs',
  '9123683e': 'btrfs',
  '1021994': 'tmpfs',
  '794c7630': 'overlay',
  f15f: 'ecryptfs',
  '6969': 'nfs',
  '2fc12fc1': 'zfs',
  '61756673': 'aufs',
  '858458f6': 'ramfs',
  '65735546': 'fuse',
};

/** `stat -f -c %t` prints the magic in hex without 0x; ext2/3/4 share one magic, reported as ext4. */
export function fsNameFromMagic(hex: string): string | undefined {
  return FS_MAGIC[hex.trim().toLowerCase().replace(/^0x/, '').replace(/^0+(?=.)/, '')];
}

/** ext2/3/4 cannot be told apart by magic: they count as one. */
export function sameFsFamily(a: string, b: string): boolean {
  const norm = (x: string) => (/^ext[234]$/.test(x) ? 'ext' : x);
  return norm(a) === norm(b);
}

// ---- the data-root's location on the board

/** Resolves symlinks on the board (data-root may be a link into /data), then prints statfs magic and device. */
export function locateCommand(path: string): string {
  const p = shQuote(path);
  return sectionScript([`cd ${p} 2>/dev/null && ${mark('real', '$(pwd -P)')}`, mark('magic', `$(stat -f -c %t ${p} 2>/dev/null)`), `${mark('mounts')}; cat /proc/mounts`], '; ');
}

export interface Located {
  real?: string;
  magic?: string;
  mountsText: string;
  complete: boolean;
}

export function parseLocate(stdout: string): Located {
  const sec = parseSections(stdout);
  const arg = (name: string) => sec.list.find((s) => s.name === name)?.args.join(' ');
  const real = arg('real');
  const magic = arg('magic');
  const mountsText = sec.text('mounts');
  return {
    real: real?.startsWith('/') ? real : undefined,
    magic: magic && /^[0-9a-fA-F]+$/.test(magic) ? magic : undefined,
    mountsText: mountsText ?? '',
    complete: sec.complete && mountsText !== undefined,
  };
}

// ---- encryption

/** `lsattr -d DIR` -> its flag string; FS_ENCRYPT_FL (0x800) shows as `E` in e2fsprogs, busybox and toybox. */
export function parseLsattrDir(stdout: string, dir: string): { flags: string } | undefined {
  for (const line of stdout.split('\n')) {
    const m = /^([-A-Za-z]+)\s+(\/.*)$/.exec(line.trim());
    if (m && (m[2] === dir || m[2]!.replace(/\/+$/, '') === dir.replace(/\/+$/, ''))) return { flags: m[1]! };
  }
  return undefined;
}

export const encryptedFlag = (flags: string) => flags.includes('E');

/** Android/OpenHarmony: ro.crypto.state=encrypted with ro.crypto.type=file means file-based encryption (fscrypt) of /data. */
export function fileBasedEncryption(props: Record<string, string>): boolean {
  return props['ro.crypto.state'] === 'encrypted' && (props['ro.crypto.type'] ?? 'file') === 'file';
}

// ---- a real overlay mount with a whiteout

/** Directories of one probe under the data-root; names say who left them if a cleanup ever fails. */
export function overlayProbePaths(dataRoot: string, token: string) {
  const base = `${dataRoot.replace(/\/+$/, '')}/edgecert-overlay-probe-${token}`;
  return { base, lower: `${base}/lower`, upper: `${base}/upper`, work: `${base}/work`, merged: `${base}/merged` };
}

/**
 * mkdir lower/upper/work/merged, a file in lower, mount overlay, delete the file through merged, then describe what
 * upper holds in its place (a whiteout is a 0:0 character device). Cleanup is a separate command.
 */
export function overlayProbeScript(p: ReturnType<typeof overlayProbePaths>): string {
  const q = (s: string) => shQuote(s);
  return [
    `mkdir -p ${q(p.lower)} ${q(p.upper)} ${q(p.work)} ${q(p.merged)} || { echo "@@step mkdir failed"; exit 0; }`,
    `echo edgecert >${q(`${p.lower}/gone`)} || { echo "@@step write failed"; exit 0; }`,
    `mount -t overlay overlay -o lowerdir=${q(p.lower)},upperdir=${q(p.upper)},workdir=${q(p.work)} ${q(p.merged)} 2>&1 || { echo "@@step mount failed"; exit 0; }`,
    'echo "@@step mounted"',
    `[ -e ${q(`${p.merged}/gone`)} ] || { echo "@@step lower file not visible through merged"; exit 0; }`,
    `rm ${q(`${p.merged}/gone`)} 2>&1 || { echo "@@step delete failed"; exit 0; }`,
    `[ -e ${q(`${p.merged}/gone`)} ] && echo "@@step file still visible after delete"`,
    'echo "@@step deleted"',
    `echo "@@stat $(stat -c '%F|%t|%T' ${q(`${p.upper}/gone`)} 2>&1)"`,
    `echo "@@ls $(ls -ln ${q(`${p.upper}/gone`)} 2>&1)"`,
    'echo "@@end"',
  ].join('\n');
}

export function overlayCleanupCommand(p: ReturnType<typeof overlayProbePaths>): string {
  return `umount ${shQuote(p.merged)} 2>/dev/null; umount -l ${shQuote(p.merged)} 2>/dev/null; rm -rf ${shQuote(p.base)}; [ ! -e ${shQuote(p.base)} ]`;
}

export interface WhiteoutResult {
  steps: string[];
  /** the entry upper holds for the deleted file */
  kind?: 'whiteout' | 'other' | 'absent';
  detail: string;
  complete: boolean;
}

/** Reads `stat -c '%F|%t|%T'` (type|major hex|minor hex), else `ls -ln` (`c--------- 1 0 0 0, 0 ...`). */
export function parseOverlayProbe(stdout: string): WhiteoutResult {
  const steps = [...stdout.matchAll(/^@@step (.+)$/gm)].map((m) => m[1]!.trim());
  const stat = /^@@stat (.*)$/m.exec(stdout)?.[1]?.trim() ?? '';
  const ls = /^@@ls (.*)$/m.exec(stdout)?.[1]?.trim() ?? '';
  const complete = /(^|\n)@@end\s*$/.test(stdout);
  let kind: WhiteoutResult['kind'];
  let detail = '';
  const s = /^([^|]+)\|([0-9a-fA-F]+)\|([0-9a-fA-F]+)$/.exec(stat);
  if (s) {
    const isChar = /character special/i.test(s[1]!);
    kind = isChar && parseInt(s[2]!, 16) === 0 && parseInt(s[3]!, 16) === 0 ? 'whiteout' : 'other';
    detail = `stat: ${stat}`;
  } else {
    const l = /^([-a-zA-Z])\S*\s+\d+\s+\S+\s+\S+\s+(\d+),\s*(\d+)\s/.exec(ls);
    if (l) {
      kind = l[1] === 'c' && l[2] === '0' && l[3] === '0' ? 'whiteout' : 'other';
      detail = `ls: ${ls}`;
    } else if (/no such file/i.test(stat) || /no such file/i.test(ls)) {
      kind = 'absent';
      detail = `stat: ${stat}`;
    } else if (ls || stat) {
      kind = 'other';
      detail = `stat: ${stat}; ls: ${ls}`;
    }
  }
  return { steps, kind, detail, complete };
}

// ---- free space (keadm debug check disk)

export interface DfEntry {
  totalKb: number;
  usedKb: number;
  availKb: number;
  mountpoint: string;
}

/** `df -Pk PATH`: POSIX format, one line per filesystem after the header. */
export function parseDfPk(stdout: string): DfEntry | undefined {
  const lines = stdout.split('\n').filter((l) => l.trim() && !/^Filesystem\s/i.test(l.trim()));
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    // source may contain spaces in odd setups: take the numbers from the right end
    if (f.length < 6) continue;
    const mountpoint = f.slice(5).join(' ');
    const [total, used, avail] = [f[1], f[2], f[3]].map((x) => Number(x));
    if ([total, used, avail].every((n) => Number.isFinite(n) && n! >= 0) && mountpoint.startsWith('/')) return { totalKb: total!, usedKb: used!, availKb: avail!, mountpoint };
  }
  return undefined;
}

/** `stat -f -c '%S %b %f %a'`: block size, blocks, free blocks, available blocks (the fallback when df is unusable). */
export function parseStatfs(stdout: string): DfEntry | undefined {
  const m = /^(\d+) (\d+) (\d+) (\d+)\s*$/m.exec(stdout);
  if (!m) return undefined;
  const [bs, blocks, free, avail] = m.slice(1).map(Number) as [number, number, number, number];
  if (!bs) return undefined;
  const kb = (n: number) => Math.floor((n * bs) / 1024);
  return { totalKb: kb(blocks), usedKb: kb(blocks - free), availKb: kb(avail), mountpoint: '' };
}

/** df's Use%: used / (used + available), rounded up as df does. */
export function usedPercent(e: DfEntry): number {
  const denom = e.usedKb + e.availKb;
  return denom ? Math.ceil((e.usedKb * 100) / denom) : 100;
}

// ---- edged's root directory (seed 002 problem 6)

export interface EdgedRoot {
  root: string;
  source: string;
}

/**
 * edgecore.yaml: v1alpha2 (KubeEdge >= 1.12) keeps it at modules.edged.tailoredKubeletFlag.rootDirectory, default
 * /var/lib/kubelet; v1alpha1 at modules.edged.rootDirectory, default /var/lib/edged (what seed 002 patched in edged.go).
 */
export function edgedRootFromConfig(text: string): EdgedRoot | { error: string } {
  let js: unknown;
  try {
    const doc = parseDocument(text);
    if (doc.errors.length) return { error: `not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}` };
    js = doc.toJS();
  } catch (err) {
    // toJS refuses alias bombs and similar: the board's file is unusable either way
    return { error: `not usable YAML: ${(err as Error).message.split('\n')[0]}` };
  }
  if (!js || typeof js !== 'object') return { error: 'not a YAML mapping' };
  const cfg = js as { apiVersion?: unknown; modules?: { edged?: { rootDirectory?: unknown; tailoredKubeletFlag?: { rootDirectory?: unknown } } } };
  const api = typeof cfg.apiVersion === 'string' ? cfg.apiVersion : '';
  const edged = cfg.modules?.edged;
  const v2 = edged?.tailoredKubeletFlag?.rootDirectory;
  if (typeof v2 === 'string' && v2) return { root: v2, source: 'edgecore.yaml modules.edged.tailoredKubeletFlag.rootDirectory' };
  const v1 = edged?.rootDirectory;
  if (typeof v1 === 'string' && v1) return { root: v1, source: 'edgecore.yaml modules.edged.rootDirectory' };
  if (api.endsWith('/v1alpha2')) return { root: '/var/lib/kubelet', source: `KubeEdge default for ${api} (field unset)` };
  return { root: '/var/lib/edged', source: `KubeEdge default for ${api || 'a v1alpha1 config'} (field unset)` };
}

/** The device of a path, or of its nearest existing ancestor (where edged would create it). */
export function deviceOfCommand(path: string): string {
  return `p=${shQuote(path)}; while [ ! -e "$p" ] && [ "$p" != / ]; do p=$(dirname "$p"); done; echo "@@dev $(stat -c %d "$p" 2>/dev/null) $p"`;
}

export function parseDevice(stdout: string): { dev: string; path: string } | undefined {
  const m = /^@@dev (\d+) (\/.*)$/m.exec(stdout);
  return m ? { dev: m[1]!, path: m[2]!.trim() } : undefined;
}
