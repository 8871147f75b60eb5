#!/usr/bin/env bash
# Copy local images into the engine of a docker-in-docker platform container.
#   load-images.sh CONTAINER IMAGE...
# An image whose ID the inner engine already has is skipped. `docker save` runs once per image ID: the archive
# is kept in SELFHOST_IMAGE_ARCHIVES (default /var/tmp/selfhost-supabase-images), and archives of IDs no
# local image has any more are removed.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 CONTAINER IMAGE..." >&2; exit 2; }
host="$1"; shift
cache="${SELFHOST_IMAGE_ARCHIVES:-/var/tmp/selfhost-supabase-images}"
mkdir -p "$cache"
# Archives of images this machine no longer has (a rebuilt recipe gives a new ID).
current=" $(docker image ls -q --no-trunc | sed 's/^sha256://' | tr '\n' ' ') "
for old in "$cache"/*.tar; do
  [ -e "$old" ] || continue
  base=$(basename "$old" .tar)
  case "$current" in *" $base "*) ;; *) rm -f "$old" ;; esac
done
for _ in $(seq 1 60); do
  docker exec "$host" docker info >/dev/null 2>&1 && break
  sleep 1
done
docker exec "$host" docker info >/dev/null 2>&1 || { echo "the engine in $host does not answer" >&2; exit 1; }
for image in "$@"; do
  id=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null) \
    || { echo "image $image is not on this machine; run molecule/resources/scripts/images.sh" >&2; exit 1; }
  inner=$(docker exec "$host" docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  if [ "$inner" = "$id" ]; then
    echo "$host: $image already loaded"
    continue
  fi
  # Saved once per image ID and kept: the scenarios load the same images into several hosts.
  archive="$cache/${id#sha256:}.tar"
  if [ ! -s "$archive" ]; then
    docker save -o "$archive.$$.part" "$image"
    mv -f "$archive.$$.part" "$archive"
  fi
  docker exec -i "$host" docker load -q < "$archive" >/dev/null
  echo "$host: loaded $image"
done
