import { z } from 'zod';

// devices.yaml: every key is known (strict), so a typo is an error rather than a silently ignored setting.
const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a lowercase DNS-label-like id (a-z, 0-9, -)');
const port = z.number().int().min(1).max(65535);

export const AdbTransport = z.strictObject({
  type: z.literal('adb'),
  /** serial as `adb devices` lists it, or host:port for adb over TCP (then `adb connect` is done by the harness). */
  serial: z.string().min(1),
  /** adb server the harness talks to (default 127.0.0.1:5037). */
  server: z.strictObject({ host: z.string().default('127.0.0.1'), port: port.default(5037) }).optional(),
});
export const HdcTransport = z.strictObject({
  type: z.literal('hdc'),
  /** connect key as `hdc list targets` prints it (serial or ip:port). */
  connectKey: z.string().min(1),
  /** path of the hdc CLI; default `hdc` on PATH. */
  hdcPath: z.string().min(1).optional(),
});
export const SshTransport = z.strictObject({
  type: z.literal('ssh'),
  host: z.string().min(1),
  port: port.default(22),
  user: z.string().min(1),
  /** private key file (relative paths resolve against devices.yaml's directory). */
  keyPath: z.string().min(1),
  /** the board's host key: an OpenSSH public key line (`ssh-ed25519 AAAA...`) or a known_hosts file path. */
  hostKey: z.string().min(1),
});
export const LocalTransport = z.strictObject({ type: z.literal('local') });
export const Transport = z.discriminatedUnion('type', [AdbTransport, HdcTransport, SshTransport, LocalTransport]);

export const DockerAccess = z
  .strictObject({
    /** default: the board's unix socket forwarded through the transport. */
    socket: z.string().min(1).default('/var/run/docker.sock'),
    /** plain TCP (host:port) — only when declared, and the security suite flags it. */
    tcp: z.string().regex(/^[^:]+:\d+$/, 'host:port').optional(),
    /** a port on the BOARD's loopback where dockerd listens, forwarded through the transport (for ssh servers such
     *  as dropbear that cannot forward unix sockets); preferred over `socket` when set */
    loopbackPort: z.number().int().min(1).max(65535).optional(),
  })
  .default({ socket: '/var/run/docker.sock' });

export const Power = z.strictObject({
  on: z.array(z.string()).optional(),
  off: z.array(z.string()).optional(),
  cycle: z.array(z.string()).optional(),
});

export const CloudBinding = z.strictObject({
  kubeconfig: z.string().min(1),
  context: z.string().min(1).optional(),
  nodeName: z.string().min(1),
});

/** What the lab's provisioner needs to bring this board up; edgecert passes it on unread (the virtual lab's is lab/spec.ts). */
const Provision = z.record(z.string(), z.unknown());

const LabEndpoint = z.strictObject({
  url: z.string().regex(/^http:\/\/[^/\s?#]+(\/\S*)?$/, 'a plain http:// URL (busybox wget in the lab image)'),
  /** text the answer must contain */
  expect: z.string().min(1).optional(),
});

export const Board = z.strictObject({
  id,
  model: z.string().min(1),
  os: z.enum(['android', 'openharmony', 'linux']),
  arch: z.enum(['arm64', 'armhf', 'amd64']),
  profile: z.string().min(1),
  pools: z.array(z.string().min(1)).default([]),
  tags: z.array(z.string().min(1)).default([]),
  features: z.array(z.string().min(1)).default([]),
  transport: Transport,
  docker: DockerAccess,
  power: Power.optional(),
  cloud: CloudBinding.optional(),
  /** how THIS board reaches the lab endpoint when its view of the lab differs (e.g. a qemu guest behind user networking) */
  endpoint: z.lazy(() => LabEndpoint).optional(),
  provision: Provision.optional(),
});

export const ImageSource = z.union([
  z.strictObject({ tarball: z.string().min(1), ref: z.string().min(1) }),
  z.strictObject({ registry: z.string().min(1), ref: z.string().min(1) }),
]);

export const Lab = z.strictObject({
  name: z.string().min(1),
  leases: z
    .strictObject({
      backend: z.enum(['file']).default('file'),
      ttlSeconds: z.number().int().min(5).max(86400).default(60),
      /** consecutive INFRA outcomes after which a board is marked bad until `edgecert boards reset`. */
      badAfter: z.number().int().min(1).default(3),
    })
    .default({ backend: 'file', ttlSeconds: 60, badAfter: 3 }),
  stateDir: z.string().min(1).default('/var/lib/edgecert'),
  image: ImageSource.optional(),
  /** an HTTP endpoint in the lab that board containers must reach through the board's NAT (NET-CONTAINER-EGRESS) */
  endpoint: z.lazy(() => LabEndpoint).optional(),
  /** brings the boards with a `provision:` block up before a run (harness/provision.ts); `node` is this Node.js */
  provision: z.strictObject({ command: z.array(z.string().min(1)).min(1) }).optional(),
});

export const Inventory = z.strictObject({
  apiVersion: z.literal('edgecert/v1'),
  lab: Lab,
  boards: z.array(Board).min(1),
});

export type Inventory = z.infer<typeof Inventory>;
export type BoardSpec = z.infer<typeof Board>;
export type TransportSpec = z.infer<typeof Transport>;
export type LabSpec = z.infer<typeof Lab>;
