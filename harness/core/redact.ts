// Nothing that leaves the process (reports, logs, evidence) may carry a token, key or kubeconfig credential.
const registered = new Set<string>();

/** Register a secret value known at runtime (a join token read from the board, a bearer token) for redaction. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 6) registered.add(value);
}

const PATTERNS: [RegExp, string][] = [
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/g, '[REDACTED PRIVATE KEY]'],
  [/\b(eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})/g, '[REDACTED JWT]'],
  [/\b([0-9a-f]{64})\.(eyJ[A-Za-z0-9_-]*)/g, '[REDACTED TOKEN]'],
  [/((?:^|[\s"'{,])(?:token|password|passwd|secret|client-key-data|client-certificate-data|bearer)["']?\s*[:=]\s*["']?)[^\s"',}]+/gim, '$1[REDACTED]'],
  [/(Authorization:\s*(?:Bearer|Basic)\s+)\S+/gi, '$1[REDACTED]'],
];

export function redact(text: string): string {
  let out = text;
  for (const s of registered) out = out.split(s).join('[REDACTED]');
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
  return out;
}

/** Deep-redact every string of a JSON-like value. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map(redactDeep) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)])) as T;
  }
  return value;
}
