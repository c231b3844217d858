# The board's services (sourced by board-init.sh): its own dockerd and the daemon the lab reaches it through.

DOCKERD_PID= DOCKERD_STATE=none ACCESS_PID=

# $@ is the dockerd command line; the tmpfs mounts are seen by dockerd and its containers only
PRIVATE_TMP_SCRIPT='for d in /tmp /var/tmp /data/local/tmp; do [ -d "$d" ] && mount -t tmpfs -o mode=1777,size=16m dockerd-private "$d"; done; exec "$@"'

docker_cli() { "$(real docker)" -H unix:///var/run/docker.sock "$@"; }

start_dockerd() {
  if has_defect dockerd_stopped; then
    DOCKERD_STATE=stopped
    log "defect dockerd_stopped: dockerd is not started"
    return 0
  fi
  local args=(--data-root "${EC_DATA_ROOT:-/var/lib/docker}" --exec-root /run/docker --pidfile /run/docker.pid
    -H unix:///var/run/docker.sock --cgroup-parent "/$EC_CGROUP" --bip "$EC_BIP" --shutdown-timeout 3)
  # data_root_fscrypt: no driver named, as a seed board's daemon.json-less dockerd picks what its data-root allows
  has_defect data_root_fscrypt || args+=(--storage-driver "${EC_STORAGE_DRIVER:-overlay2}")
  # dockerd 20.10 waits 16 s for TLS material on a tcp:// socket unless told there is none
  has_defect dockerd_tcp_open && args+=(-H tcp://0.0.0.0:2375 --tls=false)
  # a runc built for another machine: containerd-shim's exec of it fails with ENOEXEC (defects.sh foreign_runc)
  has_defect container_start_fails && args+=(--add-runtime "ec-foreign=$FOREIGN_RUNC" --default-runtime ec-foreign)
  local launch=()
  # an init service in a mount namespace of its own, with private tmpfs over the board's temp dirs (seed 002 problem 6)
  has_defect dockerd_private_tmp && launch=(unshare --mount --propagation private -- bash -c "$PRIVATE_TMP_SCRIPT" dockerd-private-tmp)
  # a containerd left by a dockerd that died would be reused through its pid file, and answer nothing
  local old
  old=$(cat /run/docker/containerd/containerd.pid 2>/dev/null)
  if [ -n "$old" ] && kill -0 "$old" 2>/dev/null && ! is_zombie "$old"; then stop_process "$old" 5; fi
  rm -f /run/docker/containerd/containerd.pid
  # the stash first: a tool a defect took from the board's shells stays usable by dockerd itself
  PATH="/.edgecert/stash:$EC_PATH" "${launch[@]}" /usr/sbin/dockerd "${args[@]}" >>"$STATE/dockerd.log" 2>&1 </dev/null &
  DOCKERD_PID=$!
  DOCKERD_STATE=starting
  local deadline=$((SECONDS + ${EC_DOCKERD_TIMEOUT:-60}))
  until docker_cli version >/dev/null 2>&1; do
    if ! kill -0 "$DOCKERD_PID" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
      log "dockerd did not answer (see $STATE/dockerd.log)"
      # cgroups_unmounted: dockerd refusing to start without cgroups is the defect's intended effect
      if has_defect cgroups_unmounted; then DOCKERD_STATE=refused; else DOCKERD_STATE=failed; fi
      return 0
    fi
    sleep 0.2
  done
  if ! docker_cli image inspect "$EC_IMAGE_REF" >/dev/null 2>&1; then
    docker_cli load -q -i "$EC_IMAGE_TARBALL" >>"$STATE/dockerd.log" 2>&1 || log "docker load of $EC_IMAGE_TARBALL failed"
  fi
  DOCKERD_STATE=running
  log "dockerd $DOCKERD_PID ready"
}

start_access() {
  [ -n "${ACCESS_PID:-}" ] && kill -0 "$ACCESS_PID" 2>/dev/null && return 0
  case $EC_ACCESS in
    ssh)
      # defect sshd_config_broken: an option sshd does not know makes it exit at once (the board never answers)
      local broken=()
      has_defect sshd_config_broken && broken=(-o EdgecertBrokenOption=yes)
      /usr/sbin/sshd -D -e -f "$STATE/sshd_config" "${broken[@]}" >>"$STATE/access.log" 2>&1 </dev/null &
      ;;
    adb)
      (cd "$EC_REPO" && exec env PATH="$EC_PATH" "$EC_NODE" --import tsx lab/adbd/main.ts \
        --listen "$EC_ADDRESS:$EC_ACCESS_PORT" --props "$EC_PROPS_PATH") >>"$STATE/access.log" 2>&1 </dev/null &
      ;;
    hdc)
      env PATH="$EC_PATH" "$EC_NODE" "$EC_REPO/lab/hdc/hdcd.mjs" \
        --listen "$EC_ADDRESS:$EC_ACCESS_PORT" >>"$STATE/access.log" 2>&1 </dev/null &
      ;;
    none) return 0 ;;
    *) log "unknown access daemon $EC_ACCESS"; return 1 ;;
  esac
  ACCESS_PID=$!
  wait_port "$EC_ADDRESS" "$EC_ACCESS_PORT" "${EC_ACCESS_TIMEOUT:-60}" "$ACCESS_PID" || return 1
  log "$EC_ACCESS daemon $ACCESS_PID listening on $EC_ADDRESS:$EC_ACCESS_PORT"
}

stop_process() { # pid seconds
  local pid=$1 deadline=$((SECONDS + $2))
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -CONT "$pid" 2>/dev/null
  kill -TERM "$pid" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# Everything goes, as at a power cut: sessions, shims and containers too (all are in the board's cgroups).
stop_services() {
  stop_process "${ACCESS_PID:-}" 3
  ACCESS_PID=
  kill_containers
  stop_process "${DOCKERD_PID:-}" 15
  DOCKERD_PID=
  case $DOCKERD_STATE in stopped | refused) ;; *) DOCKERD_STATE=none ;; esac
  local round p keep=" $$ ${KEEPER:-} ${CGKEEPER:-} "
  for round in 1 2 3 4 5; do
    local victims=()
    for p in $(board_pids); do
      case $keep in *" $p "*) continue ;; esac
      # a zombie is already dead: only its parent's wait removes it
      is_zombie "$p" || victims+=("$p")
    done
    [ ${#victims[@]} -eq 0 ] && break
    kill -KILL "${victims[@]}" 2>/dev/null
    sleep 0.2
  done
  # a hard stop leaves docker's container cgroups behind; empty ones can go
  find "$CGROOT"/*/"$EC_CGROUP" -mindepth 1 -depth -type d ! -path '*/board' -exec rmdir {} + 2>/dev/null
  return 0
}

# Power is cut, so containers get no grace period (dockerd would give each 10 s).
kill_containers() {
  local f p pids=()
  for f in "$CGROOT"/pids/"$EC_CGROUP"/*/cgroup.procs; do
    case $f in */board/cgroup.procs) continue ;; esac
    [ -r "$f" ] || continue
    while read -r p; do pids+=("$p"); done <"$f"
  done
  [ ${#pids[@]} -gt 0 ] && kill -KILL "${pids[@]}" 2>/dev/null
  return 0
}

repair_services() {
  log "repair requested"
  if [ -z "${DOCKERD_PID:-}" ] || ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
    case $DOCKERD_STATE in stopped | refused) ;; *) start_dockerd; apply_dockerd_defects ;; esac
  fi
  start_access || log "$EC_ACCESS daemon did not come back"
  start_defect_services
  write_status
}
