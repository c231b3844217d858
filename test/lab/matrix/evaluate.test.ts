import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../../harness/core/outcome.ts';
import { evaluateMatrix } from '../../../lab/matrix/evaluate.ts';
import type { MatrixEntry } from '../../../lab/matrix/expectations.ts';
import type { Summary } from '../../../harness/report/summary.ts';

const summary = (board: string, outcomes: Record<string, Outcome>): Summary =>
  ({
    boards: [{ id: board, checks: Object.entries(outcomes).map(([id, outcome]) => ({ id, outcome, message: outcome === 'SKIP' ? 'n/a here' : `${id} ${outcome}` })) }],
  }) as unknown as Summary;
const entry = (checkId: string, name: string, alsoFails: string[] = []): MatrixEntry => ({ checkId, defect: { name }, alsoFails, outcomes: ['FAIL'], file: 'x.yaml' });

describe('negative-conformance evaluation', () => {
  const expectations = [entry('NET-A', 'ip_forward_off', ['NET-C']), entry('NET-B', 'no_rule_pref_1')];
  const defectBoards = [
    { id: 'd-fwd', defects: [{ name: 'ip_forward_off' }] },
    { id: 'd-rule', defects: [{ name: 'no_rule_pref_1' }] },
  ];
  const base = { catalogue: ['NET-A', 'NET-B', 'NET-C'], expectations, defectBoards };

  it('proves each expected FAIL and computes fidelity', () => {
    const v = evaluateMatrix({
      ...base,
      conformant: [summary('good', { 'NET-A': 'PASS', 'NET-B': 'PASS', 'NET-C': 'SKIP' })],
      defective: [summary('d-fwd', { 'NET-A': 'FAIL', 'NET-B': 'PASS', 'NET-C': 'FAIL' }), summary('d-rule', { 'NET-A': 'PASS', 'NET-B': 'FAIL', 'NET-C': 'PASS' })],
    });
    expect(v.problems).toEqual([]);
    expect(v.fidelity).toEqual({ proven: 2, total: 3, percent: 66.7 });
    expect(v.unproven).toEqual(['NET-C']);
  });

  it('flags a conformant board that fails, an expected FAIL that did not happen, and an unexpected FAIL', () => {
    const v = evaluateMatrix({
      ...base,
      conformant: [summary('good', { 'NET-A': 'PASS', 'NET-B': 'INFRA', 'NET-C': 'PASS' })],
      defective: [summary('d-fwd', { 'NET-A': 'PASS', 'NET-B': 'FAIL', 'NET-C': 'PASS' }), summary('d-rule', { 'NET-A': 'PASS', 'NET-B': 'FAIL', 'NET-C': 'PASS' })],
    });
    expect(v.problems).toEqual([
      'conformant board good: NET-B is INFRA: NET-B INFRA',
      'NET-A: expected FAIL on d-fwd (ip_forward_off), got PASS: NET-A PASS',
      'defect board d-fwd: unexpected FAIL of NET-B: NET-B FAIL',
    ]);
  });

  it('flags an expectation whose defect no board carries, and INFRA on a defect board', () => {
    const v = evaluateMatrix({
      ...base,
      expectations: [...expectations, entry('NET-C', 'selinux_enforcing')],
      conformant: [],
      defective: [summary('d-fwd', { 'NET-A': 'FAIL', 'NET-B': 'INFRA' }), summary('d-rule', { 'NET-B': 'FAIL' })],
    });
    expect(v.problems).toContain('NET-C: no defect board carries defect `selinux_enforcing`');
    expect(v.problems.some((p) => p.startsWith('defect board d-fwd: NET-B is INFRA'))).toBe(true);
  });

  it('counts a security finding (nightly profile) as catching its defect', () => {
    const withFinding = summary('d-fwd', { 'NET-A': 'PASS', 'NET-C': 'PASS' });
    (withFinding.boards[0]!.checks[0] as { finding?: string }).finding = 'dockerd listens on 0.0.0.0:2375 without TLS';
    const v = evaluateMatrix({ ...base, expectations: [expectations[0]!], conformant: [], defective: [withFinding], defectBoards: [defectBoards[0]!] });
    expect(v.problems).toEqual([]);
    expect(v.proven[0]).toMatchObject({ checkId: 'NET-A', outcome: 'FAIL' });
  });
});
