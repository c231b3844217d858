# Helpers shared by the netns board init (sourced by board-init.sh; not run alone).

log() { printf '[board-init %s %s] %s\n' "$EC_BOARD_ID" "$(date +%H:%M:%S.%3N)" "$*"; }

# The status file is how the lab (lab/netns/board.ts) learns what the board is doing.
STATUS_STATE=starting
STATUS_BOOT=0
write_status() {
  local kv
  for kv in "$@"; do
    case $kv in
      state=*) STATUS_STATE=${kv#state=} ;;
      boot=*) STATUS_BOOT=${kv#boot=} ;;
    esac
  done
  {
    echo "state=$STATUS_STATE"
    echo "boot=$STATUS_BOOT"
    echo "init=$$"
    echo "dockerd=${DOCKERD_PID:-}"
    echo "dockerd_state=${DOCKERD_STATE:-none}"
    echo "access=${ACCESS_PID:-}"
    echo "updated=$(date +%s)"
    if [ -n "${STATUS_REASON:-}" ]; then echo "reason=$STATUS_REASON"; fi
  } >"$STATE/status.tmp" && mv -f "$STATE/status.tmp" "$STATE/status"
}

fail() {
  log "FAILED: $*"
  STATUS_REASON=$*
  stop_services 2>/dev/null
  write_status state=failed
  exit 1
}

has_defect() { case " ${EC_DEFECTS:-} " in *" $1 "*) return 0 ;; esac; return 1; }

# The real binary of a tool, even when a defect replaced or removed it from the board's PATH.
real() {
  if [ -x "/.edgecert/stash/$1" ]; then echo "/.edgecert/stash/$1"; else command -v "$1"; fi
}

# Every process of the board (init, services, sessions, containers) is in these cgroups, so a crash of the lab
# can still find them all; docker puts its containers next to them through --cgroup-parent.
EC_CG_CONTROLLERS="pids memory freezer"
# Where the init itself reaches the hierarchies: /sys/fs/cgroup, or a keeper's mount namespace when a defect
# unmounted them from the board's view (hold_cgroups in defects.sh)
CGROOT=/sys/fs/cgroup
CGKEEPER=
join_board_cgroups() {
  local c d
  for c in $EC_CG_CONTROLLERS; do
    [ -d "/sys/fs/cgroup/$c" ] || { log "cgroup v1 controller $c is not mounted at /sys/fs/cgroup/$c"; return 1; }
    d=/sys/fs/cgroup/$c/$EC_CGROUP/board
    mkdir -p "$d" && echo $$ >"$d/cgroup.procs" || return 1
  done
}

board_pids() {
  local f p
  for f in "$CGROOT"/pids/"$EC_CGROUP"/*/cgroup.procs "$CGROOT"/pids/"$EC_CGROUP"/*/*/cgroup.procs; do
    [ -r "$f" ] || continue
    while read -r p; do echo "$p"; done <"$f"
  done
}

is_zombie() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  s=${s##*) }
  [ "${s%% *}" = Z ]
}

wait_port() { # host port seconds [pid: give up as soon as it has exited]
  local deadline=$((SECONDS + $3))
  while [ $SECONDS -lt $deadline ]; do
    if timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; then return 0; fi
    if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then return 1; fi
    sleep 0.2
  done
  return 1
}

ensure_ip_rules() {
  local ip
  ip=$(real ip)
  # the seeds add these on Android/OpenHarmony, where the vendor rules would otherwise shadow the main table
  "$ip" rule show | grep -q '^1:' || "$ip" rule add pref 1 from all lookup main
  "$ip" rule show | grep -q '^2:' || "$ip" rule add pref 2 from all lookup default
}
