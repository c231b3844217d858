// `iptables -S` (rule-spec listing) of one table, and a small evaluator that follows one packet through a chain:
// enough to tell whether Android's netd chains drop container traffic and whether docker's MASQUERADE is there.
import { formatCidr, parseCidr, type Cidr } from './network-ipv4.ts';

export interface Negatable<T> {
  value: T;
  negated: boolean;
}

export interface IptRule {
  chain: string;
  /** 1-based position in its chain, as `iptables -D CHAIN N` counts */
  index: number;
  in?: Negatable<string>;
  out?: Negatable<string>;
  src?: Negatable<Cidr>;
  dst?: Negatable<Cidr>;
  proto?: Negatable<string>;
  /** -m state --state / -m conntrack --ctstate */
  states?: Negatable<Set<string>>;
  /** matches this evaluator cannot decide (mark, owner, bpf, ports ...): the rule may or may not match */
  opaque: string[];
  target?: string;
  /** -g (goto) rather than -j (jump) */
  goto: boolean;
  raw: string;
}

export interface IptTable {
  policies: Map<string, string>;
  chains: Map<string, IptRule[]>;
  /** lines that are not -P/-N/-A rule specs: garbage or truncated output */
  unparsed: string[];
}

/** Shell-like words of one -S line (iptables quotes comments with double quotes). */
export function splitWords(line: string): string[] | undefined {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '\\' && i + 1 < line.length) cur += line[++i];
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') {
      quoted = inWord = true;
    } else if (ch === ' ' || ch === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quoted) return undefined;
  if (inWord) words.push(cur);
  return words;
}

const CHAIN_NAME = /^[A-Za-z0-9_.:+-]{1,64}$/;
// printable ASCII only: garbage bytes in the listing mean the tool or the transport mangled it
const PRINTABLE = /^[\x20-\x7e\t]*$/;

export function parseIptablesRules(text: string): IptTable {
  const table: IptTable = { policies: new Map(), chains: new Map(), unparsed: [] };
  for (const line of text.split('\n')) {
    const raw = line.replace(/\r$/, '');
    if (!raw.trim()) continue;
    const w = PRINTABLE.test(raw) ? splitWords(raw.trim()) : undefined;
    if (w?.[0] === '-P' && w.length === 3 && CHAIN_NAME.test(w[1]!) && /^[A-Z]+$/.test(w[2]!)) {
      table.policies.set(w[1]!, w[2]!);
      if (!table.chains.has(w[1]!)) table.chains.set(w[1]!, []);
    } else if (w?.[0] === '-N' && w.length === 2 && CHAIN_NAME.test(w[1]!)) {
      if (!table.chains.has(w[1]!)) table.chains.set(w[1]!, []);
    } else if (w?.[0] === '-A' && w.length >= 2 && CHAIN_NAME.test(w[1]!)) {
      const list = table.chains.get(w[1]!) ?? [];
      table.chains.set(w[1]!, list);
      const rule = parseRuleSpec(w[1]!, list.length + 1, w.slice(2), raw.trim());
      if (rule) list.push(rule);
      else table.unparsed.push(raw);
    } else table.unparsed.push(raw);
  }
  return table;
}

const isOption = (w: string | undefined) => w !== undefined && w.startsWith('-') && w.length > 1 && !/^-\d/.test(w);

function parseRuleSpec(chain: string, index: number, w: string[], raw: string): IptRule | undefined {
  const rule: IptRule = { chain, index, opaque: [], goto: false, raw };
  let negate = false;
  let module: string | undefined;
  let inTarget = false;
  for (let i = 0; i < w.length; i++) {
    const opt = w[i]!;
    if (opt === '!') {
      negate = true;
      continue;
    }
    if (!isOption(opt)) return undefined;
    const values: string[] = [];
    while (i + 1 < w.length && w[i + 1] !== '!' && !isOption(w[i + 1])) values.push(w[++i]!);
    const one = values[0];
    const neg = negate;
    negate = false;
    if (inTarget) continue; // target options (--reject-with, --to-ports ...) do not decide a match
    switch (opt) {
      case '-i':
      case '--in-interface':
        if (!one) return undefined;
        rule.in = { value: one, negated: neg };
        break;
      case '-o':
      case '--out-interface':
        if (!one) return undefined;
        rule.out = { value: one, negated: neg };
        break;
      case '-s':
      case '--source':
      case '-d':
      case '--destination': {
        const cidr = one ? parseCidr(one) : undefined;
        if (!cidr) {
          if (!one) return undefined;
          rule.opaque.push(`${neg ? '! ' : ''}${opt} ${one}`); // IPv6 or a list: not evaluated here
          break;
        }
        if (opt === '-s' || opt === '--source') rule.src = { value: cidr, negated: neg };
        else rule.dst = { value: cidr, negated: neg };
        break;
      }
      case '-p':
      case '--protocol':
        if (!one) return undefined;
        rule.proto = { value: one.toLowerCase(), negated: neg };
        break;
      case '-m':
      case '--match':
        if (!one) return undefined;
        module = one;
        break;
      case '-j':
      case '--jump':
      case '-g':
      case '--goto':
        if (!one) return undefined;
        rule.target = one;
        rule.goto = opt === '-g' || opt === '--goto';
        inTarget = true;
        break;
      case '--state':
      case '--ctstate':
        if (!one) return undefined;
        rule.states = { value: new Set(one.split(',').map((s) => s.toUpperCase())), negated: neg };
        break;
      case '--comment':
        break;
      default:
        // -c counters are bookkeeping; anything else belongs to a match we do not evaluate
        if (opt !== '-c' && opt !== '--set-counters') rule.opaque.push(`${neg ? '! ' : ''}${module ? `-m ${module} ` : ''}${opt}${values.length ? ` ${values.join(' ')}` : ''}`);
    }
  }
  return rule;
}

export interface Packet {
  in: string;
  out: string;
  src: number;
  dst: number;
  proto: 'tcp' | 'udp' | 'icmp';
  state: 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID';
}

export interface Verdict {
  verdict: 'ACCEPT' | 'DROP' | 'REJECT' | 'UNDECIDED';
  /** the rule that decided, or the built-in chain whose policy did */
  rule?: IptRule;
  policyOf?: string;
  /** chains entered, outermost first, at the moment of the decision */
  path: string[];
  /** rules skipped because they hold matches this evaluator cannot decide */
  uncertain: IptRule[];
  note?: string;
}

const PROTO_NUMBERS: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp' };

function ifaceMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

const xor = (m: boolean, neg: boolean) => (neg ? !m : m);

function matches(r: IptRule, p: Packet): boolean {
  if (r.in && !xor(ifaceMatches(r.in.value, p.in), r.in.negated)) return false;
  if (r.out && !xor(ifaceMatches(r.out.value, p.out), r.out.negated)) return false;
  if (r.src && !xor(((p.src & maskBits(r.src.value.prefix)) >>> 0) === r.src.value.network, r.src.negated)) return false;
  if (r.dst && !xor(((p.dst & maskBits(r.dst.value.prefix)) >>> 0) === r.dst.value.network, r.dst.negated)) return false;
  if (r.proto && r.proto.value !== 'all' && !xor((PROTO_NUMBERS[r.proto.value] ?? r.proto.value) === p.proto, r.proto.negated)) return false;
  if (r.states && !xor(r.states.value.has(p.state), r.states.negated)) return false;
  return true;
}

const maskBits = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

const TERMINAL = new Set(['ACCEPT', 'DROP', 'REJECT']);

/** Follow a packet from a built-in chain to its verdict, as netfilter would (jump, goto, RETURN, policy). */
export function traverse(table: IptTable, chain: string, p: Packet): Verdict {
  const uncertain: IptRule[] = [];
  type Walk = { done: true; v: Verdict } | { done: false };
  const walk = (name: string, path: string[], depth: number): Walk => {
    const rules = table.chains.get(name);
    if (!rules) return { done: true, v: { verdict: 'UNDECIDED', path, uncertain, note: `chain ${name} does not exist` } };
    if (depth > 64) return { done: true, v: { verdict: 'UNDECIDED', path, uncertain, note: 'chain nesting deeper than 64 (a loop?)' } };
    for (const r of rules) {
      if (r.opaque.length) {
        if (r.target) uncertain.push(r);
        continue;
      }
      if (!matches(r, p) || !r.target) continue;
      if (TERMINAL.has(r.target)) return { done: true, v: { verdict: r.target as Verdict['verdict'], rule: r, path, uncertain } };
      if (r.target === 'RETURN') return { done: false };
      if (table.chains.has(r.target)) {
        const sub = walk(r.target, [...path, r.target], depth + 1);
        if (sub.done) return sub;
        if (r.goto) return { done: false }; // a goto'd chain returns to our caller
        continue;
      }
      // LOG, MARK, NFLOG, CT ... do not decide; NFQUEUE hands the packet to userspace
      if (r.target === 'NFQUEUE') uncertain.push(r);
    }
    return { done: false };
  };
  const res = walk(chain, [chain], 0);
  if (res.done) return res.v;
  const policy = table.policies.get(chain);
  if (policy === 'ACCEPT' || policy === 'DROP') return { verdict: policy, policyOf: chain, path: [chain], uncertain };
  return { verdict: 'UNDECIDED', path: [chain], uncertain, note: `no policy known for ${chain}` };
}

/** docker's own NAT rule for its bridge: `-A POSTROUTING -s <subnet> ! -o <bridge> -j MASQUERADE`. */
export function findMasquerade(nat: IptTable, subnet: Cidr, bridge: string): IptRule | undefined {
  const want = formatCidr(subnet);
  return (nat.chains.get('POSTROUTING') ?? []).find(
    (r) =>
      r.target === 'MASQUERADE' &&
      r.src !== undefined &&
      !r.src.negated &&
      formatCidr(r.src.value) === want &&
      (r.out === undefined || (r.out.negated && r.out.value === bridge)) &&
      !r.opaque.length,
  );
}
