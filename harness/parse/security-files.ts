// File modes of edgecore's credentials: `stat -L -c '%a %n'` (busybox/toybox/coreutils), or `ls -ldL` where
// stat is missing. Only the permission bits matter: world-readable = the "other" read bit.

export interface FileMode {
  path: string;
  /** permission bits, e.g. 0o644 */
  mode: number;
}

const LS_MODE = /^[-dlcbps]([rwxsStT-]{9})[.+@]?\s+\d+\s+\S+\s+\S+\s+.*?\s(\/\S.*)$/;

function lsBits(s: string): number {
  let bits = 0;
  const on = (i: number, set: string) => set.includes(s[i]!);
  const flags = [on(0, 'r'), on(1, 'w'), on(2, 'xs'), on(3, 'r'), on(4, 'w'), on(5, 'xs'), on(6, 'r'), on(7, 'w'), on(8, 'xt')];
  for (const f of flags) bits = (bits << 1) | (f ? 1 : 0);
  return bits;
}

export function parseFileModes(text: string): { files: FileMode[]; unparsed: string[] } {
  const files: FileMode[] = [];
  const unparsed: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const st = /^([0-7]{3,4}) (\/.*)$/.exec(line.trim());
    const ls = st ? undefined : LS_MODE.exec(line.trim());
    if (st) files.push({ path: st[2]!, mode: parseInt(st[1]!, 8) & 0o777 });
    else if (ls) files.push({ path: ls[2]!, mode: lsBits(ls[1]!) });
    else unparsed.push(line);
  }
  return { files, unparsed };
}

export const worldReadable = (f: FileMode) => (f.mode & 0o004) !== 0;
export const octal = (mode: number) => mode.toString(8).padStart(4, '0');

/** tlsCaFile/tlsCertFile/tlsPrivateKeyFile paths from `grep` lines of edgecore.yaml (no token line ever read). */
export function edgecoreTlsPaths(grepLines: string): string[] {
  const out: string[] = [];
  for (const line of grepLines.split('\n')) {
    const m = /^\s*(?:tlsCaFile|tlsCertFile|tlsPrivateKeyFile):\s*["']?([^"'\s#]+)["']?\s*(?:#.*)?$/.exec(line);
    if (m && m[1]!.startsWith('/')) out.push(m[1]!);
  }
  return out;
}
