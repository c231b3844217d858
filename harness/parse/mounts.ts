// /proc/mounts: which filesystem holds a path, and how cgroup hierarchies are mounted.

export interface MountEntry {
  source: string;
  mountpoint: string;
  fstype: string;
  options: string[];
}

// the kernel escapes space, tab, newline and backslash in /proc/mounts fields as octal
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Lines that do not have the 4+ fields of a mount entry are skipped (and counted). */
export function parseMounts(text: string): { mounts: MountEntry[]; skipped: number } {
  const mounts: MountEntry[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !f[1]!.startsWith('/')) {
      skipped++;
      continue;
    }
    mounts.push({ source: unescape(f[0]!), mountpoint: unescape(f[1]!), fstype: f[2]!, options: f[3]!.split(',') });
  }
  return { mounts, skipped };
}

/** The mount a path lives on: the longest mountpoint prefix; among equal ones the last (it shadows the others). */
export function mountFor(path: string, mounts: readonly MountEntry[]): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    const mp = m.mountpoint;
    const inside = mp === '/' || path === mp || path.startsWith(`${mp}/`);
    if (inside && (!best || mp.length >= best.mountpoint.length)) best = m;
  }
  return best;
}
