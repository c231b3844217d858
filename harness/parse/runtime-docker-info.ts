// GET /info of the board's dockerd: what the runtime suite asserts and records (version, driver, warnings).
import { z } from 'zod';

// only the fields the checks read; everything else in the answer is kept as evidence, not validated
const Info = z.looseObject({
  ServerVersion: z.string().min(1),
  Driver: z.string().min(1),
  OSType: z.string().optional(),
  Architecture: z.string().optional(),
  KernelVersion: z.string().optional(),
  OperatingSystem: z.string().optional(),
  CgroupDriver: z.string().optional(),
  CgroupVersion: z.string().optional(),
  DockerRootDir: z.string().optional(),
  DefaultRuntime: z.string().optional(),
  MemoryLimit: z.boolean().optional(),
  SwapLimit: z.boolean().optional(),
  CpuCfsQuota: z.boolean().optional(),
  PidsLimit: z.boolean().optional(),
  IPv4Forwarding: z.boolean().optional(),
  Warnings: z.array(z.string()).nullish(),
});
export type DockerInfo = z.infer<typeof Info>;

export function parseDockerInfo(body: unknown): { info: DockerInfo } | { error: string } {
  let v = body;
  if (Buffer.isBuffer(v)) v = v.toString('utf8');
  if (typeof v === 'string') {
    const text = v;
    try {
      v = JSON.parse(text);
    } catch {
      return { error: `not JSON: ${JSON.stringify(text.slice(0, 200))}` };
    }
  }
  const parsed = Info.safeParse(v);
  if (!parsed.success) return { error: parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ') };
  return { info: parsed.data };
}

/** Capabilities docker itself reports as missing: each one makes a runtime limit check fail later. */
export function missingCapabilities(info: DockerInfo): string[] {
  const caps: [keyof DockerInfo, string][] = [
    ['MemoryLimit', 'memory limit'],
    ['CpuCfsQuota', 'CPU CFS quota'],
    ['PidsLimit', 'pids limit'],
    ['IPv4Forwarding', 'IPv4 forwarding'],
  ];
  return caps.filter(([k]) => info[k] === false).map(([, what]) => what);
}

/** Docker's GOARCH-style name of a `uname -m` / Info.Architecture value. */
export function dockerArch(machine: string): string {
  const m = machine.trim();
  return ({ x86_64: 'amd64', aarch64: 'arm64', armv7l: 'arm', armv8l: 'arm', armhf: 'arm', i686: '386' } as Record<string, string>)[m] ?? m;
}
