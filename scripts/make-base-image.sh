#!/usr/bin/env bash
# Makes a minimal Node.js base image locally, without a registry: the host's `node` binary and the shared libraries
# it and onnxruntime-node load (found with ldd), committed with `buildah from scratch` + `buildah copy` +
# `buildah commit`. No shell, no package manager, no /etc/passwd: images built on it run as a numeric user.
#
#   scripts/make-base-image.sh <name>        e.g. scripts/make-base-image.sh localhost/cairn-node-base:20
#
# Environment: NODE_BINARY (default: the `node` on PATH), BUILDAH (default: buildah). buildah itself honours
# STORAGE_DRIVER (vfs where overlay does not work, e.g. inside a container), CONTAINERS_STORAGE_CONF, BUILDAH_ISOLATION.
set -euo pipefail

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 <image-name>" >&2
  exit 2
fi
NAME="$1"
BUILDAH="${BUILDAH:-buildah}"
command -v "$BUILDAH" >/dev/null || { echo "buildah is not installed (apt-get install buildah)" >&2; exit 1; }
NODE="$(readlink -f "${NODE_BINARY:-$(command -v node)}")"
[ -x "$NODE" ] || { echo "node binary not found (set NODE_BINARY)" >&2; exit 1; }

REPO="$(cd "$(dirname "$0")/.." && pwd)"
case "$(uname -m)" in
  x86_64) ORT_ARCH=x64 ;;
  aarch64) ORT_ARCH=arm64 ;;
  *) ORT_ARCH="$(uname -m)" ;;
esac
# onnxruntime's native library: its dependencies must be in the base too (librt, libdl beyond what node needs).
ORT_BINARIES=("$REPO"/node_modules/onnxruntime-node/bin/napi-v6/linux/"$ORT_ARCH"/*.so*)

ROOTFS="$(mktemp -d /tmp/cairn-base-rootfs.XXXXXX)"
CONTAINER=""
cleanup() {
  [ -n "$CONTAINER" ] && "$BUILDAH" rm "$CONTAINER" >/dev/null 2>&1 || true
  rm -rf "$ROOTFS"
}
trap cleanup EXIT

install -D -m 0755 "$NODE" "$ROOTFS/usr/local/bin/node"

# Each library at the path the dynamic loader looks it up (ldd's answer), symlinks resolved to the real file.
libraries() {
  for binary in "$@"; do
    [ -e "$binary" ] || continue
    ldd "$binary" | awk '/=> \// { print $3 } /^[[:space:]]*\/[^ ]+ \(/ { print $1 }'
  done | grep -v '/node_modules/' | sort -u
}
while read -r library; do
  install -D -m 0755 "$(readlink -f "$library")" "$ROOTFS$library"
done < <(libraries "$NODE" "${ORT_BINARIES[@]}")

mkdir -p "$ROOTFS/tmp" "$ROOTFS/etc"
chmod 1777 "$ROOTFS/tmp"
# glibc looks host names up in /etc/hosts (written by the container engine) and then DNS.
printf 'hosts: files dns\n' >"$ROOTFS/etc/nsswitch.conf"

CONTAINER="$("$BUILDAH" from scratch)"
"$BUILDAH" copy --quiet "$CONTAINER" "$ROOTFS" / >/dev/null
"$BUILDAH" config \
  --env PATH=/usr/local/bin:/usr/bin:/bin \
  --env HOME=/tmp \
  --env NODE_ENV=production \
  --label ai.cairn.base-node-version="$("$NODE" --version)" \
  "$CONTAINER"
"$BUILDAH" commit --quiet --rm "$CONTAINER" "$NAME" >/dev/null
CONTAINER=""

SIZE="$("$BUILDAH" images --format '{{.Size}}' "$NAME" | head -n 1)"
echo "Base image $NAME: $SIZE (node $("$NODE" --version), $(du -sh "$ROOTFS" | cut -f1) on disk)"
