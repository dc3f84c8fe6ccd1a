#!/usr/bin/env bash
# Installs what the SIP test bed needs on Debian 12 (bookworm), as root,
# non-interactively, from Debian and npm only. Idempotent: installed packages are
# skipped, and `apt-get update` only runs when something is missing.
#
#   kamailio + kamailio-websocket-modules   SIP registrar/proxy, SIP over WebSocket
#   kamailio-presence-modules               presence + dialog event package (supervisor board)
#   rtpengine-daemon                        media relay, userspace only (no DKMS
#                                           kernel module: --no-install-recommends)
#   sip-tester                              sipp, playing CUCM
#   espeak-ng, sox                          the spoken PCMU prompt sipp plays
#   iproute2, procps                        ip netns, ss, pgrep
#   nftables                                firewall rules in the bed's namespace: the media
#                                           path cut (e2e resilience), the firewall in front
#                                           of the media server (lib/media-firewall.mjs)
#   iptables                                its NFQUEUE target hands the agent's media to
#                                           netdelay (delay and jitter; this kernel has
#                                           neither sch_netem nor nftables' queue)
#   nodejs + npm (only if no node >= 18)    the bed's scripts and tests
#   Asterisk 22.10.1 (Wazo's version)       the second broker kind (BED_ASTERISK): unpacked
#                                           into /opt/asterisk-bed from ../shared/asterisk/
#                                           (built from the official sources, see its README),
#                                           with its runtime packages from Debian
# Package services are never left running: the bed starts its own daemons on
# loopback, and Debian's would grab 5060 / 2223 on every interface.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
BED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

[[ $(id -u) == 0 ]] || { echo "install.sh: run as root" >&2; exit 1; }
[[ -r /etc/debian_version ]] || { echo "install.sh: Debian only" >&2; exit 1; }

PKGS=(kamailio kamailio-websocket-modules kamailio-presence-modules rtpengine-daemon sip-tester espeak-ng sox iproute2 procps nftables iptables)
# Asterisk's runtime libraries (../shared/asterisk/README.md).
ASTERISK_PKGS=(libedit2 libjansson4 libsrtp2-1 libxslt1.1 libxml2 libsqlite3-0 libssl3 libnss3 libicu72 libuuid1 libbsd0 xz-utils)
PKGS+=("${ASTERISK_PKGS[@]}")
if ! command -v node >/dev/null || (( $(node -p 'process.versions.node.split(".")[0]') < 18 )); then
  PKGS+=(nodejs npm)
fi
SERVICES=(kamailio rtpengine-daemon rtpengine-recording-daemon)

installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }

missing=()
for p in "${PKGS[@]}"; do installed "$p" || missing+=("$p"); done

if ((${#missing[@]})); then
  echo "install.sh: installing ${missing[*]}"
  # Forbid maintainer scripts from starting services during the install (exit
  # 101 = "action forbidden", see invoke-rc.d(8)). Keep an existing policy-rc.d
  # (e.g. Docker's) untouched.
  own_policy=
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  trap '[[ -n $own_policy ]] && rm -f /usr/sbin/policy-rc.d' EXIT
  # Wait for a concurrent apt/dpkg run instead of failing on the lock.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install.sh: Debian packages already installed"
fi

# Whatever policy was in force, make sure the packaged services neither run nor
# start at boot.
for s in "${SERVICES[@]}"; do
  [[ -e /etc/init.d/$s || -e /lib/systemd/system/$s.service ]] || continue
  if [[ -d /run/systemd/system ]]; then
    systemctl disable --now "$s" >/dev/null 2>&1 || true
  elif [[ -x /etc/init.d/$s ]]; then
    update-rc.d "$s" disable >/dev/null 2>&1 || true
  fi
done

# Asterisk from ../shared/asterisk/ (beside the repository), unpacked once into /opt;
# a different tarball (a rebuild) replaces the tree. Without ../shared the Asterisk
# broker is unavailable and bed.sh says so when asked for it.
ASTERISK_PREFIX=${ASTERISK_PREFIX:-/opt/asterisk-bed}
ASTERISK_TARBALL=${ASTERISK_TARBALL:-$(cd "$BED_DIR/../../.." && pwd)/shared/asterisk/asterisk-22.10.1-bookworm-amd64.tar.xz}
if [[ -f $ASTERISK_TARBALL ]]; then
  stamp="$(stat -c '%s %Y' "$ASTERISK_TARBALL") $(basename "$ASTERISK_TARBALL")"
  if [[ -x $ASTERISK_PREFIX/sbin/asterisk && "$(cat "$ASTERISK_PREFIX/.ttec-installed" 2>/dev/null)" == "$stamp" ]]; then
    echo "install.sh: Asterisk already installed in $ASTERISK_PREFIX"
  else
    echo "install.sh: unpacking Asterisk into $ASTERISK_PREFIX"
    rm -rf "$ASTERISK_PREFIX"
    mkdir -p "$(dirname "$ASTERISK_PREFIX")"
    tar -xJf "$ASTERISK_TARBALL" -C "$(dirname "$ASTERISK_PREFIX")"
    [[ -x $ASTERISK_PREFIX/sbin/asterisk ]] || { echo "install.sh: $ASTERISK_TARBALL has no asterisk-bed/sbin/asterisk" >&2; exit 1; }
    echo "$stamp" >"$ASTERISK_PREFIX/.ttec-installed"
  fi
else
  echo "install.sh: no $ASTERISK_TARBALL: the Asterisk broker will be unavailable" >&2
fi

# The bed's own Node dependencies, exactly as locked.
cd "$BED_DIR"
if npm ls --omit=dev >/dev/null 2>&1; then
  echo "install.sh: node_modules up to date"
else
  npm ci --no-audit --no-fund
fi

[[ -f $BED_DIR/sipp/media/pcmu-prompt.pcap ]] || "$BED_DIR/bin/make-media.sh"

echo "install.sh: versions:"
for p in kamailio rtpengine-daemon sip-tester; do
  printf '  %-18s %s\n' "$p" "$(dpkg-query -W -f='${Version}' "$p")"
done
printf '  %-18s %s\n' node "$(node --version)"
[[ -x $ASTERISK_PREFIX/sbin/asterisk ]] && printf '  %-18s %s\n' asterisk "$("$ASTERISK_PREFIX/sbin/asterisk" -V)"
true
