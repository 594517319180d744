#!/bin/sh
# Listens on all interfaces inside the container only when clients must present an API key, or when the
# operator explicitly opts out (GGUF_SERVER_ALLOW_NO_API_KEY=true, e.g. behind an authenticating proxy).
set -eu

if [ -n "${GGUF_SERVER_API_KEY:-}" ] || [ -n "${GGUF_SERVER_API_KEY_FILE:-}" ] \
   || [ "${GGUF_SERVER_ALLOW_NO_API_KEY:-false}" = "true" ]; then
  export GGUF_SERVER_HOST="${GGUF_SERVER_HOST:-0.0.0.0}"
else
  echo "gguf-server: set GGUF_SERVER_API_KEY (or GGUF_SERVER_API_KEY_FILE) so that only clients with the key" \
       "can use the server, or GGUF_SERVER_ALLOW_NO_API_KEY=true to listen on all interfaces without one" >&2
  exit 2
fi

exec java -jar /app/gguf-server.jar "$@"
