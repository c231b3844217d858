import { parseArgs } from 'node:util';
import { EdgecertError, errorChain } from '../core/errors.ts';
import { log } from '../core/log.ts';
import { EXIT } from '../core/outcome.ts';

const HELP = `edgecert — can this board host a KubeEdge edge node? (conformance with evidence)

usage:
  edgecert run [--pool P | --board B] [--profile X] [--suite S,...] [--grep RE] [--parallel N] [--no-provision] [--certify]
               --certify: vendor certification (findings FAIL, no SKIP allowed, SHA256SUMS bundle)
  edgecert boards [status] | reserve B | release B | kick B | reset B   (leases and health of the inventory's boards)
  edgecert catalog [--write | --check]
  edgecert report RUN_DIR         (rebuild summary.json/junit.xml/HTML of a run, e.g. after a kill)
every command takes --inventory FILE (default devices.yaml); the virtual lab has its own CLI: npx edgecert-lab --help
exit codes: 0 conformant, 1 non-conformant (any FAIL), 2 infra or usage error
`;

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        inventory: { type: 'string', default: 'devices.yaml' },
        pool: { type: 'string' },
        board: { type: 'string', multiple: true },
        profile: { type: 'string' },
        suite: { type: 'string' },
        grep: { type: 'string' },
        parallel: { type: 'string' },
        'no-provision': { type: 'boolean' },
        certify: { type: 'boolean' },
        'reports-dir': { type: 'string' },
        write: { type: 'boolean' },
        check: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const [cmd, ...rest] = positionals;
    if (values.help || !cmd) {
      process.stdout.write(HELP);
      return cmd || values.help ? EXIT.CONFORMANT : EXIT.INFRA_OR_USAGE;
    }
    switch (cmd) {
      case 'run': {
        if (values.pool && values.board) throw new EdgecertError('USAGE', '--pool and --board are exclusive');
        if ((values.board?.length ?? 0) > 1) throw new EdgecertError('USAGE', 'run takes one --board (use --pool for several)');
        let grep: RegExp | undefined;
        try {
          grep = values.grep ? new RegExp(values.grep) : undefined;
        } catch (cause) {
          throw new EdgecertError('USAGE', `--grep ${values.grep}: not a regular expression`, { cause });
        }
        const { runCommand } = await import('./run.ts');
        return await runCommand({
          inventory: values.inventory!,
          pool: values.pool,
          board: values.board?.[0],
          profile: values.profile,
          suites: values.suite?.split(',').map((s) => s.trim()).filter(Boolean),
          grep,
          parallel: values.parallel ? Number(values.parallel) : undefined,
          provision: values['no-provision'] ? false : undefined,
          reportsDir: values['reports-dir'],
          certify: values.certify,
        });
      }
      case 'boards': {
        const { boardsCommand } = await import('./boards.ts');
        return await boardsCommand(rest, values.inventory!);
      }
      case 'catalog': {
        const { catalogCommand } = await import('./catalog.ts');
        return await catalogCommand(values.check ? 'check' : values.write ? 'write' : 'print');
      }
      case 'lab':
      case 'matrix':
        throw new EdgecertError('USAGE', `\`edgecert ${cmd}\` belongs to the virtual lab, which has its own CLI: npx edgecert-lab ${cmd === 'lab' ? rest.join(' ') || 'up' : 'matrix'}`);
      case 'report': {
        const { reportCommand } = await import('./report.ts');
        return await reportCommand(rest[0]);
      }
      default:
        throw new EdgecertError('USAGE', `unknown command \`${cmd}\`\n${HELP}`);
    }
  } catch (err) {
    if (err instanceof EdgecertError && err.outcome === 'USAGE') log.error(err.message);
    else if (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) log.error(`${err.message}\n${HELP}`);
    else log.error(errorChain(err));
    return EXIT.INFRA_OR_USAGE;
  }
}
