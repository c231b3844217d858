# Defect injection inside the board (sourced by board-init.sh). Every defect is documented in
# harness/virtual-lab/DEFECTS.md; the lab renders file-content defects (hosts, token mode, selinux state,
# kernel config) into $STATE/personality, and this file does what needs the board's namespaces.

# Once per power-on of the namespaces: mounts and filesystem changes that a reboot keeps.
prepare_defects() {
  local d
  for d in ${EC_DEFECTS:-}; do
    case $d in
      kernel_config_without)
        mount --bind /.edgecert/kernel-config.gz /proc/config.gz || return 1
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
  apply_dockerd_defects
}

apply_dockerd_defects() {
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
# edgecert defect garbage_output (harness/virtual-lab/DEFECTS.md)
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
