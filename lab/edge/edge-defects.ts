// Defects the edge stand-ins can carry, by name (the lab passes the board's DefectSpec list through edgeUp). Each
// one breaks the behaviour one cloud-side check verifies; lab/matrix/expectations-cloud.yaml says which.
import { z } from 'zod';
import { usage } from '../../harness/core/errors.ts';

const flag = z.undefined();
const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const EDGE_DEFECTS = {
  edgecore_stopped: { arg: flag, summary: 'edgecore is configured but not started' },
  edgecore_config: { arg: z.record(z.string().regex(/^[A-Za-z0-9.]+$/), scalar), summary: 'edgecore.yaml fields overridden (dotted paths, e.g. modules.edged.cgroupDriver: systemd)' },
  edgecore_misreport: { arg: z.array(z.enum(['labels', 'arch', 'version', 'internal_ip'])).min(1), summary: 'the Node reports wrong role labels / arch / kubeletVersion / InternalIP' },
  edgecore_memory_ballast: { arg: z.number().int().min(1).max(2048), summary: 'edgecore holds N MB of touched memory' },
  edgecore_pod_start_delay: { arg: z.number().int().min(1), summary: 'edgecore waits N ms before starting a new pod' },
  edgecore_slow_registration: { arg: z.number().int().min(1), summary: 'edgecore waits N ms after start before registering' },
  edgecore_private_root_dir: { arg: flag, summary: 'edged root dir on a mount dockerd cannot see (seed 002 problem 6): pods never start' },
  edgecore_deletion_stuck: { arg: flag, summary: 'edgecore never finishes graceful pod deletions' },
  edgecore_leaks_containers: { arg: flag, summary: 'edgecore leaves containers behind when pods go' },
  edgecore_ignores_volumes: { arg: flag, summary: 'edgecore mounts no hostPath/emptyDir volumes' },
  edgecore_kills_pods_offline: { arg: flag, summary: 'edgecore removes its pods when the cloud is unreachable' },
  edgecore_metaserver_no_cache: { arg: flag, summary: 'the metaServer answers only while the cloud is reachable' },
  edgecore_restarts_pods_on_reconnect: { arg: flag, summary: 'edgecore recreates every container when the cloud comes back' },
  edge_link_never_restored: { arg: flag, summary: 'edgecore stops talking to the cloud after the first failure' },
  kubelet_running: { arg: flag, summary: 'a process named kubelet runs on the board' },
  edgemesh_dns_missing: { arg: flag, summary: 'EdgeMesh runs without its DNS (nothing on 169.254.96.16)' },
  edgemesh_proxy_missing: { arg: flag, summary: 'EdgeMesh runs without proxy, tunnel and gateway' },
  edgemesh_flaky: { arg: z.number().int().min(2), summary: 'EdgeMesh drops every Nth connection' },
  edgemesh_slow: { arg: z.number().int().min(1), summary: 'EdgeMesh waits N ms before each upstream connect' },
} as const;

export type EdgeDefectName = keyof typeof EDGE_DEFECTS;
export interface EdgeDefect {
  name: string;
  arg?: unknown;
}

/** The edge defects among a board's defects (others belong to the board itself); unknown edge-ish names are errors. */
export function edgeDefects(all: readonly EdgeDefect[]): { name: EdgeDefectName; arg?: unknown }[] {
  const out: { name: EdgeDefectName; arg?: unknown }[] = [];
  for (const d of all) {
    if (!(d.name in EDGE_DEFECTS)) continue;
    const spec = EDGE_DEFECTS[d.name as EdgeDefectName];
    const r = (spec.arg as z.ZodType).safeParse(d.arg);
    if (!r.success) throw usage(`edge defect \`${d.name}\`: bad argument: ${r.error.issues[0]?.message}`);
    out.push({ name: d.name as EdgeDefectName, arg: r.data });
  }
  return out;
}

/** `--defect` flags of each stand-in for these defects. */
export function standInFlags(ds: readonly { name: EdgeDefectName; arg?: unknown }[]): { edgecore: string[]; edgemesh: string[] } {
  const edgecore: string[] = [];
  const edgemesh: string[] = [];
  const f = (list: string[], v: string) => list.push('--defect', v);
  for (const d of ds) {
    switch (d.name) {
      case 'edgecore_misreport':
        for (const what of d.arg as string[]) f(edgecore, { labels: 'wrong-labels', arch: 'wrong-arch', version: 'bad-version', internal_ip: 'wrong-internal-ip' }[what]!);
        break;
      case 'edgecore_memory_ballast':
        f(edgecore, `ballast-mb=${d.arg}`);
        break;
      case 'edgecore_pod_start_delay':
        f(edgecore, `pod-start-delay-ms=${d.arg}`);
        break;
      case 'edgecore_slow_registration':
        f(edgecore, `slow-registration-ms=${d.arg}`);
        break;
      case 'edgecore_deletion_stuck':
        f(edgecore, 'deletion-stuck');
        break;
      case 'edgecore_leaks_containers':
        f(edgecore, 'leak-containers');
        break;
      case 'edgecore_ignores_volumes':
        f(edgecore, 'ignore-volumes');
        break;
      case 'edgecore_kills_pods_offline':
        f(edgecore, 'kill-pods-offline');
        break;
      case 'edgecore_metaserver_no_cache':
        f(edgecore, 'metaserver-no-cache');
        break;
      case 'edgecore_restarts_pods_on_reconnect':
        f(edgecore, 'restart-pods-on-reconnect');
        break;
      case 'edge_link_never_restored':
        f(edgecore, 'no-reconnect');
        break;
      case 'edgemesh_dns_missing':
        f(edgemesh, 'no-dns');
        break;
      case 'edgemesh_proxy_missing':
        f(edgemesh, 'no-proxy');
        break;
      case 'edgemesh_flaky':
        f(edgemesh, `flaky=${d.arg}`);
        break;
      case 'edgemesh_slow':
        f(edgemesh, `slow-ms=${d.arg}`);
        break;
      default:
        // handled by edgeUp itself (stopped, config, private root dir, kubelet decoy)
        break;
    }
  }
  return { edgecore, edgemesh };
}
