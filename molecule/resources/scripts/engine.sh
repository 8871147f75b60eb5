#!/usr/bin/env bash
# Make sure a Docker engine answers. Installs docker.io from Debian and starts
# dockerd in the background when none does. Idempotent.
set -euo pipefail

log() { echo "[engine] $*" >&2; }

answers() { timeout 10 docker info >/dev/null 2>&1; }

if answers; then
  log "a Docker engine already answers"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

if ! command -v dockerd >/dev/null 2>&1; then
  log "installing docker.io from Debian"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq docker.io >/dev/null
fi

if pidof dockerd >/dev/null 2>&1; then
  log "dockerd runs but does not answer yet; waiting"
else
  # A dockerd that was killed leaves its pid file behind and the next one refuses to start.
  $SUDO rm -f /var/run/docker.pid
  log "starting dockerd in the background (log: /var/log/selfhost-dockerd.log)"
  $SUDO sh -c 'nohup dockerd >/var/log/selfhost-dockerd.log 2>&1 &'
fi

for _ in $(seq 1 60); do
  if answers; then
    log "engine ready: $(docker version --format '{{.Server.Version}}')"
    exit 0
  fi
  sleep 1
done
log "the Docker engine did not answer within 60 s; see /var/log/selfhost-dockerd.log"
tail -n 30 /var/log/selfhost-dockerd.log >&2 || true
exit 1
