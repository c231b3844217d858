// What the running kernel offers a container runtime: namespaces (listed, not capped to zero) and mountable filesystems.
import { mark, parseSections, sectionScript } from '../board/sections.ts';

/** Prints the namespace links of the shell's child and the per-user namespace limits, one section each. */
export const NAMESPACES_COMMAND = sectionScript(
  [`${mark('ns')}; ls /proc/self/ns`, `${mark('max')}; for f in /proc/sys/user/max_*_namespaces; do [ -r "$f" ] && echo "\${f##*/} $(cat "$f")"; done`],
  '; ',
);

export interface NamespaceReport {
  present: Set<string>;
  /** user.max_<ns>_namespaces values, by namespace name */
  limits: Map<string, number>;
  complete: boolean;
}

export function parseNamespaces(stdout: string): NamespaceReport {
  const present = new Set<string>();
  const limits = new Map<string, number>();
  const sec = parseSections(stdout);
  // `ls` may print several names per line when its output is a terminal; words are names
  for (const w of (sec.text('ns') ?? '').split(/\s+/)) if (/^[a-z_]+$/.test(w)) present.add(w);
  for (const line of sec.lines('max') ?? []) {
    const m = /^max_([a-z]+)_namespaces (\d+)$/.exec(line.trim());
    if (m) limits.set(m[1]!, Number(m[2]));
  }
  return { present, limits, complete: sec.complete };
}

/** Required namespaces that are absent, and those whose creation is capped to 0. */
export function judgeNamespaces(r: NamespaceReport, required: readonly string[]): { missing: string[]; capped: string[] } {
  return {
    missing: required.filter((n) => !r.present.has(n)),
    capped: required.filter((n) => r.limits.get(n) === 0),
  };
}

// ---- filesystems the running kernel can mount now (built in, or its module loaded)

/** /proc/filesystems: `nodev\toverlay`, `\text4`; the last word of each line is the name. */
export function parseProcFilesystems(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/).at(-1);
    if (w && /^[a-z0-9_.]+$/.test(w) && w !== 'nodev') out.add(w);
  }
  return out;
}
