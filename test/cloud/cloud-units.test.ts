// Pieces of the cloud side that need no board: the stand-ins' YAML reader, defect flags, the Endpoints controller's
// arithmetic, DNS answers, the run namespace name, kubeconfig errors and edgecore.yaml facts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EdgecertError } from '../../harness/core/errors.ts';
import { loadKubeconfig, runNamespace } from '../../harness/fixtures/cloud.ts';
import { isDns1123Subdomain, parseEdgecoreConfig, parseProcesses } from '../../harness/parse/cloud-edgecore.ts';
import { answer } from '../../lab/edge/agent/mesh-dns.ts';
import { parseYaml } from '../../lab/edge/agent/mini-yaml.ts';
import { edgeDefects, standInFlags } from '../../lab/edge/edge-defects.ts';
import { renderEdgecoreYaml } from '../../lab/edge/edgecore-yaml.ts';
import { desiredEndpoints } from '../../lab/edge/endpoints-controller.ts';

describe('edgecore.yaml', () => {
  const text = renderEdgecoreYaml({ nodeName: 'vl-linux-1', server: 'https://10.77.0.1:6443', token: 'abc.def', sandboxImage: 'edgecert/busybox:lab' });
  it('the stand-in reader and the checks read the same values from the file the lab writes', () => {
    const y = parseYaml(text) as any;
    expect(y.modules.edged.hostnameOverride).toBe('vl-linux-1');
    expect(y.modules.metaManager.metaServer.enable).toBe(true);
    const f = parseEdgecoreConfig(text);
    if ('error' in f) throw new Error(f.error);
    expect(f).toMatchObject({ hostnameOverride: 'vl-linux-1', cgroupDriver: 'cgroupfs', clusterDNS: ['169.254.96.16'], metaServerEnabled: true, interfaceName: 'eth0' });
    expect(f.cloudEndpoints).toEqual([{ host: '10.77.0.1', port: 6443, field: 'modules.edgeHub.websocket.server' }]);
  });
  it('applies dotted overrides (defect edgecore_config)', () => {
    const t = renderEdgecoreYaml({ nodeName: 'x', server: 'https://10.77.0.1:6443', token: 't', sandboxImage: 'i', overrides: { 'modules.edged.cgroupDriver': 'systemd', 'modules.metaManager.metaServer.enable': false } });
    const f = parseEdgecoreConfig(t) as any;
    expect(f.cgroupDriver).toBe('systemd');
    expect(f.metaServerEnabled).toBe(false);
  });
  it('reads the v1alpha2 layout and lists', () => {
    const y = parseYaml('modules:\n  edged:\n    tailoredKubeletConfig:\n      clusterDNS:\n      - 169.254.96.16\n      cgroupDriver: "cgroupfs" # c\n');
    expect(y).toEqual({ modules: { edged: { tailoredKubeletConfig: { clusterDNS: ['169.254.96.16'], cgroupDriver: 'cgroupfs' } } } });
  });
  it('node names', () => {
    expect(isDns1123Subdomain('vl-linux-1')).toBe(true);
    expect(isDns1123Subdomain('Edge_Node')).toBe(false);
  });
});

describe('defects', () => {
  it('maps edge defects to stand-in flags and ignores board defects', () => {
    const d = edgeDefects([{ name: 'ip_forward_off' }, { name: 'edgecore_misreport', arg: ['labels', 'arch'] }, { name: 'edgemesh_flaky', arg: 10 }]);
    expect(standInFlags(d)).toEqual({ edgecore: ['--defect', 'wrong-labels', '--defect', 'wrong-arch'], edgemesh: ['--defect', 'flaky=10'] });
  });
  it('rejects a bad argument', () => {
    expect(() => edgeDefects([{ name: 'edgecore_memory_ballast', arg: 'lots' }])).toThrow(/bad argument/);
  });
});

describe('Endpoints controller', () => {
  it('ready pods in addresses, others in notReadyAddresses, target ports resolved by name', () => {
    const svc = { metadata: { name: 'web', namespace: 'n' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'web' }] } };
    const pod = (name: string, ready: boolean) => ({ metadata: { name, namespace: 'n', uid: name, labels: { app: 'web' } }, spec: { nodeName: 'b1', containers: [{ ports: [{ name: 'web', containerPort: 8080 }] }] }, status: { podIP: `172.30.1.${name.length}`, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } });
    const ep = desiredEndpoints(svc, [pod('a', true), pod('bb', false), { ...pod('ccc', true), metadata: { ...pod('ccc', true).metadata, labels: { app: 'other' } } }]);
    expect(ep.subsets).toEqual([{ addresses: [expect.objectContaining({ ip: '172.30.1.1', nodeName: 'b1' })], notReadyAddresses: [expect.objectContaining({ ip: '172.30.1.2' })], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }]);
  });
});

describe('EdgeMesh DNS', () => {
  const query = (name: string, type = 1) => {
    const labels = Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
    const head = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    const tail = Buffer.alloc(4);
    tail.writeUInt16BE(type, 0);
    tail.writeUInt16BE(1, 2);
    return Buffer.concat([head, labels, tail]);
  };
  const lookup = (n: string) => (n === 'web.n.svc.cluster.local' ? '10.96.0.5' : n.endsWith('.cluster.local') ? null : undefined);
  it('answers A records of services and NXDOMAIN inside the cluster domain', () => {
    const a = answer(query('web.n.svc.cluster.local'), lookup)!;
    expect(a.readUInt16BE(0)).toBe(0x1234);
    expect(a.readUInt16BE(6)).toBe(1);
    expect([...a.subarray(a.length - 4)]).toEqual([10, 96, 0, 5]);
    expect(answer(query('nope.n.svc.cluster.local'), lookup)!.readUInt16BE(2) & 0x0f).toBe(3);
    expect(answer(query('example.org'), lookup)).toBeUndefined();
  });
});

describe('cloud fixture', () => {
  it('names the run namespace DNS-1123 and at most 63 characters', () => {
    expect(runNamespace('20261122-001500-ab12', 'vl-linux-1', 'edgecore')).toBe('edgecert-20261122-001500-ab12-vl-linux-1-edgecore');
    const long = runNamespace('20261122-001500-ab12', 'a-very-long-board-identifier-for-the-lab', 'scheduling');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(isDns1123Subdomain(long)).toBe(true);
  });
  it('a missing or invalid kubeconfig is one USAGE error naming the file, never a FAIL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    const missing = join(dir, 'nope');
    const e1 = (() => { try { loadKubeconfig(missing); } catch (e) { return e; } })() as EdgecertError;
    expect(e1.outcome).toBe('USAGE');
    expect(e1.message).toContain(missing);
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'clusters: [: nope');
    const e2 = (() => { try { loadKubeconfig(bad); } catch (e) { return e; } })() as EdgecertError;
    expect(e2.outcome).toBe('USAGE');
    expect(e2.message).toContain(bad);
  });
  it('parses the board process probe', () => {
    expect(parseProcesses('1 init\n42 edgecore\n@@end\n')).toEqual({ procs: [{ pid: 1, comm: 'init' }, { pid: 42, comm: 'edgecore' }], complete: true });
  });
});
