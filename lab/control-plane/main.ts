// CLI: `node --import tsx lab/control-plane/main.ts --state-dir DIR --listen HOST:PORT`.
import { parseArgs } from 'node:util';
import { EdgecertError, errorChain, usage } from '../../harness/core/errors.ts';
import { log } from '../../harness/core/log.ts';
import { startControlPlane } from './start.ts';

function parseListen(value: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(value) ?? /^([^:]+):(\d+)$/.exec(value);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw usage(`--listen wants HOST:PORT (or [IPv6]:PORT), got "${value}"`);
  return { host: m[1]!, port };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'state-dir': { type: 'string' },
      listen: { type: 'string', default: '127.0.0.1:6443' },
      san: { type: 'string', multiple: true },
      'bookmark-interval-ms': { type: 'string' },
      'node-monitor-grace-period-ms': { type: 'string' },
    },
    strict: true,
  });
  if (!values['state-dir']) throw usage('--state-dir DIR is required');
  const { host, port } = parseListen(values.listen!);
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const bookmarkIntervalMs = num(values['bookmark-interval-ms']);
  const nodeMonitorGracePeriodMs = num(values['node-monitor-grace-period-ms']);
  const cp = await startControlPlane({
    stateDir: values['state-dir'],
    host,
    port,
    ...(values.san ? { extraSans: values.san } : {}),
    ...(bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs } : {}),
    ...(nodeMonitorGracePeriodMs !== undefined ? { nodeMonitorGracePeriodMs } : {}),
  });
  process.stdout.write(`control plane listening on ${cp.url}\n`);
  const stop = (signal: string) => {
    log.info(`control plane: ${signal}, shutting down`);
    void cp.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`control plane: ${errorChain(err)}\n`);
  process.exit(err instanceof EdgecertError && err.outcome === 'USAGE' ? 2 : 1);
});
