#!/usr/bin/env bash
# Makes sure `redis-server` is installed: the Redis tests (tests/e2e/shared_state.rs)
# start a real one on loopback, and must run, not skip, wherever the suite runs.
set -euo pipefail
command -v redis-server >/dev/null && exit 0
if ! command -v apt-get >/dev/null; then
  echo "ensure-redis.sh: redis-server is not installed and there is no apt-get here;" \
    "install Redis (https://redis.io/docs/latest/operate/oss_and_stack/install/), then run again" >&2
  exit 1
fi
sudo_unless_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
sudo_unless_root apt-get update -q
sudo_unless_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server
