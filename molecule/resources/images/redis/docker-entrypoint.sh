#!/bin/sh
# Entrypoint of the offline Redis test image: like the official one, a first argument that is an
# option or a .conf file means redis-server; as root, /data is handed to redis and privileges dropped.
set -eu
case "${1:-}" in
  -*|*.conf) set -- redis-server "$@" ;;
  "") set -- redis-server ;;
esac
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis:redis '{}' + 2>/dev/null || true
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
exec "$@"
