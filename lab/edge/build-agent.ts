// The stand-ins run as plain JavaScript: Node's own TypeScript loader costs ~20 MB of RSS (its wasm stripper), and
// edgecore's RSS is a budgeted measurement. So the lab strips the types once (node:module, no extra tool) into .mjs
// files next to each board's state; the source of truth stays the .ts files in agent/.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const AGENT_SRC = join(dirname(fileURLToPath(import.meta.url)), 'agent');

function sources(): string[] {
  return readdirSync(AGENT_SRC).filter((f) => f.endsWith('.ts')).sort();
}

/** Hash of the agent sources: a board whose running stand-in was built from other sources gets restarted. */
export function agentHash(): string {
  const h = createHash('sha256');
  for (const f of sources()) h.update(f).update(readFileSync(join(AGENT_SRC, f)));
  return h.digest('hex').slice(0, 12);
}

/** Write the stripped agent into `outDir` (skipped when it is already this build); returns the build hash. */
export function buildAgent(outDir: string): string {
  const hash = agentHash();
  const stamp = join(outDir, 'BUILD');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash) return hash;
  const tmp = `${outDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const f of sources()) {
    const js = stripTypeScriptTypes(readFileSync(join(AGENT_SRC, f), 'utf8'), { mode: 'strip' });
    // relative imports name the .ts sources; the stripped files are .mjs
    writeFileSync(join(tmp, f.replace(/\.ts$/, '.mjs')), js.replace(/(from\s+['"]\.\/[^'"]+)\.ts(['"])/g, '$1.mjs$2'));
  }
  writeFileSync(join(tmp, 'BUILD'), `${hash}\n`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(dirname(outDir), { recursive: true });
  renameSync(tmp, outDir);
  return hash;
}
