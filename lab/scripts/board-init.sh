#!/bin/bash
# Init of one netns board. It runs as the first process of the board's own mount and UTS namespaces
# (started by lab/netns/board.ts through `nsenter --net` + `unshare --mount --uts`), so the
# namespaces live exactly as long as it does. It builds the board's root, starts the board's services, injects
# the defects, then waits: SIGHUP = reboot, SIGUSR1 = start what died, SIGTERM = power off.
# Usage: board-init.sh STATE_DIR   (STATE_DIR/board.env is written by the lab before the start)
set -uo pipefail
STATE=${1:?usage: board-init.sh STATE_DIR}
# shellcheck source=/dev/null
. "$STATE/board.env"
lib=$(cd "$(dirname "${BASH_SOURCE[0]}")/board" && pwd)
# shellcheck source=board/common.sh
. "$lib/common.sh"
# shellcheck source=board/root.sh
. "$lib/root.sh"
# shellcheck source=board/services.sh
. "$lib/services.sh"
# shellcheck source=board/defects.sh
. "$lib/defects.sh"

BOOTS=0
boot() {
  BOOTS=$((BOOTS + 1))
  write_status state=booting boot=$BOOTS
  ensure_ip_rules
  reset_runtime_state
  start_dockerd
  start_access || fail "the board's $EC_ACCESS daemon did not come up (see $STATE/access.log)"
  apply_runtime_defects
  write_status state=ready boot=$BOOTS
  log "board ready (boot $BOOTS)"
}

reboot_board() {
  log "reboot requested"
  write_status state=rebooting boot=$BOOTS
  stop_services
  sleep 1
  boot
}

power_off() {
  log "power off"
  write_status state=stopping boot=$BOOTS
  stop_services
  write_status state=off boot=$BOOTS
  exit 0
}

log "init $$ starting board $EC_BOARD_ID ($EC_OS, $EC_ADDRESS)"
write_status state=starting boot=0
join_board_cgroups || fail "cannot join the board cgroups under /sys/fs/cgroup/*/$EC_CGROUP"
hostname "$EC_BOARD_ID" || fail "cannot set the board hostname"
build_root || fail "cannot build the board root (see $STATE/init.log)"
prepare_defects || fail "cannot inject the defects (see $STATE/init.log)"

SIGNAL=
trap 'SIGNAL=reboot' HUP
trap 'SIGNAL=repair' USR1
trap 'SIGNAL=off' TERM INT
boot
# a child that never exits keeps `wait -n` blocking when every service is down
sleep infinity &
KEEPER=$!
while :; do
  exited= rc=0
  # a signal that came while the init was busy is handled before waiting again
  if [ -z "$SIGNAL" ]; then
    wait -n -p exited
    rc=$?
  fi
  sig=$SIGNAL SIGNAL=
  case $sig in
    off) power_off ;;
    reboot) reboot_board ;;
    repair) repair_services ;;
  esac
  exited=${exited:-}
  [ -z "$exited" ] && continue
  if [ "$exited" = "${ACCESS_PID:-}" ]; then
    ACCESS_PID=
    # adbd asks for a reboot by exiting 75 (EX_TEMPFAIL) after `adb reboot`
    if [ "$rc" = 75 ]; then reboot_board; else log "$EC_ACCESS daemon exited ($rc)"; write_status; fi
  elif [ "$exited" = "${DOCKERD_PID:-}" ]; then
    DOCKERD_PID=
    [ "$DOCKERD_STATE" = refused ] || DOCKERD_STATE=exited
    log "dockerd exited ($rc)"
    write_status
  elif [ "$exited" = "$KEEPER" ]; then
    sleep infinity &
    KEEPER=$!
  fi
done
