#!/usr/bin/env bash
# Put local images into the loopback registry of a docker-in-docker platform (Debian's docker-registry on
# 127.0.0.1:5000 inside the container, set up by playbooks/prepare-dind.yml), for the pull path: the converge
# pulls them through supabase_image_registry. Afterwards the platform's engine holds none of these images.
#   registry-images.sh CONTAINER IMAGE...
# docker push gzips every layer (minutes for the offline set on 2 busy cores), so the registry's storage of
# each image (its repository folder and the blobs it links) is cached on this machine by image id, in
# $SELFHOST_REGISTRY_CACHE (default /var/tmp/selfhost-supabase-registry): an image whose id is cached is
# copied into the storage as files; only a new or changed image is loaded, pushed and then cached.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 CONTAINER IMAGE..." >&2; exit 2; }
host="$1"; shift
HERE="$(cd "$(dirname "$0")" && pwd)"
REGISTRY=127.0.0.1:5000
STORE=/var/lib/docker-registry
V2=docker/registry/v2
CACHE="${SELFHOST_REGISTRY_CACHE:-/var/tmp/selfhost-supabase-registry}"
mkdir -p "$CACHE"
SECONDS=0

inside() { docker exec -i "$host" "$@"; }

wait_registry() {
  for _ in $(seq 1 30); do
    inside curl -fsS -o /dev/null "http://$REGISTRY/v2/" 2>/dev/null && return 0
    sleep 1
  done
  echo "the registry in $host does not answer on $REGISTRY" >&2
  exit 1
}

missing=()
for image in "$@"; do
  id=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null) \
    || { echo "image $image is not on this machine; run molecule/resources/scripts/images.sh" >&2; exit 1; }
  cached="$CACHE/${id#sha256:}.tar"
  if [ -s "$cached" ]; then
    inside tar -x --no-same-owner -C "$STORE" < "$cached"
    echo "$host: $image copied into the registry storage (cached push)"
  else
    missing+=("$image")
  fi
done
inside chown -R docker-registry:docker-registry "$STORE"
# The registry reads its storage on demand; a restart drops anything it remembered about missing blobs.
inside systemctl restart docker-registry
wait_registry

if [ ${#missing[@]} -gt 0 ]; then
  "$HERE/load-images.sh" "$host" "${missing[@]}"
  for image in "${missing[@]}"; do
    id=$(docker image inspect --format '{{.Id}}' "$image")
    repo="${image%:*}"
    inside docker tag "$image" "$REGISTRY/$image"
    inside docker push -q "$REGISTRY/$image" >/dev/null
    # The image's repository folder and every blob it links (layers, config, manifests).
    # shellcheck disable=SC2016
    inside sh -c 'cd "$1" && r="$2/repositories/$3" && {
        echo "$r"
        for d in "$r"/_layers/sha256/* "$r"/_manifests/revisions/sha256/*; do
          d="${d##*/}"; echo "$2/blobs/sha256/$(echo "$d" | cut -c1-2)/$d"
        done; } | tar -c -T -' _ "$STORE" "$V2" "$repo" > "$CACHE/.${id#sha256:}.tmp"
    mv "$CACHE/.${id#sha256:}.tmp" "$CACHE/${id#sha256:}.tar"
    inside docker rmi "$REGISTRY/$image" "$image" >/dev/null
    echo "$host: $image pushed to the registry (cached for the next run)"
  done
fi
echo "$host: $# images in the registry on $REGISTRY, ${#missing[@]} pushed, in ${SECONDS} s"
