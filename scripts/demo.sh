#!/usr/bin/env bash
# The whole stack on one local docker-in-docker host, with the offline image set, left running.
#   scripts/demo.sh up     converge the `stack` scenario, then print the URL, the health table,
#                          where the secrets are, and which components are real or stand-ins
#   scripts/demo.sh down   remove it
# Needs no registry. Kong, GoTrue, PostgREST, Realtime, Storage, MinIO, Studio and Edge Runtime run
# as the STAND-IN image: they answer their health paths and show their wiring, nothing more.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/collections"
HOST=stack-host
SITE=supabase.test

case "${1:-up}" in
  up)
    molecule converge -s stack
    # Molecule's working directory of the scenario (the newest, if several projects ran it).
    EPHEMERAL=$(ls -dt "$HOME"/.ansible/tmp/molecule.*.stack | head -n 1)
    echo
    echo "== Health (playbooks/health.yml)"
    ansible-playbook -i "$EPHEMERAL/inventory/ansible_inventory.yml" -i "$EPHEMERAL/inventory/hosts" \
      -e "@molecule/resources/vars/offline-images.yml" \
      playbooks/health.yml -e health_wait=30 | sed -n '/Print the health table/,/PLAY RECAP/p' \
      || echo "health.yml reports an unhealthy component (table above)"
    ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$HOST")
    echo
    echo "== The stack"
    echo "URL:      https://$SITE/  (served by $HOST at $ip; Caddy's internal CA, so -k)"
    echo "Try:      curl -k --resolve $SITE:443:$ip https://$SITE/auth/v1/health -H \"apikey: <anon key>\""
    echo "Secrets:  $EPHEMERAL/inventory/supabase-secrets.yml (0600; anon key, dashboard login, ...)"
    echo
    echo "== Real or stand-in"
    docker exec "$HOST" docker ps --format '{{.Names}} {{.Image}}' | sort | while read -r name image; do
      if [ "$(docker exec "$HOST" docker image inspect -f '{{index .Config.Labels "selfhost.standin"}}' "$image")" = "true" ]; then
        kind="STAND-IN (wiring only)"
      else
        kind="REAL"
      fi
      printf '  %-26s %-40s %s\n' "$name" "$image" "$kind"
    done
    echo
    echo "Remove it with: make demo-down"
    ;;
  down)
    molecule destroy -s stack
    ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
