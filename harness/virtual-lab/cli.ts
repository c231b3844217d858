// `edgecert lab up|down|status [--board ID ...]`: progress on stderr, the status table on stdout.
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EdgecertError, errorChain, usage } from '../core/errors.ts';
import { log } from '../core/log.ts';
import { EXIT } from '../core/outcome.ts';
import { loadInventory } from '../inventory/load.ts';
import { labDown, labStatus, labUp, type LabStatus } from './lab.ts';

const USAGE = 'usage: edgecert lab up|down|status [--board ID ...] [--json]';

function kb(n: number | undefined): string {
  return n ? `${Math.round(n / 1024)}M` : '-';
}

export function renderStatus(s: LabStatus): string {
  const head = [
    `bridge ${s.bridge.present ? `ecbr0 ${s.bridge.up ? 'up' : 'down'}${s.bridge.address ? ' 10.77.0.1/24' : ' (no address)'}, ${s.bridge.rules} host rules` : 'absent'}`,
    `endpoint ${s.endpoint.running ? `${s.endpoint.url} (pid ${s.endpoint.pid})` : 'stopped'}`,
    `image ${s.image.ref} ${s.image.present ? s.image.tarball : '(not built yet)'}`,
    '',
  ];
  const rows = [['BOARD', 'KIND', 'OS', 'REACH', 'STATE', 'RSS(dockerd/access)', 'DEFECTS', 'DETAIL']];
  for (const b of s.boards) {
    const rss = b.netns?.rssKb ? `${kb(b.netns.rssKb.dockerd)}/${kb(b.netns.rssKb.access)}` : '-';
    rows.push([b.id, b.kind, b.os, b.reach, b.state, rss, b.defects.join(',') || '-', b.detail]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
  return [...head, ...table].join('\n');
}

/** Run `lab up|down|status`; returns the process exit code (0 ok, 2 lab or usage error). */
export async function runLabCommand(argv: string[], inventoryPath: string): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { board: { type: 'string', multiple: true }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    const [verb, ...extra] = positionals;
    if (!verb || extra.length || !['up', 'down', 'status'].includes(verb)) throw usage(USAGE);
    const inv = loadInventory(inventoryPath);
    const opts = { boards: values.board, baseDir: dirname(resolve(inventoryPath)) };
    if (verb === 'up') {
      log.info(`lab up: ${opts.boards?.join(', ') ?? 'every virtual board'} of ${inventoryPath}`);
      const r = await labUp(inv, opts);
      for (const b of r.boards) log.info(`  ${b.id}: ${b.action ?? 'up'} in ${b.ms} ms${b.kernelVersion ? ` (kernel ${b.kernelVersion})` : ''}`);
      log.info(`lab up done in ${r.ms} ms`);
    } else if (verb === 'down') {
      log.info(`lab down: ${opts.boards?.join(', ') ?? 'every virtual board'}`);
      const left = await labDown(inv, opts);
      const rest = Object.entries(left).filter(([, v]) => (Array.isArray(v) ? v.length : v));
      if (rest.length) log.warn(`lab down left: ${JSON.stringify(Object.fromEntries(rest))}`);
      else log.info('lab down: nothing left');
    }
    const status = await labStatus(inv, opts);
    process.stdout.write(`${values.json ? JSON.stringify(status, null, 2) : renderStatus(status)}\n`);
    return EXIT.CONFORMANT;
  } catch (e) {
    log.error(errorChain(e));
    if (e instanceof EdgecertError) for (const [k, v] of Object.entries(e.evidence)) process.stderr.write(`--- ${k}\n${v}\n`);
    return EXIT.INFRA_OR_USAGE;
  }
}
