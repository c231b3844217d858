// The lab bridge: boards reach each other and the host (10.77.0.1) on it, and nothing beyond the host.
import { BRIDGE, IPTABLES_COMMENT } from './paths.ts';
import { must, sh } from './host.ts';

/** Host FORWARD rules: traffic stays between boards; the host's other interfaces are never reached through it. */
const RULES: string[][] = [
  ['FORWARD', '-i', BRIDGE.name, '-o', BRIDGE.name, '-m', 'comment', '--comment', IPTABLES_COMMENT, '-j', 'ACCEPT'],
  ['FORWARD', '-i', BRIDGE.name, '!', '-o', BRIDGE.name, '-m', 'comment', '--comment', IPTABLES_COMMENT, '-j', 'DROP'],
  ['FORWARD', '!', '-i', BRIDGE.name, '-o', BRIDGE.name, '-m', 'comment', '--comment', IPTABLES_COMMENT, '-j', 'DROP'],
];

export interface BridgeState {
  present: boolean;
  up: boolean;
  address: boolean;
  rules: number;
}

export async function bridgeState(): Promise<BridgeState> {
  const link = await sh('ip', ['-o', 'addr', 'show', 'dev', BRIDGE.name]);
  const present = link.exitCode === 0;
  const upR = present ? await sh('ip', ['-o', 'link', 'show', 'dev', BRIDGE.name]) : undefined;
  let rules = 0;
  for (const r of RULES) if ((await sh('iptables', ['-w', '-C', ...r])).exitCode === 0) rules++;
  return {
    present,
    up: !!upR && /[<,]UP[,>]/.test(upR.stdout),
    address: present && link.stdout.includes(` ${BRIDGE.address}/${BRIDGE.prefix} `),
    rules,
  };
}

/** Create what is missing of the bridge and its host rules; cheap when all is there. */
export async function ensureBridge(): Promise<void> {
  const s = await bridgeState();
  if (!s.present) await must('ip', ['link', 'add', BRIDGE.name, 'type', 'bridge']);
  if (!s.address) await must('ip', ['addr', 'replace', `${BRIDGE.address}/${BRIDGE.prefix}`, 'dev', BRIDGE.name]);
  if (!s.up) await must('ip', ['link', 'set', BRIDGE.name, 'up']);
  if (s.rules < RULES.length) {
    for (const r of RULES) {
      if ((await sh('iptables', ['-w', '-C', ...r])).exitCode !== 0) await must('iptables', ['-w', '-I', ...r]);
    }
  }
}

/** Remove the bridge and every host iptables rule carrying the lab's comment (also rules of an older layout). */
export async function removeBridge(): Promise<void> {
  await removeLabIptablesRules();
  const s = await sh('ip', ['link', 'show', 'dev', BRIDGE.name]);
  if (s.exitCode === 0) await must('ip', ['link', 'del', BRIDGE.name]);
}

export async function removeLabIptablesRules(): Promise<void> {
  for (const table of ['filter', 'nat', 'mangle']) {
    const listed = await sh('iptables', ['-w', '-t', table, '-S']);
    for (const line of listed.stdout.split('\n')) {
      if (!line.startsWith('-A ') || !(line.includes(IPTABLES_COMMENT) || line.includes(BRIDGE.name))) continue;
      // `-S` prints a rule as the arguments that created it: turn `-A` into `-D` and hand it back
      const args = splitRule(line.slice(3));
      await must('iptables', ['-w', '-t', table, '-D', ...args]);
    }
  }
}

/** Split an `iptables -S` line into arguments, honouring its double quotes (comments with spaces). */
export function splitRule(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

export async function labIptablesRules(): Promise<string[]> {
  const found: string[] = [];
  for (const table of ['filter', 'nat', 'mangle']) {
    const listed = await sh('iptables', ['-w', '-t', table, '-S']);
    for (const line of listed.stdout.split('\n')) {
      if (line.includes(IPTABLES_COMMENT) || line.includes(BRIDGE.name)) found.push(`${table}: ${line}`);
    }
  }
  return found;
}
