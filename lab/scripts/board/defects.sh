# Defect injection inside the board (sourced by board-init.sh). Every defect is documented in
# lab/DEFECTS.md; the lab renders file-content defects (hosts, token mode, selinux state,
# kernel config) into $STATE/personality, and this file does what needs the board's namespaces.

# Once per power-on of the namespaces: mounts and filesystem changes that a reboot keeps.
prepare_defects() {
  local d
  # kernel_config_without / kernel_config_with: the lab rendered the changed config (one file for both)
  if [ -e /.edgecert/kernel-config.gz ]; then mount --bind /.edgecert/kernel-config.gz /proc/config.gz || return 1; fi
  for d in ${EC_DEFECTS:-}; do
    case $d in
      old_kernel_release)
        # the running kernel stays the host's (docker info says so); what the board's tools read is this release
        mount --bind /.edgecert/osrelease /proc/sys/kernel/osrelease || return 1
        wrap_uname || return 1
        ;;
      namespace_limit_zero)
        limit_namespaces ${EC_NS_LIMIT_ZERO:-} || return 1
        ;;
      kernel_config_missing)
        # procfs entries cannot be deleted: an empty file over it holds no config (DEFECTS.md)
        : >/.edgecert/empty-config
        if [ -e /proc/config.gz ]; then mount --bind /.edgecert/empty-config /proc/config.gz || return 1; fi
        rm -f "/boot/config-$(uname -r)" /boot/config "/lib/modules/$(uname -r)/build/.config" \
          "/lib/modules/$(uname -r)/config" /usr/src/linux/.config "/usr/src/linux-$(uname -r)/.config"
        ;;
      memory_stat_openharmony)
        {
          cat /sys/fs/cgroup/memory/memory.stat
          printf 'Anon: 340432 kB\nFile: 1203948 kB\nActive(anon): 2216 kB\nInactive(anon): 338216 kB\n'
        } >/.edgecert/memory.stat || return 1
        mount --bind /.edgecert/memory.stat /sys/fs/cgroup/memory/memory.stat || return 1
        ;;
      cpuset_mems_empty)
        # runc fills an empty cpuset.mems from the parent: an empty root leaves nothing to copy (ENOSPC on join)
        : >/.edgecert/cpuset.mems
        mount --bind /.edgecert/cpuset.mems /sys/fs/cgroup/cpuset/cpuset.mems || return 1
        ;;
      tool_missing)
        hide_tools ${EC_TOOL_MISSING:-} || return 1
        ;;
      garbage_output)
        garble_tools ${EC_GARBAGE_OUTPUT:-} || return 1
        ;;
      cgroups_unmounted | cgroup_controller_unmounted)
        unmount_cgroups ${EC_CGROUP_UNMOUNT:-} || return 1
        ;;
      paranoid_network)
        paranoid_network || return 1
        ;;
      container_start_fails)
        foreign_runc || return 1
        ;;
      data_root_fscrypt)
        /usr/bin/python3 "$lib/fscrypt-policy.py" "$EC_DATA_MOUNT" "$EC_DATA_ROOT" || return 1
        log "defect data_root_fscrypt: $EC_DATA_ROOT has an fscrypt v2 policy, its key added to $EC_DATA_MOUNT"
        ;;
      data_root_full)
        fill_data_root || return 1
        ;;
    esac
  done
  return 0
}

# Every boot: settings that services or a reboot reset.
apply_runtime_defects() {
  if has_defect ip_forward_off; then
    # dockerd switched it on at start; the board's netns sysctl goes back off
    echo 0 >/proc/sys/net/ipv4/ip_forward
  fi
  if has_defect no_rule_pref_1; then
    "$(real ip)" rule del pref 1 2>/dev/null
  fi
  if has_defect no_default_route; then
    # the lab endpoint stays reachable on-link (10.77.0.0/24)
    "$(real ip)" route del default 2>/dev/null
  fi
  apply_dockerd_defects
  start_defect_services
}

# dockerd puts its rules back when it (re)starts: these follow every start, repairs included
apply_dockerd_defects() {
  local ipt
  ipt=$(real iptables)
  if has_defect docker_masquerade_deleted && [ -n "${DOCKERD_PID:-}" ]; then
    local net=${EC_BIP%.*}.0/${EC_BIP#*/}
    "$ipt" -w -t nat -D POSTROUTING -s "$net" ! -o docker0 -j MASQUERADE && log "defect docker_masquerade_deleted: MASQUERADE of $net deleted"
  fi
  if has_defect tetherctrl_forward_drop; then
    # AOSP TetherController with tethering off: its chain holds a lone DROP and FORWARD jumps to it first
    if "$ipt" -w -N tetherctrl_FORWARD 2>/dev/null; then "$ipt" -w -A tetherctrl_FORWARD -j DROP; fi
    while "$ipt" -w -D FORWARD -j tetherctrl_FORWARD 2>/dev/null; do :; done
    "$ipt" -w -I FORWARD 1 -j tetherctrl_FORWARD && log "defect tetherctrl_forward_drop: FORWARD jumps to tetherctrl_FORWARD (DROP) first"
  fi
  if has_defect dockerd_hangs && [ -n "${DOCKERD_PID:-}" ]; then
    kill -STOP "$DOCKERD_PID" && DOCKERD_STATE=hung
    log "defect dockerd_hangs: dockerd $DOCKERD_PID stopped with SIGSTOP"
  fi
}

# Paths of a command on every directory of the board's PATH (the same file may show twice via /sbin -> /usr/sbin).
tool_paths() {
  local dir
  for dir in ${EC_PATH//:/ }; do
    if [ -e "$dir/$1" ] || [ -L "$dir/$1" ]; then echo "$dir/$1"; fi
  done
}

stash_tool() {
  local first
  first=$(tool_paths "$1" | head -1)
  [ -n "$first" ] || { log "defect: $1 is not on the board's PATH ($EC_PATH)"; return 1; }
  [ -e "/.edgecert/stash/$1" ] || cp -L "$first" "/.edgecert/stash/$1"
}

hide_tools() {
  local t p
  for t in "$@"; do
    stash_tool "$t" || return 1
    for p in $(tool_paths "$t"); do rm -f "$p"; done
    command -v "$t" >/dev/null && { log "defect tool_missing: $t is still found"; return 1; }
    log "defect tool_missing: $t removed from the board"
  done
}

garble_tools() {
  local t p
  for t in "$@"; do
    stash_tool "$t" || return 1
    for p in $(tool_paths "$t"); do
      rm -f "$p"
      # the real answer cut in half, then bytes no parser expects; the exit status still says success
      cat >"$p" <<EOF
#!/bin/sh
# edgecert defect garbage_output (lab/DEFECTS.md)
out=\$(/.edgecert/stash/$t "\$@" 2>&1)
printf '%s' "\$out" | head -c \$(( \${#out} / 2 ))
printf '\n\377\376\033[7m#%%!<garbage\000 truncated>\n'
exit 0
EOF
      chmod 0755 "$p"
    done
    log "defect garbage_output: $t now prints garbage"
  done
}

# adbd_tcp_open: the lab's device-side adbd on every address of the board, next to the access daemon
ADBD_TCP_PID=
start_defect_services() {
  has_defect adbd_tcp_open || return 0
  [ -n "$ADBD_TCP_PID" ] && kill -0 "$ADBD_TCP_PID" 2>/dev/null && return 0
  (cd "$EC_REPO" && exec env PATH="$EC_PATH" "$EC_NODE" --import tsx lab/adbd/main.ts \
    --listen 0.0.0.0:5555 --props "$EC_PROPS_PATH") >>"$STATE/adbd-tcp.log" 2>&1 </dev/null &
  ADBD_TCP_PID=$!
  wait_port "$EC_ADDRESS" 5555 "${EC_ACCESS_TIMEOUT:-60}" || { log "defect adbd_tcp_open: adbd did not listen on 5555"; return 1; }
  log "defect adbd_tcp_open: adbd $ADBD_TCP_PID serves TCP on 0.0.0.0:5555"
}

# uname -r (and -a) answer the release of /proc/sys/kernel/osrelease, which the board has bound over
wrap_uname() {
  local p
  stash_tool uname || return 1
  for p in $(tool_paths uname); do
    rm -f "$p"
    cat >"$p" <<'EOF'
#!/bin/sh
# edgecert defect old_kernel_release (lab/DEFECTS.md): the release the board's procfs reports
real=$(/.edgecert/stash/uname -r)
/.edgecert/stash/uname "$@" | sed "s/$real/$(cat /proc/sys/kernel/osrelease)/"
EOF
    chmod 0755 "$p"
  done
  log "defect old_kernel_release: uname -r answers $(uname -r)"
}

# Emulated: user.max_<ns>_namespaces is a sysctl of the host's user namespace, which the board shares; only the
# board's view of the file reads 0 (DEFECTS.md)
limit_namespaces() {
  local ns
  echo 0 >/.edgecert/zero-limit
  for ns in "$@"; do
    mount --bind /.edgecert/zero-limit "/proc/sys/user/max_${ns}_namespaces" || return 1
  done
  log "defect namespace_limit_zero: max namespaces read 0 for $*"
}

# The init keeps reaching its cgroups through a process whose mount namespace still has them; then the board loses them
unmount_cgroups() {
  unshare --mount --propagation private -- sleep infinity &
  CGKEEPER=$!
  CGROOT=/proc/$CGKEEPER/root/sys/fs/cgroup
  local i c
  for i in $(seq 100); do [ -d "$CGROOT/pids/$EC_CGROUP" ] && [ "$(readlink "/proc/$CGKEEPER/ns/mnt")" != "$(readlink /proc/$$/ns/mnt)" ] && break; sleep 0.02; done
  [ -d "$CGROOT/pids/$EC_CGROUP" ] || { log "cgroup keeper $CGKEEPER does not show $CGROOT"; return 1; }
  if [ "$1" = all ]; then
    umount -R /sys/fs/cgroup || return 1
    log "defect cgroups_unmounted: nothing is mounted at /sys/fs/cgroup"
    return 0
  fi
  for c in "$@"; do umount "/sys/fs/cgroup/$c" || return 1; done
  log "defect cgroup_controller_unmounted: $* unmounted from /sys/fs/cgroup"
}

# CONFIG_ANDROID_PARANOID_NETWORK's rule, by a cgroup-BPF program on the board's cgroup2 (its children inherit it)
paranoid_network() {
  local unified=/sys/fs/cgroup/unified
  [ -e "$unified/cgroup.procs" ] || { log "no cgroup2 at $unified for paranoid_network"; return 1; }
  mkdir -p "$unified/$EC_CGROUP/board" && echo $$ >"$unified/$EC_CGROUP/board/cgroup.procs" || return 1
  /usr/bin/python3 "$lib/paranoid-network.py" "$unified/$EC_CGROUP" || return 1
  log "defect paranoid_network: socket(AF_INET*) refused outside uid 0 / gid 3003 under $unified/$EC_CGROUP"
}

# container_start_fails: runc with the ELF machine of 32-bit ARM (seed 000's armhf userland); no binfmt handler runs it
FOREIGN_RUNC=/.edgecert/runc-armhf
foreign_runc() {
  cp "$(real runc)" "$FOREIGN_RUNC" || return 1
  # e_machine (offset 18, little endian) = EM_ARM (40)
  printf '\050\000' | dd of="$FOREIGN_RUNC" bs=1 seek=18 count=2 conv=notrunc status=none || return 1
  if "$FOREIGN_RUNC" --version >/dev/null 2>&1; then log "defect container_start_fails: $FOREIGN_RUNC still runs (binfmt?)"; return 1; fi
  log "defect container_start_fails: dockerd's runtime is $FOREIGN_RUNC (EM_ARM)"
}

# keadm's thresholds: < 512 MB free and > 90 % used, by a real allocation on the data-root filesystem
fill_data_root() {
  local avail leave=$((160 * 1024))
  avail=$(df -Pk "$EC_DATA_MOUNT" | awk 'NR == 2 { print $4 }')
  [ -n "$avail" ] && [ "$avail" -gt "$leave" ] || { log "data-root has only ${avail:-?} KB free"; return 1; }
  fallocate -l "$(((avail - leave) * 1024))" "$EC_DATA_MOUNT/edgecert-fill" || return 1
  log "defect data_root_full: $(df -Pk "$EC_DATA_MOUNT" | awk 'NR == 2 { print $4 " KB free, " $5 " used" }')"
}
