// A kubeconfig that kubectl and client-node load unchanged; it holds the bearer token, so it is written 0600.
import { chmod, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

export const CONTEXT_NAME = 'virtual-lab';

export async function writeKubeconfig(path: string, server: string, caFile: string, token: string): Promise<void> {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CONTEXT_NAME, cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: `${CONTEXT_NAME}-admin`, user: { token } }],
    contexts: [{ name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user: `${CONTEXT_NAME}-admin`, namespace: 'default' } }],
    'current-context': CONTEXT_NAME,
    preferences: {},
  };
  await writeFile(path, stringify(config), { mode: 0o600 });
  await chmod(path, 0o600);
}
