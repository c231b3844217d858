// Names and paths of the netns lab in one place: labDown sweeps by these prefixes after a crash.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SCRIPTS_DIR = join(REPO_DIR, 'lab/scripts');
export const BOARD_INIT = join(SCRIPTS_DIR, 'board-init.sh');
export const HDC_CLI = join(REPO_DIR, 'lab/hdc/hdc');

export const BRIDGE = { name: 'ecbr0', address: '10.77.0.1', prefix: 24, subnet: '10.77.0.0/24' } as const;
export const NETNS_PREFIX = 'ec-';
export const VETH_PREFIX = 'ecv';
export const CGROUP_PREFIX = 'edgecert-';
/** Comment on every host iptables rule of the lab, so a sweep can find them. */
export const IPTABLES_COMMENT = 'edgecert-lab ecbr0';
export const ENDPOINT = { address: BRIDGE.address, port: 8080, body: 'edgecert lab endpoint\n' } as const;

export const netnsName = (boardId: string) => `${NETNS_PREFIX}${boardId}`;
export const cgroupName = (boardId: string) => `${CGROUP_PREFIX}${boardId}`;
/** Interface names are limited to 15 bytes: the host side is named after the board's last address octet. */
export const vethName = (address: string) => `${VETH_PREFIX}${address.split('.')[3]}`;
/** Each board's docker0 gets its own /24, so two boards never hand out the same container address. */
export const dockerBip = (address: string) => `172.30.${address.split('.')[3]}.1/24`;

export function labDir(stateDir: string): string {
  return join(stateDir, 'virtual-lab');
}

export function boardPaths(stateDir: string, boardId: string) {
  const dir = join(labDir(stateDir), boardId);
  return {
    dir,
    env: join(dir, 'board.env'),
    status: join(dir, 'status'),
    initLog: join(dir, 'init.log'),
    accessLog: join(dir, 'access.log'),
    dockerdLog: join(dir, 'dockerd.log'),
    dockerImg: join(dir, 'docker.img'),
    personality: join(dir, 'personality'),
    sshdConfig: join(dir, 'sshd_config'),
    authorizedKeys: join(dir, 'authorized_keys'),
    /** kept across `down`: a board's ssh identity must not change between runs */
    hostKey: join(dir, 'ssh_host_ed25519_key'),
    /** kept across `down`: the edgecore-style token of the board */
    token: join(dir, 'kubeedge-token'),
    rt: join(dir, 'rt'),
  };
}

export function labPaths(stateDir: string) {
  const dir = labDir(stateDir);
  return {
    dir,
    lock: join(dir, 'lab'),
    endpointDir: join(dir, 'endpoint'),
    endpointPid: join(dir, 'endpoint', 'httpd.pid'),
    endpointLog: join(dir, 'endpoint', 'httpd.log'),
  };
}
