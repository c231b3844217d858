import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { createAllocator, holdLease, selectBoards, type Allocator } from './allocator/index.ts';
import { errorChain, infra, usage } from './core/errors.ts';
import { log } from './core/log.ts';
import { EXIT } from './core/outcome.ts';
import { registerSecret } from './core/redact.ts';
import { loadInventory } from './inventory/load.ts';
import type { BoardSpec, Inventory } from './inventory/schema.ts';
import { boardVerdicts, writeAllureHtml } from './report/allure-html.ts';
import { toJunit } from './report/junit.ts';
import { recordBoardInfra, showNotRun } from './report/board-infra.ts';
import { readResults } from './report/results-file.ts';
import { buildSummary, writeJsonAtomic, type BoardPlan, type Summary } from './report/summary.ts';
import { RUN_CONTEXT_VAR, writeRunContext } from './fixtures/run-context.ts';
import type { Profile } from './profiles/schema.ts';
import { provisionBoards } from './provision.ts';
import { catalogue, planBoard, type Selection } from './cli/plan.ts';
import { printSummary } from './cli/print.ts';
import { REPO_ROOT } from './cli/suite-files.ts';

export interface RunOptions extends Selection {
  inventory: string;
  pool?: string;
  board?: string;
  /** an explicit list of board ids (the matrix picks the defect boards that have something to prove) */
  boards?: string[];
  reportsDir?: string;
  /** run the inventory's provision command for the boards that ask for it (default true; --no-provision) */
  provision?: boolean;
  /** how many boards run at once */
  parallel?: number;
  /** vendor certification: security findings FAIL, SKIPs make the board non-conformant, a checksum bundle is written */
  certify?: boolean;
  /** per-board suite selection (the matrix runs each defect board only on the suites its defects concern) */
  suitesByBoard?: Record<string, string[]>;
}

const require = createRequire(import.meta.url);

function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${randomBytes(2).toString('hex')}`;
}

function versions(): Record<string, string> {
  const pkg = (name: string) => {
    try {
      return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
    } catch {
      return 'unknown';
    }
  };
  const own = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  return { edgecert: own.version, node: process.version, vitest: pkg('vitest'), dockerode: pkg('dockerode'), '@kubernetes/client-node': pkg('@kubernetes/client-node') };
}

/** Lease each selected board, run its profile's suites in a vitest process, write the report as results arrive. */
export async function runConformance(opts: RunOptions): Promise<{ exitCode: number; runDir: string; summary: Summary }> {
  const invPath = resolve(opts.inventory);
  const inv = loadInventory(invPath);
  const boards = opts.boards ? opts.boards.flatMap((id) => selectBoards(inv, { board: id })) : selectBoards(inv, { pool: opts.pool, board: opts.board });
  const all = await catalogue();
  const planned = boards.map((b) => ({ board: b, ...planBoard(b, all, { ...opts, suites: opts.suitesByBoard?.[b.id] ?? opts.suites }) }));
  if (!planned.some((p) => p.plan.planned.length)) throw usage('the selection matches no check (see `edgecert catalog`)');

  const runId = newRunId();
  const runDir = resolve(opts.reportsDir ?? join(REPO_ROOT, 'reports'), runId);
  mkdirSync(runDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const plans: BoardPlan[] = planned.map((p) => p.plan);
  const writeReport = (complete: boolean): Summary => {
    const s = buildSummary({ runId, runDir, inventory: invPath, startedAt, complete, plans, versions: versions(), certify: opts.certify });
    writeJsonAtomic(join(runDir, 'summary.json'), s);
    writeFileSync(join(runDir, 'junit.xml'), toJunit(s));
    return s;
  };
  writeReport(false);
  log.info(`run ${runId}: ${planned.length} board(s), report in ${relative(process.cwd(), runDir) || runDir}`);

  const children = new Set<ChildProcess>();
  const contextDir = mkdtempSync(join(tmpdir(), `edgecert-run-${runId}-`));
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = sig;
    log.warn(`${sig}: stopping the run, writing a partial report`);
    for (const c of children) c.kill('SIGTERM');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // a board its provisioner could not bring up is INFRA on every planned check; the others run on
    if (opts.provision !== false) {
      const down = await provisionBoards(inv, invPath, planned.map((p) => p.board));
      for (const p of planned.filter((x) => down.has(x.board.id))) {
        p.plan.infraError = `provisioning failed: ${down.get(p.board.id)}`;
        recordBoardInfra({ runId, runDir, board: p.board.id, profile: p.plan.profile, planned: p.checks, reason: p.plan.infraError });
      }
      if (down.size) writeReport(false);
    }
    const alloc = createAllocator(inv);
    const queue = planned.filter((p) => p.plan.planned.length && !p.plan.infraError);
    const width = Math.max(1, opts.parallel ?? 4);
    await Promise.all(
      Array.from({ length: Math.min(width, queue.length) }, async () => {
        for (let p = queue.shift(); p && !interrupted; p = queue.shift()) {
          await runBoard({ alloc, inv, invPath, runId, runDir, board: p.board, profile: p.profile, contextDir, files: p.files, plan: p.plan, testNamePattern: p.testNamePattern, certify: opts.certify, children, isInterrupted: () => interrupted !== undefined });
          if (p.plan.infraError) recordBoardInfra({ runId, runDir, board: p.board.id, profile: p.plan.profile, planned: p.checks, reason: p.plan.infraError });
          writeReport(false);
        }
      }),
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rmSync(contextDir, { recursive: true, force: true });
  }
  const summary = writeReport(!interrupted);
  for (const b of summary.boards) {
    const p = planned.find((x) => x.board.id === b.id)!;
    const missing = b.checks.find((c) => c.outcome === 'NOT_RUN');
    if (missing) showNotRun({ runId, runDir, board: b.id, profile: b.profile, planned: p.checks, reason: missing.message });
  }
  const html = await writeAllureHtml(runDir, `edgecert ${runId}`, boardVerdicts(summary));
  if (opts.certify) writeChecksums(runDir);
  printSummary(summary, runDir, html);
  return { exitCode: interrupted ? EXIT.INFRA_OR_USAGE : summary.exitCode, runDir, summary };
}

interface BoardRun {
  alloc: Allocator;
  inv: Inventory;
  invPath: string;
  runId: string;
  runDir: string;
  board: BoardSpec;
  files: string[];
  plan: BoardPlan;
  testNamePattern?: string;
  profile: Profile;
  /** where the per-board run contexts are written (a temporary directory of this run) */
  contextDir: string;
  certify?: boolean;
  children: Set<ChildProcess>;
  isInterrupted: () => boolean;
}

async function runBoard(r: BoardRun): Promise<void> {
  const owner = `edgecert run ${r.runId} pid ${process.pid}`;
  let lease;
  try {
    lease = await r.alloc.acquire({
      candidates: [r.board],
      owner,
      timeoutMs: r.profile.timeouts.lease,
      onProgress: (m) => log.info(m),
      healthCheck: quickHealthCheck,
    });
  } catch (err) {
    r.plan.infraError = `lease not obtained: ${errorChain(err)}`;
    log.error(`${r.board.id}: ${r.plan.infraError}`);
    return;
  }
  registerSecret(lease.token);
  let lost: string | undefined;
  const held = holdLease(r.alloc, lease, undefined, {
    signals: 'leave-to-caller',
    onLost: (err) => {
      lost = err.message;
      log.error(`${r.board.id}: ${err.message}; stopping its suites`);
      child?.kill('SIGTERM');
    },
  });
  let child: ChildProcess | undefined;
  try {
    const vitest = join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
    const env = {
      ...process.env,
      [RUN_CONTEXT_VAR]: writeRunContext(r.contextDir, {
        runId: r.runId,
        runDir: r.runDir,
        inventoryPath: r.invPath,
        inventory: r.inv,
        board: r.board.id,
        spec: r.board,
        // a run's --certify makes findings FAIL whatever the profile says
        profile: r.certify ? { ...r.profile, security: 'certify' } : r.profile,
        leaseOwner: owner,
      }),
      FORCE_COLOR: process.stdout.isTTY ? '1' : '0',
    };
    const only = r.testNamePattern ? ['--testNamePattern', r.testNamePattern] : [];
    child = spawn(process.execPath, [vitest, 'run', '--config', join(REPO_ROOT, 'harness/cli/suite-config.ts'), ...only, ...r.files], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    r.children.add(child);
    const prefix = (s: NodeJS.ReadableStream, out: NodeJS.WriteStream) => {
      let buf = '';
      s.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) out.write(`[${r.board.id}] ${l}\n`);
      });
    };
    prefix(child.stdout!, process.stdout);
    prefix(child.stderr!, process.stderr);
    const code = await new Promise<number | null>((res) => child!.on('close', (c) => res(c)));
    r.children.delete(child);
    log.info(`${r.board.id}: suites finished (vitest exit ${code})`);
    const infraSeen = lost !== undefined || readBoardInfra(r);
    await r.alloc.recordOutcome(r.board.id, infraSeen ? 'infra' : 'ok').catch((e: unknown) => log.warn(`health not recorded: ${(e as Error).message}`));
    if (lost) r.plan.infraError = lost;
  } finally {
    await held.release();
  }
}

function readBoardInfra(r: BoardRun): boolean {
  try {
    // a suite process that recorded nothing at all failed as a lab, as much as one that recorded INFRA
    const mine = readResults(r.runDir, r.board.id);
    return mine.length === 0 || mine.some((x) => x.outcome === 'INFRA');
  } catch {
    return true;
  }
}

/** LAVA habit: a board whose health is unknown must answer through its transport before it is handed out;
 *  one that does not is power-cycled once when the inventory says how (power.cycle, an argv run without a shell).
 *  A board that still does not answer throws why, which the run reports as INFRA on each of its checks. */
async function quickHealthCheck(board: BoardSpec): Promise<boolean> {
  const { createTransport } = await import('./transport/factory.ts');
  const answers = async (waitMs: number): Promise<void> => {
    const t = await createTransport(board);
    try {
      if (waitMs) await t.waitOnline(waitMs);
      const r = await t.exec('true', { timeout: 15_000 });
      if (r.exitCode !== 0) throw infra(`\`true\` exited ${r.exitCode} on the board`);
    } finally {
      await t.close().catch(() => undefined);
    }
  };
  try {
    await answers(0);
    return true;
  } catch (err) {
    const cycle = board.power?.cycle;
    if (!cycle?.length) throw err;
    log.warn(`${board.id}: power-cycling (${cycle.join(' ')}) after a failed health check: ${errorChain(err)}`);
  }
  const cycle = board.power!.cycle!;
  const { execa } = await import('execa');
  const r = await execa(cycle[0]!, cycle.slice(1), { reject: false, timeout: 60_000 });
  if (r.exitCode !== 0) throw infra(`power cycle command exited ${r.exitCode}: ${String(r.stderr).slice(0, 200)}`);
  await answers(120_000);
  return true;
}

/** The certification bundle: a reviewer verifies it offline with `sha256sum -c SHA256SUMS` in the run directory. */
function writeChecksums(runDir: string): void {
  const files = (dir: string): string[] =>
    readdirSync(join(runDir, dir)).flatMap((n) => {
      const rel = dir ? `${dir}/${n}` : n;
      return statSync(join(runDir, rel)).isDirectory() ? files(rel) : [rel];
    });
  const lines = files('')
    .filter((f) => f !== 'SHA256SUMS' && !f.endsWith('.tmp'))
    .sort()
    .map((f) => `${createHash('sha256').update(readFileSync(join(runDir, f))).digest('hex')}  ${f}`);
  writeFileSync(join(runDir, 'SHA256SUMS'), `${lines.join('\n')}\n`);
}
export { catalogue } from './cli/plan.ts';
