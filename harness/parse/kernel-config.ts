// Kernel build configuration: reading it on a board, parsing it, and judging it against a profile's option sets.
import { shQuote } from '../core/quote.ts';

/** A parsed kernel .config: option -> raw value ("y", "m", "\"str\"", "32"); `# CONFIG_X is not set` is "n". */
export interface KernelConfig {
  options: Map<string, string>;
  /** lines that are neither an option, a comment nor blank: a sign of garbage or truncation */
  badLines: string[];
  /** bytes no text config contains (NUL, DEL, raw high bytes...) were seen */
  binary: boolean;
}

const SET = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/;
const UNSET = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/;
// control bytes, NUL and invalid UTF-8 (U+FFFD after decoding) never appear in a Kconfig-written file
const NON_TEXT = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]/;

export function parseKernelConfig(text: string): KernelConfig {
  const options = new Map<string, string>();
  const badLines: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) continue;
    const set = SET.exec(line);
    if (set) {
      options.set(set[1]!, set[2]!);
      continue;
    }
    const unset = UNSET.exec(line);
    if (unset) {
      options.set(unset[1]!, 'n');
      continue;
    }
    if (line.startsWith('#')) continue;
    badLines.push(line.slice(0, 200));
  }
  return { options, badLines, binary: NON_TEXT.test(text) };
}

/** y and m both count (moby check-config.sh is_set: `CONFIG_X=[y|m]`). */
export function isEnabled(cfg: KernelConfig, option: string): boolean {
  const v = cfg.options.get(option);
  return v === 'y' || v === 'm';
}

/** Why this text is not a usable kernel config (garbage, truncated, empty), or undefined when it is one. */
export function configProblem(cfg: KernelConfig): string | undefined {
  if (cfg.binary) return 'the output contains binary bytes (garbage from the reader)';
  if (cfg.badLines.length) return `${cfg.badLines.length} line(s) are not kernel config syntax, e.g. ${JSON.stringify(cfg.badLines[0])}`;
  const set = [...cfg.options.values()].filter((v) => v !== 'n').length;
  // every real config sets hundreds of options; a handful means a truncated or placeholder file
  if (set < MIN_SET_OPTIONS) return `only ${set} option(s) are set (a real kernel config sets hundreds): empty or truncated`;
  return undefined;
}
export const MIN_SET_OPTIONS = 100;

/** Readers for a gzip'd config, in order: the board may lack zcat (seed 002 copies busybox in by hand). */
export const GZIP_READERS = ['zcat', 'gzip -dc', 'busybox zcat', 'busybox gzip -dc', 'toybox zcat'] as const;

/**
 * One board command that prints the config through `reader` and then a status line; `command -v` of the reader's
 * first word decides "missing" without running it.
 */
export function readConfigCommand(path: string, reader: string | null): string {
  const p = shQuote(path);
  // the blank echo keeps the status on its own line when the reader's output lacks a final newline
  if (reader === null) return `cat ${p}; s=$?; echo; echo "@@status $s"`;
  const bin = reader.split(' ')[0]!;
  return `if command -v ${bin} >/dev/null 2>&1; then ${reader} ${p}; s=$?; echo; echo "@@status $s"; else echo "@@missing ${bin}"; fi`;
}

export interface ReaderOutput {
  missing: boolean;
  status: number | null;
  text: string;
}

/** Split the reader's output from the status line the command appends. */
export function parseReaderOutput(stdout: string): ReaderOutput {
  if (/^@@missing \S+\s*$/m.test(stdout) && !stdout.includes('@@status')) return { missing: true, status: null, text: '' };
  const m = /(?:^|\n)@@status (\d+)\s*$/.exec(stdout);
  if (!m) return { missing: false, status: null, text: stdout };
  return { missing: false, status: Number(m[1]), text: stdout.slice(0, m.index) };
}

export const isGzipPath = (path: string) => path.endsWith('.gz');

// ---- kernel versions

export interface KernelVersion {
  major: number;
  minor: number;
  patch: number;
}

/** `uname -r` (6.18.44-fc-v657, 5.10.79, 4.19.232-rockchip) -> its numbers; undefined when it has none. */
export function parseKernelRelease(release: string): KernelVersion | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}

/** "5.10" -> {5, 10, 0} */
export function parseMajorMinor(v: string): KernelVersion {
  const [major = 0, minor = 0] = v.split('.').map(Number);
  return { major, minor, patch: 0 };
}

export function compareVersions(a: KernelVersion, b: KernelVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export const formatVersion = (v: KernelVersion) => `${v.major}.${v.minor}.${v.patch}`;

// ---- judging option sets

export interface OptionWaiver {
  option?: string;
  reason: string;
}

export interface RequiredVerdict {
  /** options the profile requires here (after version conditions), minus the waived ones */
  checked: string[];
  missing: string[];
  waived: { option: string; reason: string; present: boolean }[];
}

/** Required options, plus those required only below a kernel version; waived options are reported, not required. */
export function judgeRequired(
  cfg: KernelConfig,
  required: readonly string[],
  requiredBefore: readonly { below: string; options: readonly string[] }[],
  version: KernelVersion | undefined,
  waivers: readonly OptionWaiver[],
): RequiredVerdict {
  const wanted = new Set(required);
  for (const r of requiredBefore) {
    // an unknown version keeps the older-kernel options: better a FAIL with evidence than a silent pass
    if (!version || compareVersions(version, parseMajorMinor(r.below)) < 0) for (const o of r.options) wanted.add(o);
  }
  const waived: RequiredVerdict['waived'] = [];
  const checked: string[] = [];
  for (const o of wanted) {
    const w = waivers.find((x) => x.option === o);
    if (w) waived.push({ option: o, reason: w.reason, present: isEnabled(cfg, o) });
    else checked.push(o);
  }
  return { checked, missing: checked.filter((o) => !isEnabled(cfg, o)), waived };
}

/** Each group is satisfied by any one of its options (k8s system-validators Aliases). */
export function judgeAnyOf(cfg: KernelConfig, groups: readonly (readonly string[])[], waivers: readonly OptionWaiver[]): { unsatisfied: string[][]; waived: string[][] } {
  const unsatisfied: string[][] = [];
  const waived: string[][] = [];
  for (const g of groups) {
    if (g.some((o) => isEnabled(cfg, o))) continue;
    if (g.some((o) => waivers.some((w) => w.option === o))) waived.push([...g]);
    else unsatisfied.push([...g]);
  }
  return { unsatisfied, waived };
}

export function judgeForbidden(cfg: KernelConfig, forbidden: readonly string[], waivers: readonly OptionWaiver[]): { present: string[]; waived: string[] } {
  const on = forbidden.filter((o) => isEnabled(cfg, o));
  return { present: on.filter((o) => !waivers.some((w) => w.option === o)), waived: on.filter((o) => waivers.some((w) => w.option === o)) };
}

/** `CONFIG_X=m` -> "CONFIG_X=m"; absent -> "CONFIG_X (absent)": evidence lines for a report. */
export function describeOptions(cfg: KernelConfig, options: readonly string[]): string {
  return options.map((o) => (cfg.options.has(o) ? `${o}=${cfg.options.get(o)}` : `${o} (absent)`)).join('\n');
}
