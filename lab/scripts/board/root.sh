# The board's root filesystem (sourced by board-init.sh). The board sees the host's / through an overlay whose
# upper layer is a tmpfs of this mount namespace: its personality files, its /system, removed tools and every
# write of its shells stay inside the board and vanish with it; the host's tree is never touched.

build_root() {
  local rt=$STATE/rt R
  mkdir -p "$rt" || return 1
  mount -t tmpfs -o "mode=0755,size=${EC_ROOT_TMPFS_SIZE:-256m}" ec-root "$rt" || return 1
  mkdir -p "$rt/upper" "$rt/work" "$rt/root"
  mount -t overlay ec-root -o "lowerdir=/,upperdir=$rt/upper,workdir=$rt/work" "$rt/root" || return 1
  R=$rt/root

  mount -t proc proc "$R/proc" || return 1
  # /sys brings the host's cgroup v1 mounts, which the board's dockerd needs (ip netns exec would hide them)
  mount --rbind /sys "$R/sys" || return 1
  mount --rbind /dev "$R/dev" || return 1
  mount -t tmpfs -o mode=1777,size=64m shm "$R/dev/shm" || return 1
  mount_run "$R/run" || return 1
  mount -t tmpfs -o mode=1777,size=256m tmp "$R/tmp" || return 1
  # root's own home: the host's dotfiles (PATH, aliases) must not leak into the board's sessions
  mount -t tmpfs -o mode=0700,size=16m roothome "$R/root" || return 1
  # the state dir stays shared with the host (logs, status, keys); a plain bind, so $rt is not copied into itself
  mount --bind "$STATE" "$R$STATE" || return 1
  # the repo (board scripts, adbd, hdcd) stays visible where it lives, also under a path the board replaces (/tmp)
  local repo
  repo=$(cd "$lib/../../.." && pwd) || return 1
  mkdir -p "$R$repo" && mount --bind "$repo" "$R$repo" || return 1
  # docker's data root: a real block filesystem (ext4 on a loop device) with d_type, as overlay2 requires
  # (mounted at /data instead when docker's data-root is an fscrypt directory, as on Android's userdata)
  mkdir -p "$R${EC_DATA_MOUNT:-/var/lib/docker}"
  mount -o loop,nosuid,nodev "$STATE/docker.img" "$R${EC_DATA_MOUNT:-/var/lib/docker}" || return 1

  # the host's docker identity (key.json) and daemon.json are not the board's: its dockerd starts from nothing
  rm -rf "$R/etc/docker" && mkdir -p "$R/etc/docker"
  install_personality "$R" || return 1
  install_tools "$R" || return 1
  mkdir -p "$R/.edgecert/stash"

  cd "$R" || return 1
  mkdir -p .oldroot
  pivot_root . .oldroot || return 1
  cd / || return 1
  umount -l /.oldroot && rmdir /.oldroot
}

mount_run() {
  mount -t tmpfs -o mode=0755,size=64m run "$1"
}

# files.list lines: MODE BOARD_PATH SOURCE (SOURCE relative to $STATE/personality), written by the lab
install_personality() {
  local R=$1 mode path src
  while read -r mode path src; do
    [ -n "$mode" ] || continue
    # a symlink (Debian's /etc/os-release) would send the write to its target: replace the link itself
    [ -L "$R$path" ] && rm -f "$R$path"
    install -D -m "$mode" "$STATE/personality/$src" "$R$path" || return 1
  done <"$STATE/personality/files.list"
}

install_tools() {
  local R=$1 t
  mkdir -p "$R$EC_TOOLS_DIR" || return 1
  for t in ${EC_TOOLS:-}; do
    install -m 0755 "$lib/tools/$t" "$R$EC_TOOLS_DIR/$t" || return 1
  done
}

# What a power cycle clears: /run and the runtime state kept there.
reset_runtime_state() {
  if [ "$BOOTS" -gt 1 ]; then
    umount -l /run 2>/dev/null
    mount_run /run
  fi
  mkdir -p /run/edgecert/selinux /run/sshd
  echo $$ >/run/edgecert/init.pid
  echo "${EC_SELINUX_ENFORCE:-0}" >/run/edgecert/selinux/enforce
}
