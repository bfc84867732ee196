#!/usr/bin/env bash
# Installs the external programs the tests talk to, when missing (Debian packages).
set -euo pipefail
need=()
command -v serf >/dev/null 2>&1 || need+=(serf)
command -v nats-server >/dev/null 2>&1 || need+=(nats-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
# Fail here, with the name, rather than later inside a test, if an install did not provide a program.
for program in serf nats-server chromium; do
  command -v "$program" >/dev/null 2>&1 || { echo "install-deps: '$program' is still missing after apt-get install" >&2; exit 1; }
done
