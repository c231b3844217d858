import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { EdgecertError, classify } from '../../harness/core/errors.ts';
import { exitCodeFor } from '../../harness/check/verdict.ts';
import { shJoin, shQuote } from '../../harness/core/quote.ts';
import { redact, redactDeep, registerSecret } from '../../harness/core/redact.ts';
import { waitFor } from '../../harness/core/wait.ts';
import { HOSTILE } from '../transport/conformance.ts';

describe('shQuote', () => {
  it('round-trips hostile values through a real shell', () => {
    for (const v of HOSTILE) expect(execFileSync('/bin/sh', ['-c', `printf '%s' ${shQuote(v)}`]).toString()).toBe(v);
    expect(execFileSync('/bin/sh', ['-c', `printf '%s|' ${shJoin(HOSTILE)}`]).toString()).toBe(HOSTILE.map((v) => `${v}|`).join(''));
  });
  it('refuses NUL bytes', () => expect(() => shQuote('a\0b')).toThrow(/NUL/));
});

describe('outcomes', () => {
  it('maps outcomes to exit codes: FAIL 1, INFRA 2, else 0', () => {
    expect(exitCodeFor(['PASS', 'SKIP'], false)).toBe(0);
    expect(exitCodeFor(['PASS', 'INFRA', 'FAIL'], false)).toBe(1);
    expect(exitCodeFor(['PASS', 'INFRA'], false)).toBe(2);
    expect(exitCodeFor(['NOT_RUN'], false)).toBe(2);
  });
  it('classifies unknown errors as INFRA, never FAIL', () => {
    expect(classify(new TypeError('x'))).toBe('INFRA');
    expect(classify(new EdgecertError('FAIL', 'x'))).toBe('FAIL');
  });
});

describe('redaction', () => {
  it('removes tokens, keys and registered secrets', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE2NTY5NDQ5MzV9.ff38T0LnXpJEdndfSvOuUUofG-5umKQY0IZ36_MFAOs';
    const kube = `${'e8ceef8db0cd06fad0cc13c966527eb06b4c09a5f85818635b2a777ea915945d'}.${jwt}`;
    const out = redact(`token: ${kube}\nAuthorization: Bearer abcdef123456\n-----BEGIN OPENSSH PRIVATE KEY-----\nAAA\n-----END OPENSSH PRIVATE KEY-----\nclient-key-data: QUJD`);
    expect(out).not.toContain('e8ceef8d');
    expect(out).not.toContain('ff38T0L');
    expect(out).not.toContain('abcdef123456');
    expect(out).not.toContain('AAA');
    expect(out).not.toContain('QUJD');
    registerSecret('s3cr3t-value-xyz');
    expect(redactDeep({ a: ['x s3cr3t-value-xyz y'] })).toEqual({ a: ['x [REDACTED] y'] });
  });
});

describe('waitFor', () => {
  it('returns once the probe is done', async () => {
    let n = 0;
    const r = await waitFor('counter to reach 3', 5000, async () => ({ done: ++n >= 3, state: n }), { intervalMs: 10 });
    expect(r.state).toBe(3);
    expect(r.attempts).toBe(3);
  });
  it('reports the last state seen on timeout, with the chosen outcome class', async () => {
    let n = 0;
    const err = await waitFor('node Ready', 200, async () => ({ done: false, state: { ready: 'False', n: ++n } }), { intervalMs: 20, onTimeout: 'FAIL' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgecertError);
    expect((err as EdgecertError).outcome).toBe('FAIL');
    expect((err as Error).message).toMatch(/timed out after 200 ms waiting for node Ready; last state seen: \{"ready":"False","n":\d+\}/);
  });
  it('reports the last error when the probe keeps throwing', async () => {
    const err = await waitFor('x', 100, async () => {
      throw new Error('connection refused');
    }, { intervalMs: 20 }).catch((e: unknown) => e);
    expect((err as EdgecertError).outcome).toBe('INFRA');
    expect((err as Error).message).toMatch(/last state seen: error: connection refused/);
  });
});
