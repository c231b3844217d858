import { check, suite } from '../harness/check/index.ts';

suite('network', () => {
  check(
    {
      id: 'NET-IP-FORWARD',
      title: 'IPv4 forwarding is enabled',
      requirement: 'The board MUST forward IPv4 packets (net.ipv4.ip_forward = 1) so that container traffic leaves through the bridge.',
      source: 'seed 002 "Modify the network kernel configuration" (packet forward function); k8s kubeadm preflight FileContent--proc-sys-net-ipv4-ip_forward',
      remediation: 'sysctl -w net.ipv4.ip_forward=1 (persist it in the board init scripts)',
    },
    async (c) => {
      const r = await c.must('cat /proc/sys/net/ipv4/ip_forward', { what: 'reading net.ipv4.ip_forward' });
      const v = r.stdout.trim();
      c.assert(v === '1', `net.ipv4.ip_forward is ${JSON.stringify(v)}, expected "1"`);
    },
  );
});
