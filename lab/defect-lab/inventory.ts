// The defect lab's inventory is made from its defect files: each names its defects and, under `board:`, only what
// sets its board apart (address, and where it differs: os, profile, pools, model, id). devices.yaml beside this file
// is generated (`npx edgecert-lab defect-lab --write`) and checked for drift by test/lab/defect-lab.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, stringify } from 'yaml';
import { z } from 'zod';
import { usage } from '../../harness/core/errors.ts';

export const DEFECT_LAB_DIR = dirname(fileURLToPath(import.meta.url));
export const DEFECT_LAB_INVENTORY = join(DEFECT_LAB_DIR, 'devices.yaml');
const DEFECTS_DIR = join(DEFECT_LAB_DIR, 'defects');

const SSH = { user: 'root', keyPath: '/var/lib/edgecert/virtual-lab/ssh/id_ed25519', hostKey: '/var/lib/edgecert/virtual-lab/ssh/known_hosts' };
const KUBECONFIG = '/var/lib/edgecert/virtual-lab/control-plane/kubeconfig';
const PROFILE_OF = { linux: 'generic-linux', openharmony: 'openharmony-generic', android: 'android-rk3568' } as const;
const OS_NAME = { linux: 'generic Linux', openharmony: 'OpenHarmony', android: 'Android RK3568' } as const;

export const DefectBoard = z.union([
  z.strictObject({
    address: z.string().regex(/^10\.77\.0\.\d+$/, 'an address on the lab bridge, 10.77.0.x'),
    id: z.string().optional(),
    os: z.enum(['linux', 'openharmony', 'android']).default('linux'),
    profile: z.string().optional(),
    pools: z.array(z.string()).optional(),
    model: z.string().optional(),
    /** false: no edge stand-ins on this board */
    cloud: z.boolean().default(true),
  }),
  z.strictObject({
    /** the qemu board's ssh forward on the host's loopback */
    sshPort: z.number().int().min(1024).max(65535),
    id: z.string().optional(),
    model: z.string().optional(),
  }),
]);

/** One inventory board per defect file, netns boards by address, then qemu boards by port. */
export function defectLabBoards(): Record<string, unknown>[] {
  const boards = readdirSync(DEFECTS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const path = join(DEFECTS_DIR, file);
      const data = parseDocument(readFileSync(path, 'utf8')).toJS() as { board?: unknown };
      const parsed = DefectBoard.safeParse(data?.board);
      if (!parsed.success) throw usage(`${path}: \`board:\` ${parsed.error.issues[0]?.path.join('.') || ''} ${parsed.error.issues[0]?.message}`);
      const b = parsed.data;
      const stem = basename(file, '.yaml');
      const id = b.id ?? `vl-defect-${stem.replace(/_/g, '-')}`;
      const defects = `defects/${file}`;
      if ('sshPort' in b) {
        return {
          order: [1, b.sshPort],
          board: {
            id,
            model: b.model ?? `virtual HiHope DAYU200 (qemu arm64 board) with defect file ${file}`,
            os: 'openharmony',
            arch: 'arm64',
            profile: 'openharmony-dayu200',
            pools: ['defects', 'qemu'],
            transport: { type: 'ssh', host: '127.0.0.1', port: b.sshPort, ...SSH },
            docker: { socket: '/var/run/docker.sock', loopbackPort: 2375 },
            endpoint: { url: 'http://10.0.2.100:8080/', expect: 'edgecert lab endpoint' },
            provision: { kind: 'qemu', defects },
          },
        };
      }
      const pools = b.pools ?? ['defects', 'netns'];
      return {
        order: [0, Number(b.address.split('.')[3])],
        board: {
          id,
          model: b.model ?? `virtual ${OS_NAME[b.os]} board with defect file ${file} (netns board${pools.includes('cloud-defects') ? ', edge stand-ins' : ''})`,
          os: b.os,
          arch: 'amd64',
          profile: b.profile ?? PROFILE_OF[b.os],
          pools,
          transport: { type: 'ssh', host: b.address, port: 22, ...SSH },
          ...(b.cloud ? { cloud: { kubeconfig: KUBECONFIG, nodeName: id } } : {}),
          provision: { kind: 'netns', address: b.address, defects },
        },
      };
    });
  return boards.sort((x, y) => x.order[0]! - y.order[0]! || x.order[1]! - y.order[1]!).map((x) => x.board);
}

const HEADER = `# GENERATED from lab/defect-lab/defects/*.yaml by \`npx edgecert-lab defect-lab --write\`; edit those files, not this one.
# The defect lab: one board per defect file (lab/DEFECTS.md), reached like vl-linux-1 (ssh); netns boards from
# 10.77.0.50 (the cloud defect boards, pool cloud-defects, from 10.77.0.80), qemu boards on 127.0.0.1:2220x.
# Bring one up with \`npx edgecert-lab up --inventory lab/defect-lab/devices.yaml --board ID\`.
`;

const LAB = {
  name: 'virtual-defect-lab',
  leases: { backend: 'file', ttlSeconds: 30, badAfter: 3 },
  stateDir: '/var/lib/edgecert',
  image: { tarball: '/var/lib/edgecert/virtual-lab/images/edgecert-busybox.tar', ref: 'edgecert/busybox:lab' },
  endpoint: { url: 'http://10.77.0.1:8080/', expect: 'edgecert lab endpoint' },
  provision: { command: ['node', '../bin.js', 'provision'] },
};

/** The text of lab/defect-lab/devices.yaml: one line per key, small mappings and lists in flow style. */
export function defectLabInventoryText(): string {
  const flow = (v: unknown) => stringify(v, { collectionStyle: 'flow', flowCollectionPadding: true, lineWidth: 0 }).trim();
  const lines = (o: Record<string, unknown>, indent: string) => Object.entries(o).map(([k, v]) => `${indent}${k}: ${flow(v)}`);
  const boards = defectLabBoards().map((b) => {
    const [first, ...rest] = lines(b, '    ');
    return [`  - ${first!.trimStart()}`, ...rest].join('\n');
  });
  return `${HEADER}apiVersion: edgecert/v1\nlab:\n${lines(LAB, '  ').join('\n')}\nboards:\n${boards.join('\n\n')}\n`;
}
