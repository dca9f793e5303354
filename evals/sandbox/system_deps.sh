#!/usr/bin/env bash
# Installs the system packages the sandbox needs, only when their binaries are missing:
# Prometheus + promtool + Alertmanager, PostgreSQL (the multi-replica store tests) and Chromium
# (the report pages' real-browser tests, driven by Playwright).
#
# Never stops processes by name. Debian's packages would start their services on install; a
# policy-rc.d that answers 101 ("action forbidden") keeps them from starting at all, so there is
# nothing to stop afterwards. The guard is only added when none exists (an administrator's own
# policy-rc.d is left as it is) and is removed on every exit, failed installs and Ctrl-C included.
# --no-install-recommends keeps the install to what is named.
#
# Overridable (tests use them): APT_GET (the package manager), SUDO (empty when root), POLICY_RC_D
# (where the guard goes), PG_BIN_GLOB (where Debian keeps PostgreSQL's versioned binaries).
set -euo pipefail

APT_GET=${APT_GET:-apt-get}
POLICY_RC_D=${POLICY_RC_D:-/usr/sbin/policy-rc.d}
PG_BIN_GLOB=${PG_BIN_GLOB:-/usr/lib/postgresql/*/bin}
if [ -z "${SUDO+x}" ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
fi

have() { command -v "$1" >/dev/null 2>&1; }

missing=()
if ! have prometheus || ! have promtool; then missing+=(prometheus); fi
have prometheus-alertmanager || missing+=(prometheus-alertmanager)
if ! have initdb && ! compgen -G "$PG_BIN_GLOB/initdb" >/dev/null; then
  missing+=(postgresql)
fi
have chromium || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages present"
  exit 0
fi

echo "installing ${missing[*]} (Debian, services not started)"
guard_added=0
cleanup() { if [ "$guard_added" = 1 ]; then $SUDO rm -f "$POLICY_RC_D"; fi; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
if [ ! -e "$POLICY_RC_D" ] && [ ! -L "$POLICY_RC_D" ]; then
  guard_added=1
  printf '#!/bin/sh\n# added by referent system-deps for the duration of one install\nexit 101\n' \
    | $SUDO tee "$POLICY_RC_D" >/dev/null
  $SUDO chmod 755 "$POLICY_RC_D"
fi

$SUDO "$APT_GET" update -qq
# sudo resets the environment: pass DEBIAN_FRONTEND through env(1), not as a prefix assignment.
$SUDO env DEBIAN_FRONTEND=noninteractive "$APT_GET" install -y -qq --no-install-recommends "${missing[@]}" \
  >/dev/null
echo "installed ${missing[*]}"
