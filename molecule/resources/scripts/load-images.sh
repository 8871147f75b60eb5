#!/usr/bin/env bash
# Copy local images into the engine of a docker-in-docker platform container.
#   load-images.sh CONTAINER IMAGE...
# An image whose ID the inner engine already has is skipped.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 CONTAINER IMAGE..." >&2; exit 2; }
host="$1"; shift
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
  docker save "$image" | docker exec -i "$host" docker load -q >/dev/null
  echo "$host: loaded $image"
done
