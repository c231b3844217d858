import { check, suite, type CheckContext } from '../harness/check/index.ts';
import { shQuote } from '../harness/core/quote.ts';
import type { BoardSpec } from '../harness/inventory/schema.ts';
import { firstLine } from '../harness/parse/network-tools.ts';
import { assessDockerdTcp, DOCKERD_PROBE, parseDaemonJson, parseDockerdArgv, parseDockerdProbe, type DockerdConfig } from '../harness/parse/security-dockerd.ts';
import { edgecoreTlsPaths, octal, parseFileModes, worldReadable, type FileMode } from '../harness/parse/security-files.ts';
import { mark, parseSections, sectionScript } from '../harness/board/sections.ts';
import { parseSelinuxMode, selinuxFinding } from '../harness/parse/security-selinux.ts';
import { describeListener, parseProcNetTcp, type Listener } from '../harness/parse/security-sockets.ts';

// keadm's layout (seed 002 "Add edgecore.yaml": certs and token under /etc/kubeedge); edgecore.yaml's path is the profile's
const KUBEEDGE_DIR = '/etc/kubeedge';
const ADB_DEFAULT_PORT = 5555;

suite('security', () => {
  check(
    {
      id: 'SEC-DOCKERD-TCP-NO-TLS',
      title: 'dockerd is not reachable over plain TCP from the network',
      requirement: 'dockerd MUST NOT listen on a non-loopback TCP address without TLS client verification (--tlsverify), and the lab MUST NOT reach it that way.',
      source: 'seed 002 step 8 and "Run Docker" (`dockerd -H tcp://0.0.0.0:2375 -H unix:///var/run/docker.sock`); docker docs "Protect the Docker daemon socket"; CIS Docker Benchmark (TLS authentication for the daemon)',
      remediation: 'drop `-H tcp://0.0.0.0:2375` (edgecore and the harness use the unix socket), or bind to 127.0.0.1, or use --tlsverify with client certificates',
      finding: true,
    },
    async (c) => {
      const r = await c.run(DOCKERD_PROBE, { timeout: c.timeouts.command });
      const probe = parseDockerdProbe(r.stdout);
      c.assert(!r.timedOut && probe.complete, `the listening-socket probe did not complete (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`})`);
      const listeners = readListeners(c, probe.tcp, probe.tcp6);
      const daemons: { pid: number; config: DockerdConfig; sockets: Set<string> }[] = [];
      const configs = new Map<string, DockerdConfig | undefined>();
      for (const d of probe.daemons) {
        const argv = parseDockerdArgv(d.argv);
        const file = argv.configFile ?? '/etc/docker/daemon.json';
        if (!configs.has(file)) {
          const j = await c.run(`cat ${shQuote(file)} 2>/dev/null`, { timeout: c.timeouts.command });
          const text = j.exitCode === 0 ? j.stdout.trim() : '';
          configs.set(file, text ? parseDaemonJson(text) : undefined);
          if (text && !configs.get(file)) c.note(file, 'not a JSON object (dockerd would refuse to start with it)');
        }
        const json = configs.get(file);
        const envVerify = d.env.DOCKER_TLS_VERIFY ? true : undefined;
        daemons.push({
          pid: d.pid,
          sockets: d.sockets,
          config: { hosts: [...argv.hosts, ...(json?.hosts ?? [])], tls: argv.tls ?? json?.tls, tlsverify: argv.tlsverify ?? json?.tlsverify ?? envVerify },
        });
        c.note(`dockerd pid ${d.pid}`, d.argv.join(' '));
      }
      if (!daemons.length) c.note('dockerd', 'no dockerd process runs on the board: only listeners on the docker port are assessed');
      const result = assessDockerdTcp({ daemons, listeners, inventoryTcp: c.board.spec.docker.tcp });
      for (const n of result.notes) c.note('dockerd TCP', n);
      const open = listeners.filter((l) => !l.loopback && daemons.some((d) => d.sockets.has(l.inode)));
      for (const l of open) c.note(`probe of ${describeListener(l)} from the harness`, await pingFromHarness(c.board.spec, l.port));
      report(c, result.reasons);
    },
  );

  check(
    {
      id: 'SEC-SELINUX-ENFORCING',
      title: 'SELinux is enforcing',
      requirement:
        'Where the platform ships SELinux (Android, OpenHarmony, or any board with a policy loaded), it MUST be Enforcing; Permissive or disabled leaves every process on the board unconfined.',
      source: 'seed 002 step 6 and step 7 (`setenforce 0`); seed 000 "Disabling SELinux" (`setenforce 0`); Android CDD / OpenHarmony security model (SELinux enforcing)',
      remediation: 'keep SELinux Enforcing and give dockerd, containerd and edgecore a policy domain (or run them in a permissive domain only), instead of `setenforce 0` for the whole board',
      finding: true,
    },
    async (c) => {
      const r = await c.run(sectionScript([`${mark('getenforce')}; getenforce 2>/dev/null`, `${mark('enforce')}; cat /sys/fs/selinux/enforce 2>/dev/null`], '; '), { timeout: c.timeouts.command });
      const sec = parseSections(r.stdout);
      c.assert(!r.timedOut && sec.complete, `the SELinux probe did not complete (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`})`);
      const g = sec.text('getenforce')?.trim() ?? '';
      const f = sec.text('enforce')?.trim() ?? '';
      const state = parseSelinuxMode(g || undefined, f || undefined);
      if (!state && (g || f)) return c.fail(`cannot tell SELinux's mode: getenforce printed ${JSON.stringify(g.slice(0, 80))}, /sys/fs/selinux/enforce holds ${JSON.stringify(f.slice(0, 20))}`);
      const mode = state?.mode ?? 'absent';
      c.note('SELinux', state ? `${state.mode} (from ${state.from})` : 'no getenforce and no /sys/fs/selinux/enforce: SELinux is not present');
      const finding = selinuxFinding(mode, c.board.spec.os);
      report(c, finding ? [finding] : []);
    },
  );

  check(
    {
      id: 'SEC-EDGECORE-SECRETS-MODE',
      title: 'edgecore\'s token, keys and certificates are not world-readable',
      requirement: `The edgecore join token (${KUBEEDGE_DIR}/token), the files under ${KUBEEDGE_DIR}/ca and ${KUBEEDGE_DIR}/certs (and the TLS files edgecore.yaml names) MUST NOT be world-readable, and neither MUST an edgecore.yaml that holds the token inline.`,
      source: `seed 002 "Modify cloud-token ... in edgecore.yaml" (modules.edgeHub.token inline; tlsCaFile/tlsCertFile/tlsPrivateKeyFile under ${KUBEEDGE_DIR}); CIS Kubernetes Benchmark (PKI and kubeconfig files 600 or stricter)`,
      remediation: `chmod 600 ${KUBEEDGE_DIR}/token ${KUBEEDGE_DIR}/ca/* ${KUBEEDGE_DIR}/certs/* (and edgecore.yaml when it carries the token); keep them owned by the user edgecore runs as`,
      finding: true,
    },
    async (c) => {
      const edgecoreYaml = c.profile.storage.edgecoreConfig;
      const q = shQuote(edgecoreYaml);
      const statLoop = (globs: string) => `for f in ${globs}; do [ -f "$f" ] || continue; stat -L -c '%a %n' "$f" 2>/dev/null || ls -ldL "$f"; done`;
      const script = sectionScript([
        `${mark('modes')}; ${statLoop(`${KUBEEDGE_DIR}/token ${KUBEEDGE_DIR}/ca/* ${KUBEEDGE_DIR}/certs/* ${q}`)}`,
        `${mark('tls')}; grep -E '^[[:space:]]*(tlsCaFile|tlsCertFile|tlsPrivateKeyFile):' ${q} 2>/dev/null`,
        // only the length of an inline token crosses the link, never the token
        `${mark('inline-token')}; sed -n 's/^[[:space:]]*token:[[:space:]]*["'"'"']\\{0,1\\}\\([^"'"'"' #]*\\).*/\\1/p' ${q} 2>/dev/null | wc -c`,
      ]);
      const r = await c.run(script, { timeout: c.timeouts.command });
      const sec = parseSections(r.stdout);
      c.assert(!r.timedOut && sec.complete, `the file-mode probe did not complete (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`})`);
      const modes = parseFileModes(sec.text('modes') ?? '');
      const tlsPaths = edgecoreTlsPaths(sec.text('tls') ?? '').filter((p) => !modes.files.some((f) => f.path === p));
      if (tlsPaths.length) {
        const more = await c.run(statLoop(tlsPaths.map(shQuote).join(' ')), { timeout: c.timeouts.command });
        const extra = parseFileModes(more.stdout);
        modes.files.push(...extra.files);
        modes.unparsed.push(...extra.unparsed);
      }
      c.assert(modes.unparsed.length === 0, `file modes could not be read (garbage or truncated output): ${JSON.stringify(modes.unparsed.slice(0, 3))}`);
      if (!modes.files.length) return c.skip(`no edgecore credentials on the board (${KUBEEDGE_DIR}/token, ca/, certs/, ${edgecoreYaml}): edgecore is not provisioned`);
      const inlineChars = Number((sec.text('inline-token') ?? '').trim() || '0');
      const inlineToken = inlineChars > 1;
      c.note('credential files', modes.files.map((f) => `${octal(f.mode)} ${f.path}`).join('\n') + (inlineToken ? `\n${edgecoreYaml} holds modules.edgeHub.token inline` : ''));
      const exposed = (f: FileMode) => worldReadable(f) && (f.path !== edgecoreYaml || inlineToken);
      const reasons = modes.files.filter(exposed).map((f) => `${f.path} is world-readable (mode ${octal(f.mode)})${f.path === edgecoreYaml ? ' and holds the join token inline' : ''}`);
      report(c, reasons);
    },
  );

  check(
    {
      id: 'SEC-ADBD-TCP',
      title: 'adbd does not listen on TCP',
      requirement: 'On Android, adbd MUST NOT serve TCP (service.adb.tcp.port / persist.adb.tcp.port unset, nothing listening on the adb port from the network): adb over TCP has no authentication on userdebug builds and gives a root shell.',
      source: 'Android platform (adbd TCP mode via service.adb.tcp.port, default port 5555); seed 000 boards are userdebug RK3568 images reached over adb',
      remediation: 'setprop service.adb.tcp.port -1 (and clear persist.adb.tcp.port), restart adbd; use adb over USB, or waive it in a lab-only profile with the reason',
      finding: true,
    },
    async (c) => {
      if (c.board.spec.os !== 'android') return c.skip(`not an Android board (os: ${c.board.spec.os}); adbd is Android's`);
      const r = await c.run(
        sectionScript([`${mark('service')}; getprop service.adb.tcp.port`, `${mark('persist')}; getprop persist.adb.tcp.port`, `${mark('tcp')}; cat /proc/net/tcp`, `${mark('tcp6')}; cat /proc/net/tcp6 2>/dev/null`], '; '),
        { timeout: c.timeouts.command },
      );
      const sec = parseSections(r.stdout);
      c.assert(!r.timedOut && sec.complete, `the adbd probe did not complete (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`}): ${firstLine(r)}`);
      const props = (['service', 'persist'] as const).map((k) => ({ key: `${k}.adb.tcp.port`, value: (sec.text(k) ?? '').trim() }));
      const configured = props.filter((p) => /^\d+$/.test(p.value) && Number(p.value) > 0);
      const port = configured[0] ? Number(configured[0].value) : ADB_DEFAULT_PORT;
      const listeners = readListeners(c, sec.text('tcp') ?? '', sec.text('tcp6') ?? '').filter((l) => l.port === port && !l.loopback);
      const reasons: string[] = [];
      if (configured.length) reasons.push(`adbd serves TCP (${configured.map((p) => `${p.key}=${p.value}`).join(', ')})`);
      if (listeners.length) reasons.push(`something listens on the adb port from the network: ${listeners.map(describeListener).join(', ')}`);
      const t = c.board.spec.transport;
      if (t.type === 'adb' && /:\d+$/.test(t.serial)) c.note('transport', `the harness itself reaches this board by adb over TCP (serial ${t.serial})`);
      report(c, reasons);
    },
  );
});

/** Listening sockets of /proc/net/tcp{,6}; output that is not the kernel's format is the board's FAIL. */
function readListeners(c: CheckContext, tcp: string, tcp6: string): Listener[] {
  const v4 = parseProcNetTcp(tcp, 4);
  const v6 = parseProcNetTcp(tcp6, 6);
  const bad = [...v4.unparsed, ...v6.unparsed];
  c.assert(bad.length === 0, `/proc/net/tcp is not in the kernel's format (garbage or truncated): ${JSON.stringify(bad.slice(0, 3))}`);
  c.assert(tcp.trim() !== '', '/proc/net/tcp could not be read');
  return [...v4.listeners, ...v6.listeners];
}

/** A finding: FAIL under a certify profile, recorded otherwise (a profile waiver makes the whole check SKIP). */
function report(c: CheckContext, reasons: string[]): void {
  if (!reasons.length) return;
  c.reportFinding(reasons.join('; '));
}

/** Where the harness can reach the board itself (not through the transport), for an active probe. */
function boardAddress(spec: BoardSpec): string | undefined {
  const t = spec.transport;
  const host = (t.type === 'ssh' ? t.host : t.type === 'adb' ? t.serial.split(':')[0] : t.type === 'hdc' ? t.connectKey.split(':')[0] : undefined);
  return host && !/^127\.|^localhost$/.test(host) && /^[\w.-]+$/.test(host) ? host : undefined;
}

/** GET /_ping over plain HTTP from the harness host: evidence that the open port really is docker's API. */
async function pingFromHarness(spec: BoardSpec, port: number): Promise<string> {
  const host = boardAddress(spec);
  if (!host) return 'not probed: the harness has no direct address of the board';
  try {
    const res = await fetch(`http://${host}:${port}/_ping`, { signal: AbortSignal.timeout(3_000) });
    const body = (await res.text()).slice(0, 40);
    return `GET http://${host}:${port}/_ping -> HTTP ${res.status} ${JSON.stringify(body)}${res.headers.get('api-version') ? ` (Api-Version ${res.headers.get('api-version')})` : ''}`;
  } catch (err) {
    return `GET http://${host}:${port}/_ping failed: ${(err as Error).message}`;
  }
}
