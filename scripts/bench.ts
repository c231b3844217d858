// `npm run bench`: transport round trips vs the plain CLIs, and how much of a run is harness overhead. Figures only.
import { execa } from 'execa';
import { loadInventory } from '../harness/inventory/load.ts';
import type { BoardSpec } from '../harness/inventory/schema.ts';
import { createTransport } from '../harness/transport/factory.ts';
import { LocalTransport } from '../harness/transport/local.ts';
import type { Transport } from '../harness/transport/types.ts';
import { readResults } from '../harness/report/results-file.ts';

const N = Number(process.env.BENCH_N ?? 200);
const inventory = process.env.EDGECERT_INVENTORY ?? 'devices.yaml';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
async function timeIt(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  await fn(); // warm-up: connection set-up is not a round trip
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(1).padStart(6)} ms  p99 ${pct(xs, 99).toFixed(1).padStart(6)} ms`;

function cliFor(b: BoardSpec): [string, string[]] | undefined {
  const t = b.transport;
  switch (t.type) {
    case 'adb':
      return ['adb', ['-s', t.serial, 'shell', 'true']];
    case 'ssh':
      return ['ssh', ['-i', t.keyPath, '-p', String(t.port), '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${t.hostKey}`, '-o', 'StrictHostKeyChecking=yes', `${t.user}@${t.host}`, 'true']];
    case 'hdc':
      return [t.hdcPath ?? 'hdc', ['-t', t.connectKey, 'shell', 'true']];
    case 'local':
      return ['/bin/sh', ['-c', 'true']];
  }
}

async function roundTrips(): Promise<void> {
  const inv = loadInventory(inventory);
  const seen = new Set<string>();
  const boards = inv.boards.filter((b) => !b.provision?.defects && !seen.has(b.transport.type) && seen.add(b.transport.type));
  console.log(`per-command round trip of \`true\` (n=${N}; transport = the harness, CLI = a spawned plain client)`);
  const rows: [string, Transport, [string, string[]] | undefined][] = [['local', new LocalTransport('lab-host'), ['/bin/sh', ['-c', 'true']]]];
  for (const b of boards) rows.push([`${b.transport.type} (${b.id})`, await createTransport(b), cliFor(b)]);
  for (const [name, t, cli] of rows) {
    try {
      const ours = await timeIt(N, () => t.exec('true', { timeout: 10_000 }));
      const theirs = cli ? await timeIt(Math.min(N, 200), () => execa(cli[0], cli[1], { timeout: 10_000 })) : [];
      const ratio = theirs.length ? (pct(ours, 50) / pct(theirs, 50)).toFixed(2) : 'n/a';
      console.log(`  ${name.padEnd(28)} transport ${fmt(ours)}   CLI ${theirs.length ? fmt(theirs) : 'n/a'}   ratio(p50) ${ratio}x`);
    } catch (err) {
      console.log(`  ${name.padEnd(28)} not measured: ${(err as Error).message.split('\n')[0]}`);
    } finally {
      await t.close();
    }
  }
}

async function runSplit(): Promise<void> {
  const { runConformance } = await import('../harness/runner.ts');
  const board = process.env.BENCH_BOARD ?? 'vl-linux-1';
  const t0 = performance.now();
  const { runDir } = await runConformance({ inventory, board, parallel: 1, reportsDir: '/tmp/edgecert-bench-reports' });
  const wall = performance.now() - t0;
  const results = readResults(runDir, board);
  const inChecks = results.reduce((a, r) => a + r.durationMs, 0);
  const inBoard = results.reduce((a, r) => a + (r.boardMs ?? 0), 0);
  console.log(`\nfull run on ${board}: wall ${(wall / 1000).toFixed(1)} s, ${results.length} checks`);
  console.log(`  inside checks (board commands, docker and cloud API calls, waits on the board): ${(inChecks / 1000).toFixed(1)} s (${((inChecks / wall) * 100).toFixed(1)} %)`);
  console.log(`    of which measured inside board commands / docker API calls: ${(inBoard / 1000).toFixed(1)} s (${((inBoard / wall) * 100).toFixed(1)} %)`);
  console.log(`  harness overhead outside checks (lease, lab check, vitest start, reports): ${((wall - inChecks) / 1000).toFixed(1)} s = ${(((wall - inChecks) / wall) * 100).toFixed(1)} % of the run (target <= 10 %)`);
}

await roundTrips();
if (process.env.BENCH_SKIP_RUN !== '1') await runSplit();
