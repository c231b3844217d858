import { check, suite, type CheckContext } from '../harness/check/index.ts';
import { dockerInfo } from '../harness/board/lab-image.ts';
import { waitFor } from '../harness/core/wait.ts';
import { cloudOf, nodeReady, readNode } from '../harness/fixtures/cloud.ts';
import { boardProcesses, edgecoreConfig } from '../harness/fixtures/cloud-board.ts';
import { ipv4Of, isDns1123Subdomain } from '../harness/parse/cloud-edgecore.ts';
import { shQuote } from '../harness/core/quote.ts';
import { dockerArch } from '../harness/parse/runtime-docker-info.ts';
import { defaultRoutes, parseProcNetRoute } from '../harness/parse/network-route.ts';

// EdgeMesh's DNS address (its edgemesh0 device); pods resolve services through it when edged's clusterDNS names it
const EDGEMESH_DNS = '169.254.96.16';
const SUITE = 'edgecore';

const node = async (c: CheckContext) => {
  const s = await cloudOf(c, SUITE);
  const n = await readNode(s);
  if (!n) c.fail(`node ${s.nodeName} is not registered in the cloud (${s.server})`);
  return { s, n };
};

suite('edgecore', () => {
  check(
    {
      id: 'EDGECORE-PROCESS',
      title: 'edgecore runs on the board',
      requirement: 'An `edgecore` process MUST be running on the board.',
      source: 'seed 002 "Start the edgecore program"; keadm join (edgecore as a service); KubeEdge edge node setup',
      remediation: 'start edgecore (keadm join installs it as a service with restart on failure); read its log for why it exits',
    },
    async (c) => {
      // without a cloud binding the lab has not joined this board to a cloud, so no edgecore is expected on it
      if (!c.board.spec.cloud) c.skip(`board ${c.board.id} has no cloud binding (devices.yaml \`cloud:\`): KubeEdge is not deployed on it by this lab`);
      const procs = await boardProcesses(c);
      const ec = procs.filter((p) => p.comm === 'edgecore');
      c.assert(ec.length > 0, `no process named edgecore on the board (${procs.length} processes seen)`);
      c.note('edgecore', ec.map((p) => `pid ${p.pid}`).join('\n'));
    },
  );

  check(
    {
      id: 'EDGECORE-CONFIG-HOSTNAME',
      title: 'edged\'s hostnameOverride is a valid, board-specific node name',
      requirement: 'modules.edged.hostnameOverride MUST be a DNS-1123 subdomain and MUST NOT be the `default-edge-node` that `edgecore --minconfig` writes.',
      source: 'seed 002 reference edgecore.yaml (hostnameOverride); KubeEdge edged (the node name is the hostnameOverride); k8s node name validation (RFC 1123 subdomain)',
      remediation: 'set modules.edged.hostnameOverride to a unique lowercase name per board (e.g. the board serial) and restart edgecore',
      dependsOn: ['EDGECORE-PROCESS'],
    },
    async (c) => {
      const cfg = await edgecoreConfig(c);
      const h = cfg.hostnameOverride;
      c.assert(h, 'modules.edged.hostnameOverride is not set (edgecore then registers the board\'s hostname, which Android/OpenHarmony boards share)');
      c.assert(h !== 'default-edge-node', 'modules.edged.hostnameOverride is the template value `default-edge-node`: every board would register as the same node');
      c.assert(isDns1123Subdomain(h!), `modules.edged.hostnameOverride ${JSON.stringify(h)} is not a DNS-1123 subdomain (lowercase a-z, 0-9, - and .)`);
    },
  );

  check(
    {
      id: 'EDGECORE-CONFIG-CGROUP-DRIVER',
      title: 'edged and docker use the same cgroup driver',
      requirement: 'modules.edged.cgroupDriver MUST equal the CgroupDriver docker reports.',
      source: 'seed 002 reference edgecore.yaml (cgroupDriver: cgroupfs); kubelet/edged refuse to run pods when the driver differs from the runtime\'s',
      remediation: 'set modules.edged.cgroupDriver to what `docker info` reports (cgroupfs on the seeds\' boards), or change dockerd\'s exec-opt native.cgroupdriver',
      dependsOn: ['EDGECORE-PROCESS'],
    },
    async (c) => {
      const cfg = await edgecoreConfig(c);
      const info = (await dockerInfo(c)) as { CgroupDriver?: string };
      const docker = info.CgroupDriver;
      if (!docker) c.infra('docker info did not report a CgroupDriver');
      const edged = cfg.cgroupDriver ?? 'cgroupfs';
      c.note('cgroup drivers', `edged: ${edged}${cfg.cgroupDriver ? '' : ' (default)'}\ndocker: ${docker}`);
      c.assert(edged === docker, `edged uses cgroup driver ${edged}, docker uses ${docker}`);
    },
  );

  check(
    {
      id: 'EDGECORE-CONFIG-CLUSTER-DNS',
      title: 'Pods resolve through EdgeMesh\'s DNS',
      requirement: `Where EdgeMesh runs on the board, modules.edged.clusterDNS MUST be ${EDGEMESH_DNS}, so pods resolve service names through it.`,
      source: 'seed 002 reference edgecore.yaml (clusterDNS: 169.254.96.16); EdgeMesh docs (edgemesh0 carries 169.254.96.16; edged clusterDNS points at it)',
      remediation: `set modules.edged.clusterDNS: ${EDGEMESH_DNS} (and clusterDomain: cluster.local), then restart edgecore`,
      dependsOn: ['EDGECORE-PROCESS'],
    },
    async (c) => {
      const cfg = await edgecoreConfig(c);
      const mesh = (await boardProcesses(c)).some((p) => /^edgemesh/.test(p.comm));
      if (!mesh) c.skip('no EdgeMesh agent runs on the board: edged\'s clusterDNS is the cluster\'s choice');
      c.assert(cfg.clusterDNS?.includes(EDGEMESH_DNS), `EdgeMesh runs, but modules.edged.clusterDNS is ${JSON.stringify(cfg.clusterDNS ?? 'unset')}, not ${EDGEMESH_DNS}: pods will not resolve services`);
    },
  );

  check(
    {
      id: 'EDGECORE-CONFIG-METASERVER',
      title: 'edgecore\'s metaServer is enabled',
      requirement: 'modules.metaManager.metaServer.enable MUST be true, so edge clients list-watch from the local store (offline autonomy, EdgeMesh).',
      source: 'seed 002 reference edgecore.yaml (metaServer enable: true); KubeEdge claims "reliable list-watch interfaces for the edge" (seed 000); EdgeMesh reads through the metaServer',
      remediation: 'set modules.metaManager.metaServer.enable: true and restart edgecore',
      dependsOn: ['EDGECORE-PROCESS'],
    },
    async (c) => {
      const cfg = await edgecoreConfig(c);
      c.assert(cfg.metaServerEnabled, 'modules.metaManager.metaServer.enable is not true');
    },
  );

  check(
    {
      id: 'EDGECORE-NO-KUBELET',
      title: 'No kubelet or kube-proxy runs next to edgecore',
      requirement: 'No kubelet and no kube-proxy process MUST run on the board: edgecore\'s edged and EdgeMesh take their places.',
      source: 'KubeEdge (edged replaces kubelet, EdgeMesh replaces kube-proxy on edge nodes); a second node agent fights edged over the same containers',
      remediation: 'stop and disable kubelet and kube-proxy on the board (and keep a DaemonSet of kube-proxy off edge nodes with node affinity)',
    },
    async (c) => {
      const bad = (await boardProcesses(c)).filter((p) => p.comm === 'kubelet' || p.comm === 'kube-proxy');
      c.assert(bad.length === 0, `found ${bad.map((p) => `${p.comm} (pid ${p.pid})`).join(', ')} on the board`);
    },
  );

  check(
    {
      id: 'EDGECORE-NODE-READY',
      title: 'The edge node is Ready in the cloud within the budget',
      requirement: 'The board\'s Node MUST be registered and report Ready=True within the profile\'s nodeReady timeout.',
      source: 'KubeEdge e2e (kubeedge tests/e2e/utils/node.go CheckNodeReadyStatus: the edge node must be Ready; upstream waits without a timeout, here the profile\'s nodeReady budget)',
      remediation: 'check edgecore\'s log for the cloud connection (token, CA, cloudcore address) and the node\'s conditions (`kubectl describe node`)',
    },
    async (c) => {
      const s = await cloudOf(c, SUITE);
      const r = await waitFor(`node ${s.nodeName} Ready`, c.timeouts.nodeReady, async () => {
        const n = await readNode(s);
        return { done: nodeReady(n) === 'True', state: n ? `Ready=${nodeReady(n)}` : 'not registered' };
      }, { intervalMs: 500, onTimeout: 'FAIL' });
      c.measure('node Ready seen after', r.elapsedMs, 'ms');
    },
  );

  check(
    {
      id: 'EDGECORE-NODE-LABELS',
      title: 'The node carries the edge role labels',
      requirement: 'The Node MUST carry the labels `node-role.kubernetes.io/edge` and `node-role.kubernetes.io/agent`, each with the value "".',
      source: 'KubeEdge edged node registration (role labels); KubeEdge docs (workloads select edge nodes by node-role.kubernetes.io/edge)',
      remediation: 'let edgecore register the node itself (do not pre-create it with other labels); remove wrong values with `kubectl label node <n> node-role.kubernetes.io/edge= --overwrite`',
      dependsOn: ['EDGECORE-NODE-READY'],
    },
    async (c) => {
      const { n } = await node(c);
      const l = n!.metadata?.labels ?? {};
      const wrong = ['node-role.kubernetes.io/edge', 'node-role.kubernetes.io/agent'].filter((k) => l[k] !== '').map((k) => `${k}=${k in l ? JSON.stringify(l[k]) : '(missing)'}`);
      c.note('node labels', Object.entries(l).map(([k, v]) => `${k}=${v}`).join('\n'));
      c.assert(wrong.length === 0, `edge role labels wrong: ${wrong.join(', ')}`);
    },
  );

  check(
    {
      id: 'EDGECORE-NODE-ARCH',
      title: 'The node reports the board\'s architecture',
      requirement: 'The Node\'s `kubernetes.io/arch` label (and status.nodeInfo.architecture) MUST match the board\'s CPU architecture.',
      source: 'k8s well-known label kubernetes.io/arch (kubernetes/api core/v1 well_known_labels.go LabelArchStable; images and node selectors are chosen by it)',
      remediation: 'run the edgecore build for the board\'s architecture (seed 002 builds an arm64 static edgecore for the RK3568)',
      dependsOn: ['EDGECORE-NODE-READY'],
    },
    async (c) => {
      const { n } = await node(c);
      const want = dockerArch(c.board.facts.machine);
      const label = n!.metadata?.labels?.['kubernetes.io/arch'];
      const info = n!.status?.nodeInfo?.architecture;
      c.assert(label === want, `kubernetes.io/arch is ${JSON.stringify(label)}, the board is ${c.board.facts.machine} (${want})`);
      c.assert(info === want, `status.nodeInfo.architecture is ${JSON.stringify(info)}, the board is ${want}`);
    },
  );

  check(
    {
      id: 'EDGECORE-NODE-VERSION',
      title: 'The node reports a KubeEdge kubelet version',
      requirement: 'status.nodeInfo.kubeletVersion MUST match `^v\\d+\\.\\d+\\.\\d+-kubeedge-v\\d+\\.\\d+\\.\\d+`.',
      source: 'KubeEdge edged (reports `<k8s version>-kubeedge-<KubeEdge version>`); KubeEdge e2e node checks',
      remediation: 'run a released edgecore build (its version is stamped at build time); a kubelet registering the node shows a plain version',
      dependsOn: ['EDGECORE-NODE-READY'],
    },
    async (c) => {
      const { n } = await node(c);
      const v = n!.status?.nodeInfo?.kubeletVersion ?? '';
      c.note('kubeletVersion', v);
      c.assert(/^v\d+\.\d+\.\d+-kubeedge-v\d+\.\d+\.\d+/.test(v), `kubeletVersion ${JSON.stringify(v)} is not a KubeEdge version`);
    },
  );

  check(
    {
      id: 'EDGECORE-NODE-INTERNAL-IP',
      title: 'The node\'s InternalIP is the configured interface\'s address',
      requirement: 'The Node\'s InternalIP MUST be the IPv4 address of the interface edgecore is configured to use (modules.edged.nodeIP, else customInterfaceName, else the default route\'s interface).',
      source: 'seed 002 reference edgecore.yaml (customInterfaceName: wlan0); EdgeMesh tunnels to peers by InternalIP',
      remediation: 'set modules.edged.customInterfaceName (or nodeIP) to the uplink the cloud and other boards reach',
      dependsOn: ['EDGECORE-NODE-READY'],
    },
    async (c) => {
      const cfg = await edgecoreConfig(c);
      const { n } = await node(c);
      let want = cfg.nodeIP;
      let how = 'modules.edged.nodeIP';
      if (!want) {
        let iface = cfg.interfaceName;
        how = `interface ${iface} (modules.edged.customInterfaceName)`;
        if (!iface) {
          const rt = await c.must('cat /proc/net/route', { what: 'reading /proc/net/route' });
          iface = defaultRoutes(parseProcNetRoute(rt.stdout).routes)[0]?.iface;
          how = `interface ${iface} (default route)`;
        }
        c.assert(iface, 'no interface configured and no default route to pick one from');
        const a = await c.run(`ip -4 addr show dev ${shQuote(iface!)} 2>/dev/null || ifconfig ${shQuote(iface!)}`, { timeout: c.timeouts.command });
        want = ipv4Of(a.stdout) ?? /inet (?:addr:)?(\d+\.\d+\.\d+\.\d+)/.exec(a.stdout)?.[1];
        c.assert(want, `${how} has no IPv4 address on the board`);
      }
      const got = (n!.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);
      c.assert(got.includes(want!), `InternalIP is ${got.join(', ') || '(none)'}, but ${how} has ${want}`);
    },
  );
});
