// The virtual lab's cloud: the control-plane stand-in (../control-plane) plus the Endpoints controller EdgeMesh
// needs, in one process. Started by startLabControlPlane(); SIGTERM stops it.
// Usage: node --import tsx lab-control-plane-main.ts --state-dir DIR --host 10.77.0.1 --port 6443
//        [--san NAME]... [--grace-ms N] [--bookmark-ms N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startControlPlane } from '../control-plane/start.ts';
import { kubeClient } from './agent/kube-client.ts';
import { startEndpointsController } from './endpoints-controller.ts';

const { values } = parseArgs({
  options: {
    'state-dir': { type: 'string' },
    host: { type: 'string', default: '10.77.0.1' },
    port: { type: 'string', default: '6443' },
    san: { type: 'string', multiple: true },
    'grace-ms': { type: 'string', default: '20000' },
    'bookmark-ms': { type: 'string', default: '5000' },
  },
  strict: true,
});
const log = (m: string) => process.stdout.write(`${new Date().toISOString()} lab control plane: ${m}\n`);
if (!values['state-dir']) {
  process.stderr.write('lab control plane: --state-dir DIR is required\n');
  process.exit(2);
}
const cp = await startControlPlane({
  stateDir: values['state-dir'],
  host: values.host!,
  port: Number(values.port),
  extraSans: values.san ?? [],
  nodeMonitorGracePeriodMs: Number(values['grace-ms']),
  bookmarkIntervalMs: Number(values['bookmark-ms']),
});
const client = kubeClient({ server: cp.url, ca: readFileSync(cp.caFile), token: cp.token });
const stopEndpoints = startEndpointsController(client, log);
log(`listening on ${cp.url} (stand-in API server + endpoints controller)`);
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping`);
    stopEndpoints();
    client.close();
    void cp.close().then(() => process.exit(0));
  });
}
