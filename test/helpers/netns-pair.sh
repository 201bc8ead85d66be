#!/usr/bin/env bash
# Two machines on a LAN of their own: run inside `unshare -rn` (a user and
# network namespace this test creates). Machine A stays in that namespace,
# machine B gets a nested one; a veth pair joins them with TEST-NET-1
# addresses (192.0.2.1 / 192.0.2.2) and a multicast route. No DHT, no
# address of the real machine's network.
#   usage: netns-pair.sh DIR HOME_A HOME_B [wrong]   (wrong: the joiner keeps the
#   nameplate but types other words; the invite then lives PAIR_TTL seconds)
# Writes DIR/{inv,join}.{out,err,rc}.
set -u
dir="$1" ha="$2" hb="$3" override="${4:-}"
ip link set lo up
unshare -n bash -c '
  echo $$ > "'"$dir"'/child.pid"
  for i in $(seq 100); do [ -e "'"$dir"'/go" ] && break; sleep 0.1; done
  ip link set lo up
  ip addr add 192.0.2.2/24 dev vb && ip link set vb up && ip route add 224.0.0.0/4 dev vb
  code=""
  for i in $(seq 150); do code=$(sed -n "s/^Pairing code: //p" "'"$dir"'/inv.err" 2>/dev/null); [ -n "$code" ] && break; sleep 0.1; done
  [ "'"$override"'" = wrong ] && code="${code%%-*}-abandon-abandon-zoo"
  HOME="'"$hb"'" XDG_CONFIG_HOME="'"$hb"'/.config" CCKIT_PAIR_CODE="$code" timeout 60 cc-pair join --lan >"'"$dir"'/join.out" 2>"'"$dir"'/join.err"
  echo $? > "'"$dir"'/join.rc"
' &
child=$!
for i in $(seq 100); do [ -s "$dir/child.pid" ] && break; sleep 0.1; done
ip link add va type veth peer name vb netns "$(cat "$dir/child.pid")"
ip addr add 192.0.2.1/24 dev va && ip link set va up && ip route add 224.0.0.0/4 dev va
touch "$dir/go"
HOME="$ha" XDG_CONFIG_HOME="$ha/.config" timeout 60 cc-pair code --lan --ttl "${PAIR_TTL:-30}" >"$dir/inv.out" 2>"$dir/inv.err"
echo $? > "$dir/inv.rc"
wait "$child"
