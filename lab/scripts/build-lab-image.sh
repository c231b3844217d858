#!/bin/bash
# Builds the lab's offline container image (no registry is reachable): a busybox-static rootfs packed in
# `docker save` layout, so every board's dockerd can `docker load` it. Usage: build-lab-image.sh OUT.tar REF
set -euo pipefail
out=$1 ref=$2
busybox=${EDGECERT_BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "build-lab-image: $busybox not found (apt-get install busybox-static, or scripts/setup-host.sh)" >&2; exit 2; }
# a dynamic busybox would need the host's libc inside the image
! readelf -l "$busybox" 2>/dev/null | grep -q 'Requesting program interpreter' || { echo "build-lab-image: $busybox is not a static build" >&2; exit 2; }
case $ref in */*:*) ;; *) echo "build-lab-image: REF must be repo/name:tag, got $ref" >&2; exit 2 ;; esac
repo=${ref%:*} tag=${ref##*:}
case $(uname -m) in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; armv7l) arch=arm ;; *) arch=$(uname -m) ;; esac

work=$(mktemp -d "$(dirname "$out")/.image-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,proc,sys,dev,root,var/tmp}
chmod 1777 "$root/tmp" "$root/var/tmp"
cp "$busybox" "$root/bin/busybox"
# one symlink per applet, at the path busybox itself would install it
for applet in $("$busybox" --list-full); do
  [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

# a reproducible layer: fixed order, owners and times, so the image id only changes with busybox
layer=$work/layer.tar
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$layer" .
diff_id=$(sha256sum "$layer" | cut -d' ' -f1)

pkg=$work/pkg
mkdir -p "$pkg/$diff_id"
mv "$layer" "$pkg/$diff_id/layer.tar"
echo 1.0 >"$pkg/$diff_id/VERSION"
printf '{"id":"%s"}\n' "$diff_id" >"$pkg/$diff_id/json"
printf '{"architecture":"%s","os":"linux","created":"1970-01-01T00:00:00Z","config":{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"edgecert build-lab-image.sh from %s"}]}' \
  "$arch" "$diff_id" "$("$busybox" | head -1 | cut -d' ' -f1-2)" >"$work/config.json"
config_id=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$pkg/$config_id.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]\n' "$config_id" "$ref" "$diff_id" >"$pkg/manifest.json"
printf '{"%s":{"%s":"%s"}}\n' "$repo" "$tag" "$diff_id" >"$pkg/repositories"

mkdir -p "$(dirname "$out")"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$pkg" -cf "$work/image.tar" .
mv "$work/image.tar" "$out"
echo "sha256:$config_id"
