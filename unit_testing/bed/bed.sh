#!/usr/bin/env bash
# TTECPhone SIP test bed: two brokers side by side on 127.0.0.1, optionally inside a
# network namespace that has nothing but `lo`: rtpengine + Kamailio, and a real
# Asterisk 22.10.1 configured as Wazo configures it (when installed, see BED_ASTERISK).
#
#   bed.sh start            start rtpengine, Kamailio, then Asterisk; wait until all answer
#   bed.sh stop             stop them all; leave no process behind
#   bed.sh status           print state (exit 0 when all run, 3 otherwise)
#   bed.sh exec CMD...      run CMD where the bed's 127.0.0.1 is (inside the netns)
#   bed.sh kamcmd ARGS...   Kamailio RPC, e.g. `bed.sh kamcmd ul.dump`
#   bed.sh ast 'CLI CMD'    Asterisk CLI, e.g. `bed.sh ast 'pjsip show contacts'`
#   bed.sh sip-stop | sip-start   stop / start Kamailio alone (fault injection;
#                           rtpengine keeps running; registrations are lost)
#   bed.sh ast-stop | ast-start   stop / start Asterisk alone (fault injection)
#
# Environment (defaults in brackets):
#   BED_MODE      auto|netns|loopback [auto: netns when `ip netns` works]
#   BED_NETNS     namespace name [ttecphone-bed]
#   BED_SIP_PORT  Kamailio SIP/UDP port [5060]
#   BED_WS_PORT   Kamailio WebSocket (ws://, subprotocol sip) port [8080]
#   BED_NG_PORT   rtpengine ng control port [2223]
#   BED_RTP_MIN / BED_RTP_MAX  rtpengine media port range [30000 / 30199]
#   BED_DOMAIN    SIP domain served [127.0.0.1]; BED_REALM digest realm [ttecphone-bed]
#   BED_MEDIA_IP  address rtpengine relays media on and offers in its ICE candidate
#                 [127.0.0.1]; the demo sets the host's own address (with
#                 BED_MODE=loopback) so a normal desktop browser, which offers its
#                 real interface addresses and never loopback, can reach it
#   BED_RTPE_TO_WS / BED_RTPE_TO_UDP  rtpengine flags toward the browser / CUCM
#   BED_RUN_DIR   state, logs, generated config [<bed>/run]
#   BED_START_TIMEOUT  seconds to wait for each daemon [10]
#   BED_EXTRA_USERS  FIRST:COUNT generated test users (load generator), e.g. 4000:2500
#                 -> numbers 4000..6499, password test-password-<number> [none]
#   BED_SHM_MB    Kamailio shared memory, MB [64; 128 + 100 KB per generated user]
#   BED_ASTERISK  1 = also run Asterisk, 0 = not [auto: 1 when ASTERISK_PREFIX holds it]
#   ASTERISK_PREFIX  where install.sh unpacked Asterisk [/opt/asterisk-bed]
#   BED_AST_WS_PORT  Asterisk's SIP WebSocket, ws://127.0.0.1:PORT/ws [8088]
#   BED_AST_SIP_PORT Asterisk's SIP/UDP trunk for the "CUCM" [5062]
#   BED_AST_RTP_MIN / BED_AST_RTP_MAX  Asterisk's media ports [30200 / 30399]
#   BED_TRUNK_IP  the "CUCM"'s own address toward Asterisk (its trunk is identified by
#                 it) [127.0.0.2]
#   BED_AST_ICE_IP  an address added to the namespace's lo: Asterisk never offers
#                 127.0.0.0/8 ICE candidates [10.213.0.1] (netns mode only)
# Ports and mode of a running bed are written to $BED_RUN_DIR/ports.env.
set -euo pipefail

BED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN_DIR=${BED_RUN_DIR:-$BED_DIR/run}
PORTS_ENV="$RUN_DIR/ports.env"
IP=127.0.0.1

# A running bed's own settings win over the environment for stop/status/exec.
if [[ ${1:-} != start && -f $PORTS_ENV ]]; then
  # shellcheck disable=SC1090
  source "$PORTS_ENV"
fi

BED_MODE=${BED_MODE:-auto}
BED_NETNS=${BED_NETNS:-ttecphone-bed}
BED_SIP_PORT=${BED_SIP_PORT:-5060}
BED_WS_PORT=${BED_WS_PORT:-8080}
BED_NG_PORT=${BED_NG_PORT:-2223}
BED_RTP_MIN=${BED_RTP_MIN:-30000}
BED_RTP_MAX=${BED_RTP_MAX:-30199}
BED_DOMAIN=${BED_DOMAIN:-127.0.0.1}
BED_REALM=${BED_REALM:-ttecphone-bed}
BED_MEDIA_IP=${BED_MEDIA_IP:-$IP}
BED_START_TIMEOUT=${BED_START_TIMEOUT:-10}
BED_EXTRA_USERS=${BED_EXTRA_USERS:-}
extra_first=0 extra_count=0
if [[ -n $BED_EXTRA_USERS ]]; then
  [[ $BED_EXTRA_USERS =~ ^([0-9]{1,9}):([0-9]{1,6})$ ]] || die "BED_EXTRA_USERS must be FIRST:COUNT, e.g. 4000:2500 (got '$BED_EXTRA_USERS')"
  extra_first=${BASH_REMATCH[1]} extra_count=${BASH_REMATCH[2]}
fi
# Shared memory: each WebSocket agent costs Kamailio about 82 KB of it (a 16 KB TCP
# read buffer + a 64 KB WebSocket frame buffer + bookkeeping), measured with the loadgen.
BED_SHM_MB=${BED_SHM_MB:-$((extra_count > 0 ? 128 + extra_count / 10 : 64))}
# Per-process (pkg) memory: the generated users are script lines parsed into every process.
BED_PKG_MB=$((8 + extra_count / 100))
ASTERISK_PREFIX=${ASTERISK_PREFIX:-/opt/asterisk-bed}
if [[ -z ${BED_ASTERISK:-} || $BED_ASTERISK == auto ]]; then
  if [[ -x $ASTERISK_PREFIX/sbin/asterisk ]]; then BED_ASTERISK=1; else BED_ASTERISK=0; fi
fi
BED_AST_WS_PORT=${BED_AST_WS_PORT:-8088}
BED_AST_SIP_PORT=${BED_AST_SIP_PORT:-5062}
BED_AST_RTP_MIN=${BED_AST_RTP_MIN:-30200}
BED_AST_RTP_MAX=${BED_AST_RTP_MAX:-30399}
BED_TRUNK_IP=${BED_TRUNK_IP:-127.0.0.2}
BED_AST_ICE_IP=${BED_AST_ICE_IP:-10.213.0.1}
AST_CONF="$RUN_DIR/asterisk/etc/asterisk.conf"
BED_RTPE_TO_WS=${BED_RTPE_TO_WS:-ICE=force UDP/TLS/RTP/SAVPF rtcp-mux-offer rtcp-mux-require generate-mid SDES-off DTLS=passive replace-origin replace-session-connection}
BED_RTPE_TO_UDP=${BED_RTPE_TO_UDP:-ICE=remove RTP/AVP rtcp-mux-demux DTLS=off SDES-off replace-origin replace-session-connection}

die() { echo "bed: $*" >&2; exit 1; }
log() { echo "bed: $*" >&2; }

resolve_mode() {
  case $BED_MODE in
    netns|loopback) ;;
    auto)
      # Probe: can we create (or do we already have) the namespace?
      if [[ -e /run/netns/$BED_NETNS ]] || { ip netns add "$BED_NETNS" 2>/dev/null && ip netns del "$BED_NETNS"; }; then
        BED_MODE=netns
      else
        BED_MODE=loopback
      fi ;;
    *) die "BED_MODE must be auto, netns or loopback (got '$BED_MODE')" ;;
  esac
}

ensure_netns() {
  [[ $BED_MODE == netns ]] || return 0
  if [[ ! -e /run/netns/$BED_NETNS ]]; then
    ip netns add "$BED_NETNS" || die "cannot create network namespace $BED_NETNS (set BED_MODE=loopback)"
  fi
  ip netns exec "$BED_NETNS" ip link set lo up
  # Asterisk offers no 127/8 ICE candidate: give it a usable address inside the namespace.
  if [[ $BED_ASTERISK == 1 ]] && ! ip netns exec "$BED_NETNS" ip -4 addr show dev lo | grep -q " $BED_AST_ICE_IP/"; then
    ip netns exec "$BED_NETNS" ip addr add "$BED_AST_ICE_IP/32" dev lo
  fi
}

# Run a command where the bed lives (in the namespace, or plainly on loopback).
in_bed() {
  if [[ $BED_MODE == netns ]]; then ip netns exec "$BED_NETNS" "$@"; else "$@"; fi
}
# Start a daemon detached: `exec` in the background subshell so no bash process
# lingers; `ip netns exec` and `setsid` both exec too, so $! is the daemon itself,
# and setsid makes it a process-group leader that stop_daemons can signal as a group.
spawn() { # name, command...
  local name=$1; shift
  if [[ $BED_MODE == netns ]]; then
    ( exec ip netns exec "$BED_NETNS" setsid "$@" </dev/null >>"$RUN_DIR/$name.log" 2>&1 ) &
  else
    ( exec setsid "$@" </dev/null >>"$RUN_DIR/$name.log" 2>&1 ) &
  fi
  echo $! >"$RUN_DIR/$name.pid"
}

# Alive and not a zombie (a daemon that died during start-up stays a zombie child
# of this script until reaped, and kill -0 would still succeed on it).
alive() {
  [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null || return 1
  local state; state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ $state != Z ]]
}
pid_of() { [[ -s $RUN_DIR/$1.pid ]] && tr -dc 0-9 <"$RUN_DIR/$1.pid" || true; }

tail_log() {
  local f=$RUN_DIR/$1.log
  echo "----- last 40 lines of $f -----" >&2
  [[ -f $f ]] && tail -n 40 "$f" >&2 || echo "(no log)" >&2
  echo "-----" >&2
}

check_free() {
  local busy=""
  # ss inside the namespace sees exactly the sockets that would collide.
  local udp tcp
  udp=$(in_bed ss -Hlnu 2>/dev/null | awk '{print $4}')
  tcp=$(in_bed ss -Hlnt 2>/dev/null | awk '{print $4}')
  port_in() { grep -Eq "(^|[]:])$2\$" <<<"$1"; }  # "]" first in a bracket is literal
  port_in "$udp" "$BED_SIP_PORT" && busy+=" udp/$BED_SIP_PORT(BED_SIP_PORT)"
  port_in "$tcp" "$BED_WS_PORT" && busy+=" tcp/$BED_WS_PORT(BED_WS_PORT)"
  port_in "$udp" "$BED_NG_PORT" && busy+=" udp/$BED_NG_PORT(BED_NG_PORT)"
  if [[ $BED_ASTERISK == 1 ]]; then
    port_in "$tcp" "$BED_AST_WS_PORT" && busy+=" tcp/$BED_AST_WS_PORT(BED_AST_WS_PORT)"
    port_in "$udp" "$BED_AST_SIP_PORT" && busy+=" udp/$BED_AST_SIP_PORT(BED_AST_SIP_PORT)"
  fi
  local p
  for p in $(awk -F: '{print $NF}' <<<"$udp"); do
    ((p >= BED_RTP_MIN && p <= BED_RTP_MAX)) && busy+=" udp/$p(in BED_RTP_MIN..BED_RTP_MAX)"
  done
  [[ -z $busy ]] || die "ports already in use:$busy — stop whatever holds them or choose other ports via the named env vars"
  ((BED_RTP_MAX - BED_RTP_MIN >= 20)) || die "BED_RTP_MIN..BED_RTP_MAX must span at least 20 ports"
}

write_ports_env() {
  cat >"$PORTS_ENV.tmp" <<EOF
# Written by bed.sh start; tests source this file. Test-only bed, loopback only.
BED_MODE=$BED_MODE
BED_NETNS=$BED_NETNS
BED_IP=$IP
BED_SIP_PORT=$BED_SIP_PORT
BED_WS_PORT=$BED_WS_PORT
BED_WS_URL=ws://$IP:$BED_WS_PORT/
BED_NG_PORT=$BED_NG_PORT
BED_RTP_MIN=$BED_RTP_MIN
BED_RTP_MAX=$BED_RTP_MAX
BED_DOMAIN=$BED_DOMAIN
BED_REALM=$BED_REALM
BED_MEDIA_IP=$BED_MEDIA_IP
BED_EXTRA_USERS=$BED_EXTRA_USERS
BED_SHM_MB=$BED_SHM_MB
BED_RUN_DIR=$RUN_DIR
BED_KAMAILIO_CTL=unix:$RUN_DIR/kamailio_ctl
BED_ASTERISK=$BED_ASTERISK
ASTERISK_PREFIX=$ASTERISK_PREFIX
BED_AST_WS_PORT=$BED_AST_WS_PORT
BED_AST_WS_URL=ws://$IP:$BED_AST_WS_PORT/ws
BED_AST_SIP_PORT=$BED_AST_SIP_PORT
BED_AST_RTP_MIN=$BED_AST_RTP_MIN
BED_AST_RTP_MAX=$BED_AST_RTP_MAX
BED_TRUNK_IP=$BED_TRUNK_IP
BED_AST_ICE_IP=$BED_AST_ICE_IP
BED_AST_CONF=$AST_CONF
EOF
  mv "$PORTS_ENV.tmp" "$PORTS_ENV"
}

# The Wazo stub's SIP lines, "<username> <password> <extension> <webrtc|desk>" per line
# (unit_testing/wazo_stub/accounts.mjs), written once per start to run/wazo-accounts.
wazo_accounts() {
  local file=$RUN_DIR/wazo-accounts
  if [[ ! -s $file ]]; then
    (umask 077; node "$BED_DIR/../wazo_stub/accounts.mjs" >"$file.tmp") || die "cannot list the Wazo stub's accounts"
    mv "$file.tmp" "$file"
  fi
  cat "$file"
}

gen_kamailio_cfg() {
  local users="" user pass exten kind
  # users.conf: "<number> <password>" per line; test-only identities.
  while read -r user pass _; do
    [[ -z $user || $user == \#* ]] && continue
    [[ $user =~ ^[0-9A-Za-z._-]+$ && $pass =~ ^[^\"\\]+$ ]] || die "bad line in users.conf for '$user'"
    users+="	\$sht(users=>$user) = \"$pass\";"$'\n'
  done <"$BED_DIR/users.conf"
  # The Wazo stub's lines: their SIP usernames and secrets, and extension -> WebRTC line.
  while read -r user pass exten kind; do
    [[ $user =~ ^[0-9a-z]+$ && $pass =~ ^[0-9a-z]+$ && $exten =~ ^[0-9]+$ ]] || die "bad Wazo stub account '$user'"
    users+="	\$sht(users=>$user) = \"$pass\";"$'\n'
    [[ $kind == webrtc ]] && users+="	\$sht(lines=>$exten) = \"$user\";"$'\n'
  done < <(wazo_accounts)
  # Generated identities for the load generator: the same rule, test-password-<number>.
  local n
  for ((n = extra_first; n < extra_first + extra_count; n++)); do
    users+="	\$sht(users=>$n) = \"test-password-$n\";"$'\n'
  done
  # htable size is log2 of its buckets; a connection per agent plus headroom.
  local bits=4 tcp_max=2048
  while (((1 << bits) < (extra_count + 16) / 4 && bits < 16)); do bits=$((bits + 1)); done
  ((extra_count * 2 + 256 > tcp_max)) && tcp_max=$((extra_count * 2 + 256))
  # Through a file: thousands of generated users exceed one argument's size limit.
  (umask 077; printf '%s' "$users" >"$RUN_DIR/users.cfg.part")
  # Escape for the sed replacement side (& and the | delimiter), then substitute.
  esc() { sed -e 's/[&|\\]/\\&/g' <<<"$1"; }
  local alias="# (no alias: the domain is the listen address)"
  [[ $BED_DOMAIN != "$IP" ]] && alias="alias=\"$BED_DOMAIN\""
  sed -e "s|@@IP@@|$IP|g" \
      -e "s|@@ALIAS@@|$(esc "$alias")|g" \
      -e "s|@@SIP_PORT@@|$BED_SIP_PORT|g" \
      -e "s|@@WS_PORT@@|$BED_WS_PORT|g" \
      -e "s|@@NG_PORT@@|$BED_NG_PORT|g" \
      -e "s|@@RUN_DIR@@|$(esc "$RUN_DIR")|g" \
      -e "s|@@DOMAIN@@|$(esc "$BED_DOMAIN")|g" \
      -e "s|@@REALM@@|$(esc "$BED_REALM")|g" \
      -e "s|@@RTPE_TO_WS@@|$(esc "$BED_RTPE_TO_WS")|g" \
      -e "s|@@RTPE_TO_UDP@@|$(esc "$BED_RTPE_TO_UDP")|g" \
      -e "s|@@USERS_HTABLE_BITS@@|$bits|g" \
      -e "s|@@TCP_MAX@@|$tcp_max|g" \
      "$BED_DIR/kamailio.cfg" | awk -v users_file="$RUN_DIR/users.cfg.part" \
        '{ if ($0 == "@@USERS@@") { while ((getline line < users_file) > 0) print line } else print }' \
      >"$RUN_DIR/kamailio.cfg"
  rm -f "$RUN_DIR/users.cfg.part"
  chmod 600 "$RUN_DIR/kamailio.cfg" # holds the (test) passwords
}

# Asterisk's configuration in run/asterisk/etc/: the templates in asterisk/ with the
# placeholders filled, and one WebRTC line per users.conf entry (endpoint, auth and aor
# named by its SIP username, the extension mapped to it in [agent-lines]).
gen_asterisk_conf() {
  local etc=$RUN_DIR/asterisk/etc f user pass
  rm -rf "$etc"
  mkdir -p "$etc" "$RUN_DIR/asterisk"/{var/cache,var/lib,var/spool,run,log}
  esc() { sed -e 's/[&|\\]/\\&/g' <<<"$1"; }
  for f in "$BED_DIR"/asterisk/*.conf; do
    sed -e "s|@@BED@@|$(esc "$RUN_DIR/asterisk")|g" \
        -e "s|@@PREFIX@@|$(esc "$ASTERISK_PREFIX")|g" \
        -e "s|@@IP@@|$IP|g" \
        -e "s|@@AST_WS_PORT@@|$BED_AST_WS_PORT|g" \
        -e "s|@@AST_SIP_PORT@@|$BED_AST_SIP_PORT|g" \
        -e "s|@@AST_RTP_MIN@@|$BED_AST_RTP_MIN|g" \
        -e "s|@@AST_RTP_MAX@@|$BED_AST_RTP_MAX|g" \
        -e "s|@@TRUNK_IP@@|$BED_TRUNK_IP|g" \
        "$f" >"$etc/$(basename "$f")"
  done
  local pass_re='^[^"\\;]+$' exten kind
  # line(name, password, extension, template): an endpoint, its auth and its aor.
  line() {
    printf '\n[%s](wazo-%s-endpoint)\nauth = %s\naors = %s\ncallerid = "Agent %s" <%s>\n' "$1" "$4" "$1" "$1" "$3" "$3"
    printf '\n[%s]\ntype = auth\nauth_type = userpass\nusername = %s\npassword = %s\n' "$1" "$1" "$2"
    printf '\n[%s](wazo-%s-aor)\n' "$1" "$4"
  }
  (umask 077
   # users.conf's numbers, for the `sip` kind (the AOR is the number).
   while read -r user pass _; do
     [[ -z $user || $user == \#* ]] && continue
     [[ $user =~ ^[0-9A-Za-z._-]+$ && $pass =~ $pass_re ]] || die "bad line in users.conf for '$user'"
     line "$user" "$pass" "$user" webrtc
   done <"$BED_DIR/users.conf"
   # The Wazo stub's lines, named by their SIP usernames as Wazo names them: WebRTC lines
   # from Wazo's webrtc template, desk phones' from its global one.
   while read -r user pass exten kind; do
     [[ $user =~ ^[0-9a-z]+$ && $pass =~ ^[0-9a-z]+$ && $exten =~ ^[0-9]+$ ]] || die "bad Wazo stub account '$user'"
     if [[ $kind == webrtc ]]; then line "$user" "$pass" "$exten" webrtc; else line "$user" "$pass" "$exten" global; fi
   done < <(wazo_accounts)
  ) >>"$etc/pjsip.conf"
  # Extension -> LINE (the number's own AOR, `sip` kind) and WAZO_LINE (its Wazo WebRTC line).
  {
    while read -r user pass _; do
      [[ -z $user || $user == \#* ]] && continue
      printf 'exten => %s,1,Set(LINE=%s)\n same => n,Goto(wazo-lines,%s,1)\n' "$user" "$user" "$user"
    done <"$BED_DIR/users.conf"
    printf '\n[wazo-lines]\nexten => _X.,1,Return()\n'
    while read -r user pass exten kind; do
      [[ $kind == webrtc ]] && printf 'exten => %s,1,Set(WAZO_LINE=%s)\n same => n,Return()\n' "$exten" "$user"
    done < <(wazo_accounts)
  } >>"$etc/extensions.conf"
  chmod 600 "$etc/pjsip.conf" # holds the (test) passwords
}

ast() { "$ASTERISK_PREFIX/sbin/asterisk" -C "$AST_CONF" -rx "$@"; }

start_asterisk() {
  [[ $BED_ASTERISK == 1 ]] || return 0
  [[ -x $ASTERISK_PREFIX/sbin/asterisk ]] || die "Asterisk not installed in $ASTERISK_PREFIX: run $BED_DIR/install.sh (needs ../shared/asterisk/)"
  gen_asterisk_conf
  # -f: foreground (the pid is ours); -g: core dumps; -n: no colours in the log.
  spawn asterisk "$ASTERISK_PREFIX/sbin/asterisk" -C "$AST_CONF" -f -g -n
  wait_for asterisk ast 'core waitfullybooted'
  wait_for asterisk in_bed node "$BED_DIR/bin/probe.mjs" asterisk
}

wait_for() { # name, command...
  local name=$1; shift
  local deadline=$((SECONDS + BED_START_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "$name did not answer within ${BED_START_TIMEOUT}s"
      tail_log "$name"
      do_stop >/dev/null 2>&1 || true
      exit 1
    fi
    local pid; pid=$(pid_of "$name")
    if [[ -n $pid ]] && ! alive "$pid"; then
      log "$name exited during start-up"
      tail_log "$name"
      do_stop >/dev/null 2>&1 || true
      exit 1
    fi
    sleep 0.1
  done
}

# Empty db_text tables for the presence modules (Debian's kamailio package ships
# their definitions); fresh at each Kamailio start, like the in-memory location.
init_presence_db() {
  local src=/usr/share/kamailio/dbtext/kamailio t
  rm -rf "$RUN_DIR/dbtext"
  mkdir -p "$RUN_DIR/dbtext"
  for t in version presentity active_watchers watchers xcap pua; do
    [[ -f $src/$t ]] || die "missing $src/$t (package kamailio)"
    cp "$src/$t" "$RUN_DIR/dbtext/$t"
  done
}

start_kamailio() {
  gen_kamailio_cfg
  init_presence_db
  if ! out=$(kamailio -c -M "$BED_PKG_MB" -f "$RUN_DIR/kamailio.cfg" 2>&1); then
    echo "$out" | tail -n 30 >&2
    do_stop >/dev/null 2>&1 || true
    die "generated kamailio.cfg does not parse (see above)"
  fi
  # -DD: stay in the foreground (no daemonising) so the pid is ours; -E: log to stderr.
  # No -P: spawn already wrote the pid file, and Kamailio refuses to start when
  # its pid file names a live process (itself).
  spawn kamailio kamailio -f "$RUN_DIR/kamailio.cfg" -Y "$RUN_DIR" -DD -E -m "$BED_SHM_MB" -M "$BED_PKG_MB"
  # Both listeners must answer: OPTIONS over UDP and over a real WebSocket (sip).
  wait_for kamailio in_bed node "$BED_DIR/bin/probe.mjs"

}

do_start() {
  local t0; t0=$(date +%s%N)
  [[ $(id -u) == 0 ]] || die "run as root (network namespace, sipp play_pcap_audio raw sockets)"
  for b in kamailio rtpengine sipp node ss; do command -v "$b" >/dev/null || die "$b not installed: run $BED_DIR/install.sh"; done
  mkdir -p "$RUN_DIR"
  if alive "$(pid_of kamailio)" && alive "$(pid_of rtpengine)" && { [[ $BED_ASTERISK != 1 ]] || alive "$(pid_of asterisk)"; }; then
    log "already running"; do_status; return 0
  fi
  # A half-started bed (one daemon died) is stopped first.
  do_stop >/dev/null 2>&1 || true
  resolve_mode
  ensure_netns
  check_free
  [[ -f $BED_DIR/sipp/media/pcmu-prompt.pcap ]] || "$BED_DIR/bin/make-media.sh" >&2
  [[ -d $BED_DIR/node_modules/ws ]] || die "node_modules missing: run $BED_DIR/install.sh (npm ci)"
  # Logs of the previous run go now (kept until here for post-mortems).
  rm -f "$RUN_DIR"/{rtpengine,kamailio,asterisk}.{pid,log} "$RUN_DIR"/sipp-* "$RUN_DIR/wazo-accounts" "$PORTS_ENV"
  rm -rf "$RUN_DIR/asterisk"
  write_ports_env

  # rtpengine first: Kamailio marks an unreachable rtpengine disabled for a while.
  # --table=-1: userspace forwarding only (no kernel module); DTLS/SRTP/ICE are done
  # in userspace anyway. setsid: own process group, detached from the caller.
  spawn rtpengine rtpengine \
    --config-file=none --foreground --log-stderr --log-level=6 \
    --table=-1 --interface="$BED_MEDIA_IP" --listen-ng="$IP:$BED_NG_PORT" \
    --port-min="$BED_RTP_MIN" --port-max="$BED_RTP_MAX" \
    --pidfile="$RUN_DIR/rtpengine.pid" --num-threads=2 --delete-delay=0 \
    --timeout=60 --silent-timeout=3600 --final-timeout=7200
  wait_for rtpengine in_bed node "$BED_DIR/bin/ng.mjs" ping

  start_kamailio
  start_asterisk

  local ms=$((($(date +%s%N) - t0) / 1000000))
  echo "BED_START_MS=$ms" >>"$PORTS_ENV"
  log "up in ${ms} ms ($BED_MODE mode): SIP udp:$IP:$BED_SIP_PORT, ws://$IP:$BED_WS_PORT/, ng udp:$IP:$BED_NG_PORT, RTP $BED_MEDIA_IP:$BED_RTP_MIN-$BED_RTP_MAX"
  [[ $BED_ASTERISK == 1 ]] && log "Asterisk: ws://$IP:$BED_AST_WS_PORT/ws, trunk udp:$IP:$BED_AST_SIP_PORT from $BED_TRUNK_IP, RTP $BED_AST_RTP_MIN-$BED_AST_RTP_MAX"
  [[ $BED_MODE == netns ]] && log "clients must run inside the namespace: $BED_DIR/bed.sh exec <cmd>"
  return 0
}

signal_group() { # signal, name
  local pid; pid=$(pid_of "$2")
  # setsid made each daemon a process-group leader: signal the whole group so
  # Kamailio's worker children go too.
  [[ -n $pid ]] && { kill "-$1" -- "-$pid" 2>/dev/null || kill "-$1" "$pid" 2>/dev/null; } || true
}
group_alive() { local pid; pid=$(pid_of "$1"); [[ -n $pid ]] && pgrep -g "$pid" >/dev/null; }

# One daemon alone (fault injection): SIGTERM, SIGKILL after 5 s.
stop_one() { # name
  signal_group TERM "$1"
  local i
  for i in $(seq 100); do group_alive "$1" || break; sleep 0.05; done
  if group_alive "$1"; then signal_group KILL "$1"; fi
  rm -f "$RUN_DIR/$1.pid"
}

stop_daemons() {
  # Both at once: each takes 1-2 s to wind down (rtpengine's timer threads,
  # Kamailio's children), so in parallel the stop costs the slower of the two.
  signal_group TERM kamailio
  signal_group TERM rtpengine
  signal_group TERM asterisk
  local i name
  for i in $(seq 100); do
    group_alive kamailio || group_alive rtpengine || group_alive asterisk || break
    sleep 0.05
  done
  for name in kamailio rtpengine asterisk; do
    if group_alive "$name"; then
      log "$name did not stop within 5 s of SIGTERM, killing"
      signal_group KILL "$name"
      sleep 0.2
    fi
    rm -f "$RUN_DIR/$name.pid"
  done
}

do_stop() {
  stop_daemons
  rm -f "$RUN_DIR/kamailio_ctl"
  # Drop the namespace only when nothing runs in it any more: a caller that
  # lives inside (`bed.sh exec node --test`) may start the bed again.
  if [[ ${BED_MODE:-} == netns && -e /run/netns/$BED_NETNS ]]; then
    if [[ -z $(ip netns pids "$BED_NETNS" 2>/dev/null) ]]; then
      ip netns del "$BED_NETNS" || true
    fi
  fi
  rm -f "$PORTS_ENV"
  log "stopped"
}

do_status() {
  local k r rc=0
  k=$(pid_of kamailio); r=$(pid_of rtpengine)
  if alive "$r"; then echo "rtpengine: running (pid $r)"; else echo "rtpengine: stopped"; rc=3; fi
  if alive "$k"; then echo "kamailio: running (pid $k)"; else echo "kamailio: stopped"; rc=3; fi
  if [[ $BED_ASTERISK == 1 ]]; then
    local a; a=$(pid_of asterisk)
    if alive "$a"; then echo "asterisk: running (pid $a)"; else echo "asterisk: stopped"; rc=3; fi
  fi
  [[ -f $PORTS_ENV ]] && grep -v '^#' "$PORTS_ENV"
  return $rc
}

cmd=${1:-}
shift || true
case $cmd in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  exec)
    (($#)) || die "usage: bed.sh exec CMD [ARGS...]"
    resolve_mode
    ensure_netns
    [[ $BED_MODE == netns ]] || exec "$@"
    rc=0
    ip netns exec "$BED_NETNS" "$@" || rc=$?
    # The command may have stopped the bed from inside, when the namespace could
    # not go yet: if no bed runs and nothing is left in it, remove it now.
    if [[ ! -f $PORTS_ENV && -e /run/netns/$BED_NETNS && -z $(ip netns pids "$BED_NETNS" 2>/dev/null) ]]; then
      ip netns del "$BED_NETNS" || true
    fi
    exit $rc ;;
  sip-stop)
    # Fault injection: Kamailio goes away (WebSockets drop), rtpengine and its
    # media sessions stay up.
    stop_one kamailio; log "kamailio stopped (rtpengine still running)" ;;
  sip-start)
    [[ -f $PORTS_ENV ]] || die "bed not started"
    alive "$(pid_of kamailio)" && die "kamailio already running"
    start_kamailio; log "kamailio started" ;;
  kamcmd) exec kamcmd -s "unix:$RUN_DIR/kamailio_ctl" "$@" ;;
  ast) (($#)) || die "usage: bed.sh ast 'CLI command'"; ast "$*" ;;
  ast-stop)
    # Fault injection: Asterisk goes away (its WebSockets and calls drop).
    stop_one asterisk; log "asterisk stopped" ;;
  ast-start)
    [[ -f $PORTS_ENV ]] || die "bed not started"
    [[ $BED_ASTERISK == 1 ]] || die "the bed runs without Asterisk (BED_ASTERISK=0)"
    alive "$(pid_of asterisk)" && die "asterisk already running"
    start_asterisk; log "asterisk started" ;;
  *) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 2 ;;
esac
