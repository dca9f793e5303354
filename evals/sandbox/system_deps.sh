#!/usr/bin/env bash
# Installs the system packages the sandbox needs, only when their binaries are missing:
# Prometheus + promtool + Alertmanager, and PostgreSQL (the multi-replica store tests).
#
# Never stops processes by name. Debian's packages would start their services on install; a
# policy-rc.d that answers 101 ("action forbidden") keeps them from starting at all, so there is
# nothing to stop afterwards. --no-install-recommends keeps the install to what is named.
#
# Overridable for tests: APT_GET (the package manager), SUDO, POLICY_RC_D (where the guard goes).
set -euo pipefail

APT_GET=${APT_GET:-apt-get}
POLICY_RC_D=${POLICY_RC_D:-/usr/sbin/policy-rc.d}
if [ -z "${SUDO+x}" ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
fi

missing=()
for bin in prometheus promtool; do
  command -v "$bin" >/dev/null 2>&1 || { missing+=(prometheus); break; }
done
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages present"
  exit 0
fi

echo "installing ${missing[*]} (Debian, services not started)"
guard_added=0
if [ ! -e "$POLICY_RC_D" ]; then
  printf '#!/bin/sh\n# added by referent system-deps for the duration of one install\nexit 101\n' \
    | $SUDO tee "$POLICY_RC_D" >/dev/null
  $SUDO chmod 755 "$POLICY_RC_D"
  guard_added=1
fi
cleanup() { if [ "$guard_added" = 1 ]; then $SUDO rm -f "$POLICY_RC_D"; fi; }
trap cleanup EXIT

$SUDO "$APT_GET" update -qq
DEBIAN_FRONTEND=noninteractive $SUDO "$APT_GET" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed ${missing[*]}"
