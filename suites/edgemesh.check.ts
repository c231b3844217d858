import { waitFor } from '../harness/core/wait.ts';
import { request } from 'undici';
import { check, suite, type CheckContext } from '../harness/check/index.ts';
import { runLabContainer } from '../harness/board/lab-image.ts';
import { api, cloudOf, nodeReady, readNode, type CloudSession } from '../harness/fixtures/cloud.ts';
import { ensureBackend, requestsFromBoard, waitMeshServes } from '../harness/fixtures/cloud-mesh.ts';
import { labImageRef } from '../harness/fixtures/cloud-pods.ts';
import { readRunContext } from '../harness/fixtures/run-context.ts';

const SUITE = 'edgemesh';
const MESH_DNS = '169.254.96.16';
const REQUESTS = 50;
// a board names its EdgeMesh gateway (Host-header routing to services) with this node annotation; see edge/README.md
const GATEWAY_ANNOTATION = 'edgecert.io/mesh-gateway';

async function local(c: CheckContext): Promise<{ s: CloudSession; image: string; web: Awaited<ReturnType<typeof ensureBackend>> }> {
  const s = await cloudOf(c, SUITE);
  const image = await labImageRef(c);
  return { s, image, web: await ensureBackend(c, s, 'mesh-web', image) };
}

/** Another Ready edge node of the cluster for the board -> board path: inventory boards first. */
async function peerNode(c: CheckContext, s: CloudSession): Promise<string | undefined> {
  const nodes = await api('list nodes', () => s.core.listNode({ labelSelector: 'node-role.kubernetes.io/edge' }));
  const ready = nodes.items.filter((n) => n.metadata?.name !== s.nodeName && nodeReady(n) === 'True').map((n) => n.metadata!.name!);
  let known: string[] = [];
  try {
    known = readRunContext().inventory.boards.map((b) => b.cloud?.nodeName).filter((x): x is string => !!x);
  } catch {
    // outside `edgecert run`: any edge node will do
  }
  return ready.find((n) => known.includes(n)) ?? ready[0];
}

suite('edgemesh', () => {
  check(
    {
      id: 'MESH-DNS',
      title: 'EdgeMesh DNS answers service names on the board',
      requirement: `A container on the board MUST get the Service's ClusterIP for \`<svc>.<ns>.svc.cluster.local\` from the EdgeMesh DNS at ${MESH_DNS}.`,
      source: 'seed 002 (clusterDNS 169.254.96.16); EdgeMesh (edgemesh0 169.254.96.16, DNS for services on edge nodes); EdgeMesh e2e',
      remediation: 'run edgemesh-agent on the board (it creates edgemesh0 with 169.254.96.16) and make sure it can read services through edgecore\'s metaServer',
    },
    async (c) => {
      const { s, web } = await local(c);
      const name = `${web.service}.${s.namespace}.svc.cluster.local`;
      // EdgeMesh learns new Services through edgecore's metaServer: allow the profile's propagation budget
      const { state } = await waitFor(
        `${name} to resolve to ${web.clusterIP} via ${MESH_DNS}`,
        c.timeouts.meshPropagation,
        async () => {
          const run = await runLabContainer(c, { purpose: 'mesh-dns', cmd: ['nslookup', name, MESH_DNS] });
          const answer = [...(run.stdout.split(/Name:/)[1] ?? '').matchAll(/Address:?\s*(\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]!);
          return { done: run.exitCode === 0 && answer.includes(web.clusterIP), state: { exitCode: run.exitCode, answer, output: (run.stdout + run.stderr).trim().slice(0, 300) } };
        },
        { intervalMs: 2_000, onTimeout: 'FAIL' },
      );
      c.note('answer', state.answer.join(', '));
    },
  );

  check(
    {
      id: 'MESH-CLOUD-TO-BOARD',
      title: 'The cloud reaches a service on the board through EdgeMesh',
      requirement: 'An HTTP request from the cloud side to a Service backed by a pod on this board MUST return 200 and the backend\'s hostname.',
      source: 'EdgeMesh e2e (kubeedge/edgemesh tests/e2e/traffic/traffic_test.go, cloud -> edge service access); EdgeMesh gateway',
      remediation: 'run the EdgeMesh gateway for the board (edgemesh-gateway with a Gateway/VirtualService for the service) and check its log',
    },
    async (c) => {
      const { s, web } = await local(c);
      const gw = (await readNode(s))?.metadata?.annotations?.[GATEWAY_ANNOTATION];
      if (!gw) c.skip(`node ${s.nodeName} names no EdgeMesh gateway (annotation ${GATEWAY_ANNOTATION}: host:port): the cloud has no way into the mesh for this board`);
      const host = `${web.service}.${s.namespace}.svc.cluster.local`;
      // the gateway learns the Service like the DNS does: wait out the propagation budget, then measure one request
      await waitFor(`gateway ${gw} to serve Host ${host}`, c.timeouts.meshPropagation, async () => {
        const r = await request(`http://${gw}/`, { headers: { host }, headersTimeout: 15_000, bodyTimeout: 15_000 });
        const text = (await r.body.text()).trim();
        return { done: r.statusCode !== 503, state: { status: r.statusCode, body: text.slice(0, 200) } };
      }, { intervalMs: 1_000, onTimeout: 'FAIL' }).catch((e: unknown) => c.fail(`gateway ${gw} never served Host ${host}: ${(e as Error).message}`));
      const t0 = performance.now();
      const r = await request(`http://${gw}/`, { headers: { host }, headersTimeout: 15_000, bodyTimeout: 15_000 }).catch((e: Error) => c.fail(`request to the gateway ${gw} failed: ${e.message}`));
      const body = (await r.body.text()).trim();
      c.measure('cloud -> board request', Math.round(performance.now() - t0), 'ms');
      c.assert(r.statusCode === 200, `gateway ${gw} answered HTTP ${r.statusCode} for Host ${host}: ${body.slice(0, 200)}`);
      c.assert(body === web.pod, `the answer is ${JSON.stringify(body.slice(0, 100))}, not the backend's hostname ${web.pod}`);
    },
  );

  check(
    {
      id: 'MESH-BOARD-TO-CLOUD',
      title: 'A pod on the board reaches a service backed in the cloud',
      requirement: 'An HTTP request from a container on the board to a Service whose backend runs on a cloud node MUST return 200 and the backend\'s hostname.',
      source: 'EdgeMesh e2e (kubeedge/edgemesh tests/e2e/traffic/traffic_test.go, edge -> cloud service access)',
      remediation: 'run edgemesh-agent on the cloud nodes too, and check the tunnel between cloud and edge agents (relay nodes)',
    },
    async (c) => {
      const s = await cloudOf(c, SUITE);
      const nodes = await api('list nodes', () => s.core.listNode({}));
      const cloudNode = nodes.items.find((n) => !('node-role.kubernetes.io/edge' in (n.metadata?.labels ?? {})) && nodeReady(n) === 'True');
      if (!cloudNode) c.skip('the cluster has no Ready cloud (non-edge) node to run a backend on (the virtual lab\'s control plane runs no nodes of its own)');
      const image = await labImageRef(c);
      const be = await ensureBackend(c, s, 'mesh-cloud', image, cloudNode!.metadata!.name!);
      c.measure('mesh learned the service after', await waitMeshServes(c, `http://${be.clusterIP}:${be.port}/`), 'ms');
      const r = await requestsFromBoard(c, `http://${be.clusterIP}:${be.port}/`, 1);
      c.assert(r.ok === 1 && r.bodies.has(be.pod), `board -> cloud request failed or answered ${[...r.bodies].join(', ') || 'nothing'}`);
    },
  );

  check(
    {
      id: 'MESH-BOARD-TO-BOARD',
      title: 'A pod on the board reaches a service backed on another board',
      requirement: 'An HTTP request from a container on this board to a Service whose only backend runs on another edge node MUST return 200 and the backend\'s hostname.',
      source: 'EdgeMesh e2e (kubeedge/edgemesh tests/e2e/traffic/traffic_test.go, edge -> edge service access across nodes)',
      remediation: 'check the EdgeMesh tunnel between the two boards (InternalIPs reachable, tunnel port open) and both agents\' logs',
    },
    async (c) => {
      const s = await cloudOf(c, SUITE);
      const peer = await peerNode(c, s);
      if (!peer) c.skip('no other Ready edge node in the cluster: board -> board needs a second board in the lab');
      const image = await labImageRef(c);
      const be = await ensureBackend(c, s, 'mesh-peer', image, peer);
      c.note('peer', `backend ${be.pod} on node ${peer}, service ${be.service} ${be.clusterIP}:${be.port}`);
      c.measure('mesh learned the service after', await waitMeshServes(c, `http://${be.clusterIP}:${be.port}/`), 'ms');
      const r = await requestsFromBoard(c, `http://${be.clusterIP}:${be.port}/`, 3);
      c.assert(r.ok === 3, `${r.failed} of 3 requests from this board to ${be.clusterIP} (backend on ${peer}) failed`);
      c.assert(r.bodies.size === 1 && r.bodies.has(be.pod), `answers were ${[...r.bodies].join(', ')}, not the backend's hostname ${be.pod}`);
    },
  );

  check(
    {
      id: 'MESH-RELIABILITY',
      title: `${REQUESTS} requests through a service, none failing`,
      requirement: `${REQUESTS} sequential HTTP requests from a container on the board through a Service's ClusterIP MUST all succeed.`,
      source: 'EdgeMesh e2e (kubeedge/edgemesh tests/e2e/traffic/traffic_test.go): every request through a service answered, here N requests with 0 failures',
      remediation: 'read edgemesh-agent\'s log for dropped connections; check conntrack and the REDIRECT/DNAT rules EdgeMesh installs',
      dependsOn: ['MESH-DNS'],
    },
    async (c) => {
      const { web } = await local(c);
      await waitMeshServes(c, `http://${web.clusterIP}:${web.port}/`);
      const r = await requestsFromBoard(c, `http://${web.clusterIP}:${web.port}/`, REQUESTS);
      c.measure('failed requests', r.failed, 'count');
      c.assert(r.failed === 0, `${r.failed} of ${REQUESTS} requests through ${web.clusterIP}:${web.port} failed`);
      c.assert(r.bodies.size === 1 && r.bodies.has(web.pod), `unexpected answers: ${[...r.bodies].join(', ')}`);
    },
  );
});
