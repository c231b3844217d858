// Reading what a limited container did: CPU share from two docker stats samples, and the marker lines the
// memory / pids test scripts print.

export interface CpuSample {
  /** dockerd's clock at the sample (the `read` field) */
  readMs: number;
  /** cumulative CPU time of the container's cgroup, ns */
  usageNs: number;
}

/** One `GET /containers/{id}/stats?stream=false` answer -> a sample; undefined when the fields are missing. */
export function cpuSample(stats: unknown): CpuSample | undefined {
  const s = stats as { read?: unknown; cpu_stats?: { cpu_usage?: { total_usage?: unknown } } } | null;
  const readMs = typeof s?.read === 'string' ? Date.parse(s.read) : NaN;
  const usage = s?.cpu_stats?.cpu_usage?.total_usage;
  if (!Number.isFinite(readMs) || typeof usage !== 'number' || !Number.isFinite(usage)) return undefined;
  return { readMs, usageNs: usage };
}

/** CPUs used between two samples (1.0 = one full CPU). */
export function cpuShare(a: CpuSample, b: CpuSample): number | undefined {
  const wallNs = (b.readMs - a.readMs) * 1e6;
  if (!(wallNs > 0) || b.usageNs < a.usageNs) return undefined;
  return (b.usageNs - a.usageNs) / wallNs;
}

/** `key=value` marker lines a test script printed (later lines win). */
export function markers(output: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of output.split('\n')) {
    const kv = /^ec-([a-z0-9-]+)=(.*)$/.exec(line.trim());
    if (kv) m.set(kv[1]!, kv[2]!);
  }
  return m;
}

/** The CFS quota the container's cgroup holds: v1 cpu.cfs_quota_us + cpu.cfs_period_us, or v2 cpu.max. */
export function cfsQuota(quotaUs: string | undefined, periodUs: string | undefined, cpuMax: string | undefined): number | undefined {
  if (cpuMax?.trim()) {
    const [q, p] = cpuMax.trim().split(/\s+/);
    if (q === 'max') return Infinity;
    return Number(q) > 0 && Number(p) > 0 ? Number(q) / Number(p) : undefined;
  }
  if (quotaUs === undefined || periodUs === undefined) return undefined;
  const q = Number(quotaUs.trim());
  const p = Number(periodUs.trim());
  if (!Number.isFinite(q) || !(p > 0)) return undefined;
  return q < 0 ? Infinity : q / p;
}
