#!/usr/bin/env bash
# Two machines on a LAN of their own, each running a script the test wrote:
# run inside `unshare -rn` (a user and network namespace this test creates).
# Machine A stays in that namespace (192.0.2.1), machine B gets a nested one
# (192.0.2.2); a veth pair with TEST-NET-1 addresses and a multicast route
# joins them. No address of the real machine's network is reachable.
#   usage: netns-lan.sh DIR      runs DIR/a.sh and DIR/b.sh at the same time
# Writes DIR/{a,b}.rc; the scripts write whatever else they like under DIR.
set -u
dir="$1"
ip link set lo up
unshare -n bash -c '
  echo $$ > "'"$dir"'/child.pid"
  for i in $(seq 100); do [ -e "'"$dir"'/go" ] && break; sleep 0.1; done
  ip link set lo up
  ip addr add 192.0.2.2/24 dev vb && ip link set vb up && ip route add 224.0.0.0/4 dev vb
  bash "'"$dir"'/b.sh"; echo $? > "'"$dir"'/b.rc"
' &
child=$!
for i in $(seq 100); do [ -s "$dir/child.pid" ] && break; sleep 0.1; done
ip link add va type veth peer name vb netns "$(cat "$dir/child.pid")"
ip addr add 192.0.2.1/24 dev va && ip link set va up && ip route add 224.0.0.0/4 dev va
touch "$dir/go"
bash "$dir/a.sh"; echo $? > "$dir/a.rc"
wait "$child"
