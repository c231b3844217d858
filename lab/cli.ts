// `edgecert-lab`: the virtual lab's own CLI (test equipment, apart from edgecert). Progress on stderr, answers on stdout.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EdgecertError, errorChain, usage } from '../harness/core/errors.ts';
import { log } from '../harness/core/log.ts';
import { EXIT } from '../harness/core/outcome.ts';
import { labDown, labStatus, labUp, type LabStatus } from './lab.ts';
import { loadLabInventory } from './spec.ts';

const USAGE = `usage: edgecert-lab [--inventory FILE] VERB
  up | down | status [--board ID ...] [--json]   bring the virtual boards up (idempotent), take them down, show them
  provision [--board ID ...]                      edgecert's provision hook (lab.provision.command): up, then one JSON line
  matrix [--defects FILE] [--suite S,...] [--parallel N] [--reports-dir DIR]   negative conformance and the fidelity figure
  kubeconfig                                      the lab control plane's kubeconfig path
  defect-lab [--write]                            generate lab/defect-lab/devices.yaml from its defect files (--write), or check it`;

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

/** Run one verb; returns the process exit code (0 ok, 1 matrix problems, 2 lab or usage error). */
export async function runLabCommand(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        inventory: { type: 'string', default: 'devices.yaml' },
        board: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        defects: { type: 'string' },
        suite: { type: 'string' },
        parallel: { type: 'string' },
        'reports-dir': { type: 'string' },
        write: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    const [verb, ...extra] = positionals;
    if (values.help) return process.stdout.write(`${USAGE}\n`), EXIT.CONFORMANT;
    if (!verb || extra.length) throw usage(USAGE);
    if (verb === 'defect-lab') {
      const { DEFECT_LAB_INVENTORY, defectLabInventoryText } = await import('./defect-lab/inventory.ts');
      const text = defectLabInventoryText();
      if (values.write) writeFileSync(DEFECT_LAB_INVENTORY, text);
      else if (readFileSync(DEFECT_LAB_INVENTORY, 'utf8') !== text) throw usage(`${DEFECT_LAB_INVENTORY} is out of date with its defect files: run \`npx edgecert-lab defect-lab --write\``);
      process.stdout.write(`${DEFECT_LAB_INVENTORY} ${values.write ? 'written' : 'matches its defect files'}\n`);
      return EXIT.CONFORMANT;
    }
    const inventoryPath = values.inventory!;
    const inv = loadLabInventory(inventoryPath);
    const opts = { boards: values.board, baseDir: dirname(resolve(inventoryPath)) };
    switch (verb) {
      case 'provision': {
        // edgecert reads the last stdout line: which of the asked boards came up
        const r = await labUp(inv, { ...opts, keepGoing: true }).catch((e: unknown) => {
          log.error(`lab up: ${errorChain(e)}`);
          return { boards: (values.board ?? []).map((id) => ({ id, ok: false, error: errorChain(e) })) };
        });
        process.stdout.write(`${JSON.stringify({ boards: r.boards.map((b) => ({ id: b.id, ok: b.ok, ...(b.ok ? {} : { error: b.error }) })) })}\n`);
        return EXIT.CONFORMANT;
      }
      case 'matrix': {
        const { runMatrix } = await import('./matrix/run-matrix.ts');
        const { DEFECT_LAB } = await import('./matrix/paths.ts');
        const { verdict, text } = await runMatrix({
          conformantInventory: inventoryPath,
          defectInventory: values.defects ?? DEFECT_LAB,
          reportsDir: values['reports-dir'],
          suites: values.suite?.split(',').map((x) => x.trim()).filter(Boolean),
          parallel: values.parallel ? Number(values.parallel) : undefined,
        });
        process.stdout.write(`${text}\n`);
        return verdict.problems.length ? EXIT.NON_CONFORMANT : EXIT.CONFORMANT;
      }
      case 'kubeconfig': {
        const path = inv.boards.find((b) => b.cloud)?.cloud?.kubeconfig;
        if (!path) throw usage(`${inventoryPath}: no board has a cloud binding with a kubeconfig`);
        process.stdout.write(`${path}\n`);
        return EXIT.CONFORMANT;
      }
      case 'up':
        log.info(`lab up: ${opts.boards?.join(', ') ?? 'every virtual board'} of ${inventoryPath}`);
        {
          const r = await labUp(inv, opts);
          for (const b of r.boards) log.info(`  ${b.id}: ${b.action ?? 'up'} in ${b.ms} ms${b.kernelVersion ? ` (kernel ${b.kernelVersion})` : ''}`);
          log.info(`lab up done in ${r.ms} ms`);
        }
        break;
      case 'down': {
        log.info(`lab down: ${opts.boards?.join(', ') ?? 'every virtual board'}`);
        const left = await labDown(inv, opts);
        const rest = Object.entries(left).filter(([, v]) => (Array.isArray(v) ? v.length : v));
        if (rest.length) log.warn(`lab down left: ${JSON.stringify(Object.fromEntries(rest))}`);
        else log.info('lab down: nothing left');
        break;
      }
      case 'status':
        break;
      default:
        throw usage(USAGE);
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
