import { z } from 'zod';

// A check reads like its requirement: ID, MUST sentence, source, remediation.
export const SUITES = ['kernel', 'cgroups', 'storage', 'network', 'runtime', 'security', 'edgecore', 'scheduling', 'edgemesh', 'autonomy', 'budgets'] as const;
export type SuiteName = (typeof SUITES)[number];

export const CheckMeta = z.strictObject({
  id: z.string().regex(/^[A-Z0-9]+(-[A-Z0-9]+)+$/, 'an ID like NET-IP-FORWARD'),
  title: z.string().min(5),
  requirement: z.string().regex(/\bMUST( NOT)?\b/, 'a requirement sentence using MUST or MUST NOT'),
  /** a seed step/problem, an upstream source (moby check-config.sh, k8s system-validators, keadm) or a KubeEdge claim */
  source: z.string().min(5),
  remediation: z.string().min(5),
  severity: z.enum(['blocker', 'critical', 'normal', 'minor']).default('critical'),
  /** checks whose non-PASS outcome makes this one SKIP (blocked) instead of failing for the same cause */
  dependsOn: z.array(z.string()).default([]),
  /** a security finding: FAIL under a certify profile, reported as a finding otherwise */
  finding: z.boolean().default(false),
});
export type CheckMetaInput = z.input<typeof CheckMeta>;
export type CheckMeta = z.infer<typeof CheckMeta> & { suite: SuiteName };
