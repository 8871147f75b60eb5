#!/usr/bin/env bash
# Build the harness images, each cached by a hash of its recipe.
#   images.sh [name...]     names: platform platform-dind, or a recipe folder of images/ (postgres redis haproxy
#                           caddy meta minio standin postgres-supabase ...), built as selfhost-supabase/<folder>:offline
# With no name, builds all. An image is rebuilt only when its recipe changed.
set -euo pipefail

HERE="$(cd "$(dirname "$0")/.." && pwd)"
IMAGES="$HERE/images"
PREFIX="selfhost-supabase"
SUITE="bookworm"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PLATFORM_PACKAGES="python3,python3-apt,systemd,systemd-sysv,dbus,sudo,ca-certificates,iproute2,procps,curl,gnupg,nftables,less"
# Bump when build_platform changes in a way that matters for the image.
PLATFORM_RECIPE=1

log() { echo "[images] $*" >&2; }

# One build at a time on this machine.
exec 9>/tmp/selfhost-images.lock
flock 9

recipe_hash() {
  # hash of every file of a recipe directory plus any extra words
  local dir="$1"; shift
  { (cd "$dir" && find . -type f -print0 | sort -z | xargs -0 sha256sum); echo "$*"; } | sha256sum | cut -c1-16
}

current_hash() {
  docker image inspect --format '{{ index .Config.Labels "selfhost.recipe" }}' "$1" 2>/dev/null || true
}

build_platform() {
  local image="$PREFIX/debian12-systemd:latest"
  local hash
  hash=$(echo "$SUITE $PLATFORM_PACKAGES $PLATFORM_RECIPE" | sha256sum | cut -c1-16)
  if [ "$(current_hash "$image")" = "$hash" ]; then log "$image is current ($hash)"; return; fi
  command -v debootstrap >/dev/null || {
    log "installing debootstrap"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  }
  local root; root=$(mktemp -d /var/tmp/selfhost-rootfs.XXXXXX)
  log "debootstrap $SUITE into $root"
  debootstrap --variant=minbase --include="$PLATFORM_PACKAGES" "$SUITE" "$root" "$MIRROR" >/tmp/selfhost-debootstrap.log 2>&1 \
    || { tail -n 30 /tmp/selfhost-debootstrap.log >&2; exit 1; }
  # A container image: no package caches, a clean machine-id, apt sources ready.
  echo "deb $MIRROR $SUITE main" > "$root/etc/apt/sources.list"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  : > "$root/etc/machine-id"
  # Units that make no sense in a container
  for u in systemd-remount-fs.service getty.target console-getty.service systemd-logind.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$u"
  done
  tar -C "$root" -c . | docker import \
    --change 'ENV container=docker' \
    --change 'CMD ["/lib/systemd/systemd"]' \
    --change "LABEL selfhost.recipe=$hash" \
    --change 'LABEL selfhost.role=platform' \
    - "$image" >/dev/null
  rm -rf "$root"
  log "built $image ($hash)"
}

extra_ca_certs() {
  # CA certificates this machine trusts beyond Debian's (e.g. a TLS-inspecting egress proxy), so
  # recipes that fetch over HTTPS (npm) can trust them too. Not part of the recipe hash.
  cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true
}

build_dockerfile() {
  # build_dockerfile NAME TAG [FROM_IMAGE]: a recipe directory with a Dockerfile FROM the platform image,
  # or FROM another harness image (FROM_IMAGE, whose id then goes into the hash)
  local name="$1" image="$2" from="${3:-$PREFIX/debian12-systemd:latest}"
  local base_id; base_id=$(docker image inspect --format '{{.Id}}' "$from")
  local hash; hash=$(recipe_hash "$IMAGES/$name" "$base_id")
  if [ "$(current_hash "$image")" = "$hash" ]; then log "$image is current ($hash)"; return; fi
  log "building $image"
  DOCKER_BUILDKIT=0 docker build -q --label "selfhost.recipe=$hash" \
    --build-arg "BASE=$PREFIX/debian12-systemd:latest" --build-arg "EXTRA_CA_CERTS=$(extra_ca_certs)" \
    -t "$image" "$IMAGES/$name" >/tmp/selfhost-build-"$name".log 2>&1 \
    || { tail -n 40 /tmp/selfhost-build-"$name".log >&2; exit 1; }
  log "built $image ($hash)"
}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  # every recipe folder, platforms first
  names=(platform platform-dind)
  for d in "$IMAGES"/*/; do
    d=$(basename "$d")
    [ "$d" = platform-dind ] || [ ! -f "$IMAGES/$d/Dockerfile" ] || names+=("$d")
  done
fi
for n in "${names[@]}"; do
  case "$n" in
    platform) build_platform ;;
    platform-dind) build_platform; build_dockerfile platform-dind "$PREFIX/debian12-dind:latest" ;;
    postgres-supabase)
      # FROM postgres:offline (the supabase/postgres role layout on top of it)
      build_platform; build_dockerfile postgres "$PREFIX/postgres:offline"
      build_dockerfile postgres-supabase "$PREFIX/postgres-supabase:offline" "$PREFIX/postgres:offline" ;;
    *)
      [ -f "$IMAGES/$n/Dockerfile" ] || { log "unknown image: $n (no $IMAGES/$n/Dockerfile)"; exit 2; }
      build_platform; build_dockerfile "$n" "$PREFIX/$n:offline" ;;
  esac
done
