// The board's ssh host key is made on the host with Debian's dropbearkey, so the harness knows it before first boot.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { infra } from '../../harness/core/errors.ts';
import { aptFingerprint, showPackages } from './apt.ts';
import { resolveElfClosure, isFile } from './elf-closure.ts';
import { CACHE_DIR, cachePaths } from './paths.ts';
import { HOST_TOOL_SEEDS } from './recipe.ts';
import { run } from './run.ts';

export interface HostTools {
  dropbearkey: string;
  env: Record<string, string>;
  version: string;
}

const HOST_LIB_DIRS = ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu'];

/** dropbear-bin for the host's architecture, unpacked (never installed) into the cache, with its missing libraries. */
export async function ensureHostTools(): Promise<HostTools> {
  const tools = (dir: string, version: string): HostTools => ({
    dropbearkey: join(dir, 'tree/usr/bin/dropbearkey'),
    env: { LD_LIBRARY_PATH: HOST_LIB_DIRS.map((d) => join(dir, 'tree', d)).join(':') },
    version,
  });
  // unchanged apt lists since the last unpack: the same version would be chosen, skip asking apt
  const fingerprint = aptFingerprint();
  const stampOf = (dir: string) => join(dir, 'apt-fingerprint');
  for (const e of existsSync(CACHE_DIR) ? readdirSync(CACHE_DIR) : []) {
    const dir = join(CACHE_DIR, e);
    if (e.startsWith('host-dropbear-') && !e.includes('.tmp') && existsSync(stampOf(dir))) {
      if (readFileSync(stampOf(dir), 'utf8') === fingerprint) return tools(dir, e.split('-').slice(3).join('-'));
    }
  }
  const arch = (await run('dpkg', ['--print-architecture'])).trim();
  const pkg = (await showPackages(HOST_TOOL_SEEDS, arch)).get(HOST_TOOL_SEEDS[0]);
  if (!pkg) throw infra(`apt knows no ${HOST_TOOL_SEEDS[0]}:${arch}`);
  const dir = cachePaths.hostTools(`${arch}-${pkg.version}`);
  if (!existsSync(join(dir, 'done'))) {
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(join(tmp, 'tree'), { recursive: true });
    await resolveElfClosure({
      seeds: HOST_TOOL_SEEDS,
      arch,
      debDir: cachePaths.debs,
      treeDir: join(tmp, 'tree'),
      libDirs: HOST_LIB_DIRS,
      provided: (s) => HOST_LIB_DIRS.some((d) => isFile(join('/', d, s))),
      prune: ['usr/share'],
    });
    mkdirSync(join(tmp, 'done'));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  }
  writeFileSync(stampOf(dir), fingerprint);
  return tools(dir, pkg.version);
}

export interface HostKey {
  /** dropbear-format private key file, copied onto the board's seed disk */
  keyFile: string;
  /** `ssh-ed25519 AAAA...` */
  publicKey: string;
}

/** Create (once) and read the board's ed25519 host key in `dir`. */
export async function ensureHostKey(dir: string, tools: HostTools): Promise<HostKey> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyFile = join(dir, 'dropbear_ed25519_host_key');
  if (!existsSync(keyFile)) {
    await run(tools.dropbearkey, ['-t', 'ed25519', '-f', `${keyFile}.tmp`], { env: tools.env });
    renameSync(`${keyFile}.tmp`, keyFile);
  }
  const out = await run(tools.dropbearkey, ['-y', '-f', keyFile], { env: tools.env });
  const line = out.split('\n').find((l) => l.startsWith('ssh-ed25519 '));
  if (!line) throw infra(`dropbearkey -y printed no ssh-ed25519 line for ${keyFile}`, { evidence: { output: out } });
  const [type, b64] = line.trim().split(/\s+/);
  return { keyFile, publicKey: `${type} ${b64}` };
}
