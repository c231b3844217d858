// When the docker API does not answer, is it the board (dockerd down, frozen, socket gone) or the lab's link?
// A board-side probe through the transport decides, so that a lab failure is never reported as the board's.
// Processes of other boards may be visible (a netns board shares the host's pid namespace), so a dockerd counts
// only if it holds the listening socket bound at the board's docker socket path (/proc/net/unix is per netns).

/** Board script (POSIX sh, no awk): listening inodes of the socket path, each dockerd with its state and whether it serves them. */
export function dockerdStateProbe(quotedSocket: string): string {
  return [
    'inodes=""',
    `while read -r _n _r _p _f _t _s ino path; do [ "$path" = ${quotedSocket} ] && inodes="$inodes $ino"; done < /proc/net/unix 2>/dev/null`,
    'echo "socket-inodes$inodes"',
    'for d in /proc/[0-9]*; do',
    '  c=$(cat "$d/comm" 2>/dev/null) || continue',
    '  [ "$c" = dockerd ] || continue',
    '  serves=no',
    '  for i in $inodes; do ls -l "$d/fd" 2>/dev/null | grep -q "socket:\\[$i\\]" && serves=yes; done',
    '  echo "dockerd ${d#/proc/} serves=$serves $(grep "^State:" "$d/status" 2>/dev/null)"',
    'done',
    `if [ -S ${quotedSocket} ]; then echo socket present; elif [ -e ${quotedSocket} ]; then echo socket not-a-socket; else echo socket absent; fi`,
    'echo probe done',
  ].join('\n');
}

export interface DockerdState {
  /** inodes of listening sockets bound at the path, in the board's netns */
  socketInodes: string[];
  processes: { pid: number; state: string; serves: boolean }[];
  socket: 'present' | 'absent' | 'not-a-socket' | 'unknown';
  complete: boolean;
}

export function parseDockerdState(text: string): DockerdState {
  const st: DockerdState = { socketInodes: [], processes: [], socket: 'unknown', complete: false };
  for (const line of text.split('\n')) {
    const i = /^socket-inodes((?: \d+)*)\s*$/.exec(line);
    const p = /^dockerd (\d+) serves=(yes|no) State:\s*(\S+)/.exec(line);
    const s = /^socket (present|absent|not-a-socket)$/.exec(line.trim());
    if (i) st.socketInodes = i[1]!.trim().split(/\s+/).filter(Boolean);
    else if (p) st.processes.push({ pid: Number(p[1]), serves: p[2] === 'yes', state: p[3]! });
    else if (s) st.socket = s[1] as DockerdState['socket'];
    else if (line.trim() === 'probe done') st.complete = true;
  }
  return st;
}

/** The board's fault, as a sentence, or undefined when the probe cannot tell (then the docker CLI on the board decides). */
export function dockerdFault(st: DockerdState, socketPath: string): string | undefined {
  if (!st.complete) return undefined;
  if (st.socket === 'absent') return `${socketPath} does not exist: dockerd is not running (or listens elsewhere)`;
  if (st.socket === 'not-a-socket') return `${socketPath} exists but is not a socket`;
  if (!st.socketInodes.length) {
    // the path is not bound in this netns' socket table: a stale file, or a board whose netns we cannot see
    return st.processes.length ? undefined : `no dockerd process runs on the board (${socketPath} is a stale socket)`;
  }
  const serving = st.processes.filter((p) => p.serves);
  if (!serving.length) return `no dockerd process holds the socket bound at ${socketPath}`;
  const stopped = serving.filter((p) => p.state === 'T' || p.state === 't');
  if (stopped.length) return `dockerd (pid ${stopped.map((p) => p.pid).join(', ')}) is stopped (state T): it accepts connections and never answers`;
  return undefined;
}
