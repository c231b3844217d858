// `ip rule` output (iproute2, busybox and Android's ip print the same shape): the routing policy the seeds fix.

/** What a rule does when it matches. */
export type RuleAction =
  | { kind: 'lookup'; table: string }
  | { kind: 'unreachable' | 'prohibit' | 'blackhole' | 'nop' }
  | { kind: 'goto'; target: string };

export interface IpRule {
  pref: number;
  /** the selector as printed, e.g. `from all fwmark 0xc0000/0xd0000` */
  selector: string;
  action: RuleAction;
  /** `from all` and nothing else: it matches every packet */
  unconditional: boolean;
  /** suppress_prefixlength / suppress_ifgroup: the lookup result may be thrown away */
  suppressing: boolean;
  raw: string;
}

export interface ParsedRules {
  rules: IpRule[];
  /** non-empty lines that are not rules: garbage or truncated output */
  unparsed: string[];
}

// the kernel's reserved table ids, printed by number when the tool has no name table
const TABLE_NAMES: Record<string, string> = { '255': 'local', '254': 'main', '253': 'default', '0': 'unspec' };
const ACTION_WORDS = new Set(['lookup', 'table', 'unreachable', 'prohibit', 'blackhole', 'goto', 'nop']);

export function parseIpRules(text: string): ParsedRules {
  const rules: IpRule[] = [];
  const unparsed: string[] = [];
  for (const line of text.split('\n')) {
    const raw = line.replace(/\s+$/, '');
    if (!raw.trim()) continue;
    const m = /^(\d+):\s+(\S.*)$/.exec(raw);
    const rule = m ? parseBody(Number(m[1]), m[2]!, raw) : undefined;
    if (rule) rules.push(rule);
    else unparsed.push(raw);
  }
  return { rules, unparsed };
}

function parseBody(pref: number, body: string, raw: string): IpRule | undefined {
  const words = body.split(/\s+/);
  const at = words.findIndex((w) => ACTION_WORDS.has(w));
  if (at < 1) return undefined;
  const selectorWords = words.slice(0, at);
  if (selectorWords[0] !== 'from' && selectorWords[0] !== 'not') return undefined;
  const verb = words[at]!;
  let action: RuleAction;
  if (verb === 'lookup' || verb === 'table') {
    const t = words[at + 1];
    if (!t) return undefined;
    action = { kind: 'lookup', table: TABLE_NAMES[t] ?? t };
  } else if (verb === 'goto') {
    const t = words[at + 1];
    if (!t) return undefined;
    action = { kind: 'goto', target: t };
  } else action = { kind: verb as 'unreachable' | 'prohibit' | 'blackhole' | 'nop' };
  const rest = words.slice(at + 1);
  return {
    pref,
    selector: selectorWords.join(' '),
    action,
    unconditional: selectorWords.join(' ') === 'from all',
    suppressing: rest.some((w) => w.startsWith('suppress_')),
    raw,
  };
}

export const describeRule = (r: IpRule): string => r.raw.replace(/\s+/g, ' ').trim();

const isPlainLookup = (r: IpRule, table: string) => r.unconditional && !r.suppressing && r.action.kind === 'lookup' && r.action.table === table;

/**
 * The seeds' policy (`ip rule add pref 1 from all lookup main`, `pref 2 ... lookup default`): apart from `local`,
 * the first rule the kernel consults looks up main for every packet, and the second looks up default. Vendor
 * rules (Android's fwmark/iif/uid rules, per-interface tables, the final unreachable) may only follow.
 * Returns the problems found; empty means conformant.
 */
export function seedRulePolicyProblems(rules: readonly IpRule[]): string[] {
  const ordered = [...rules].sort((a, b) => a.pref - b.pref).filter((r) => !(r.action.kind === 'lookup' && r.action.table === 'local'));
  const problems: string[] = [];
  const main = ordered.findIndex((r) => isPlainLookup(r, 'main'));
  const dflt = ordered.findIndex((r) => isPlainLookup(r, 'default'));
  if (main < 0) problems.push('no `from all lookup main` rule: the main table (docker0, the default route) is never consulted for every packet');
  else if (main > 0) {
    problems.push(`\`${describeRule(ordered[main]!)}\` comes after ${ordered.slice(0, main).map((r) => `\`${describeRule(r)}\``).join(', ')}: those rules are consulted before the main table`);
  }
  if (dflt < 0) problems.push('no `from all lookup default` rule');
  else if (main >= 0) {
    const next = ordered[main + 1];
    if (!next || !isPlainLookup(next, 'default')) {
      problems.push(`the rule after main is ${next ? `\`${describeRule(next)}\`` : 'none'}, expected \`from all lookup default\``);
    }
  }
  return problems;
}
