// The board is built from Debian's own packages, fetched by apt for a foreign architecture and never installed.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { infra } from '../../harness/core/errors.ts';
import { log } from '../../harness/core/log.ts';
import { run } from './run.ts';

export interface AptPackage {
  name: string;
  version: string;
  arch: string;
  /** every package named in Depends/Pre-Depends, alternatives included */
  depends: string[];
}

const LOCK_OPTS = ['-o', 'DPkg::Lock::Timeout=300'];

/** Extra `-o` items (`Key=Value`) for every apt call: tests point apt at an empty state (Dir::State::Lists=…). */
let aptItems: readonly string[] = [];
export function setAptOptions(items: readonly string[]): void {
  aptItems = items;
}
const aptOptions = (): string[] => aptItems.flatMap((o) => ['-o', o]);
/** Where apt keeps its package lists (honours a Dir::State::Lists override). */
function listsDir(): string {
  const item = aptItems.find((o) => o.startsWith('Dir::State::Lists='));
  return item ? item.slice('Dir::State::Lists='.length) : '/var/lib/apt/lists';
}

/** Parse `apt-cache show` stanzas; unknown names simply produce no stanza. */
export function parseStanzas(text: string): AptPackage[] {
  const out: AptPackage[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let key = '';
    for (const line of block.split('\n')) {
      if (/^\s/.test(line) && key) fields.set(key, `${fields.get(key)} ${line.trim()}`);
      else {
        const m = /^([A-Za-z0-9-]+):\s?(.*)$/.exec(line);
        if (m) fields.set((key = m[1]!), m[2]!);
      }
    }
    const name = fields.get('Package');
    const version = fields.get('Version');
    const arch = fields.get('Architecture');
    if (!name || !version || !arch) continue;
    const rel = [fields.get('Pre-Depends'), fields.get('Depends')].filter(Boolean).join(', ');
    const depends = rel
      .split(/[,|]/)
      .map((d) => d.trim().split(/[\s(:]/)[0]!)
      .filter(Boolean);
    out.push({ name, version, arch, depends: [...new Set(depends)] });
  }
  return out;
}

/** Candidate version and dependencies of each package for `arch` (names apt does not know are left out). */
export async function showPackages(names: readonly string[], arch: string): Promise<Map<string, AptPackage>> {
  const found = new Map<string, AptPackage>();
  if (!names.length) return found;
  // exit 100 "E: No packages found" means none of the names is known (e.g. no lists yet for `arch`): an empty answer
  const text = await run('apt-cache', [...aptOptions(), 'show', '--no-all-versions', ...names.map((n) => `${n}:${arch}`)], {
    acceptExit: (code, stderr) => code === 100 && /^E: No packages found\s*$/m.test(stderr) && !/^E: (?!No packages found)/m.test(stderr),
  });
  for (const p of parseStanzas(text)) if (p.arch === arch) found.set(p.name, p);
  return found;
}

/** Make apt able to fetch `arch` packages: enable the foreign architecture and refresh lists when needed. */
export async function ensureAptArch(arch: string, probePackage: string): Promise<void> {
  const native = (await run('dpkg', ['--print-architecture'])).trim();
  if (arch !== native) {
    const foreign = (await run('dpkg', ['--print-foreign-architectures'])).split('\n').map((s) => s.trim());
    if (!foreign.includes(arch)) {
      log.info(`apt: enabling the ${arch} architecture`);
      await run('dpkg', ['--add-architecture', arch]);
    }
  }
  if ((await showPackages([probePackage], arch)).size) return;
  log.info('apt-get update (package lists lack the board architecture)');
  for (let attempt = 1; ; attempt++) {
    try {
      await run('apt-get', [...LOCK_OPTS, ...aptOptions(), 'update', '-qq'], { timeoutMs: 600_000 });
      break;
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 5000 * attempt));
    }
  }
  if (!(await showPackages([probePackage], arch)).size) {
    throw infra(`apt knows no ${probePackage}:${arch} even after apt-get update; check /etc/apt/sources.list*`);
  }
}

/** The file name `apt-get download` gives a package (the epoch colon is URL-encoded). */
export function debFileName(p: Pick<AptPackage, 'name' | 'version' | 'arch'>): string {
  return `${p.name}_${p.version.replace(/:/g, '%3a')}_${p.arch}.deb`;
}

/** Download the exact versions into `dir` (already present files are kept); returns the .deb paths in order. */
export async function downloadDebs(pkgs: readonly AptPackage[], dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const missing = pkgs.filter((p) => !existsSync(join(dir, debFileName(p))));
  if (missing.length) {
    log.info(`apt-get download ${missing.map((p) => `${p.name}=${p.version}`).join(' ')}`);
    await run('apt-get', [...LOCK_OPTS, ...aptOptions(), 'download', ...missing.map((p) => `${p.name}:${p.arch}=${p.version}`)], { cwd: dir });
  }
  return pkgs.map((p) => {
    const f = join(dir, debFileName(p));
    if (!existsSync(f)) throw infra(`apt-get download did not produce ${f}`);
    return f;
  });
}

/** Resolve a metapackage (e.g. linux-image-arm64) to the one concrete package it depends on whose name has `prefix`. */
export async function resolveMetapackage(meta: string, arch: string, prefix: string): Promise<AptPackage> {
  const m = (await showPackages([meta], arch)).get(meta);
  if (!m) throw infra(`apt knows no ${meta}:${arch}`);
  const target = m.depends.find((d) => d.startsWith(prefix) && d !== meta);
  if (!target) throw infra(`${meta} ${m.version} depends on nothing named ${prefix}*: ${m.depends.join(', ')}`);
  const p = (await showPackages([target], arch)).get(target);
  if (!p) throw infra(`apt knows no ${target}:${arch} (named by ${meta} ${m.version})`);
  return p;
}

/** Files a .deb would unpack, as paths relative to / without the leading "./". */
export async function debFiles(deb: string): Promise<string[]> {
  const text = await run('dpkg-deb', ['-c', deb]);
  return text
    .split('\n')
    .map((l) => /\s\.\/(\S.*?)(?: -> .*)?$/.exec(l)?.[1])
    .filter((s): s is string => !!s);
}
/** Changes whenever apt's package lists or architectures change (apt-get update, dpkg --add-architecture). */
export function aptFingerprint(): string {
  const h = createHash('sha256');
  const lists = listsDir();
  for (const f of existsSync(lists) ? readdirSync(lists).sort() : []) {
    const st = statSync(join(lists, f));
    if (st.isFile()) h.update(`${f}:${st.size}:${st.mtimeMs}\n`);
  }
  if (existsSync('/var/lib/dpkg/arch')) h.update(readFileSync('/var/lib/dpkg/arch'));
  return h.digest('hex').slice(0, 16);
}

