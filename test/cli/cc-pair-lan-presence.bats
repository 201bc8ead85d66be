#!/usr/bin/env bats
# cc-pair lan beacon / discover: opt-in presence of already-paired peers on a
# LAN, with no DHT at all (CCKIT_HYPER_BOOTSTRAP unset, CCKIT_TEST_NO_PUBLIC=1).
# The LAN is the test's own (network namespaces joined by a veth pair, see
# test/helpers/netns-lan.sh); the loopback tests send to 127.0.0.1 instead of
# a multicast group and run everywhere.
bats_require_minimum_version 1.5.0
load helpers

setup() {
  setup_home
  export CCKIT_TEST_NO_PUBLIC=1
  unset CCKIT_HYPER_BOOTSTRAP CCKIT_LAN_GROUP CCKIT_LAN_PRESENCE_PORT
  for m in a b c d; do as_machine "$m" cc-key init --no-passphrase >/dev/null; done
  TAP="$ROOT/test/helpers/udp-tap.mjs"
}

teardown() {
  local p
  for p in ${BG_PIDS:-}; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

# paired MACHINE NAME OTHER: MACHINE knows OTHER's key as NAME (what cc-pair code/join would store).
paired() {
  local cfg="$BATS_TEST_TMPDIR/$1/.config/cckit"
  mkdir -p "$cfg" && chmod 700 "$cfg"
  printf '[[peer]]\nname = "%s"\npubkey = "%s"\naddrs = []\nvia = "code"\nallow = ["view"]\n\n' "$2" "$(pubkey_of "$3")" >>"$cfg/peers.toml"
  chmod 600 "$cfg/peers.toml"
}

need_netns() {
  unshare -rn true 2>/dev/null || skip "cannot create a network namespace here (unshare -rn failed): the loopback tests below cover the same code"
}

# machine_exec MACHINE CMD…: become CMD as MACHINE (for `&`: then $! is CMD's own pid, which kill reaches).
machine_exec() { local h="$BATS_TEST_TMPDIR/$1"; shift; exec env HOME="$h" XDG_CONFIG_HOME="$h/.config" "$@"; }

# A machine's shell prefix for the namespace scripts.
machine_env() { echo "HOME='$BATS_TEST_TMPDIR/$1' XDG_CONFIG_HOME='$BATS_TEST_TMPDIR/$1/.config' PATH='$ROOT/bin:$PATH'"; }

@test "lan discover: a paired peer's beacon is recognised across a veth LAN; an unpaired key's and a silent peer's are not" {
  need_netns
  paired a bee b; paired a dee d # d is paired but never opts in
  paired b alpha a
  paired c alpha a # c thinks it is paired with a; a never paired with c
  local dir="$BATS_TEST_TMPDIR"
  cat >"$dir/b.sh" <<SH
env $(machine_env b) cc-pair lan beacon --interval 1 --port 4242 2>"$dir/beacon-b.err" & pb=\$!
env $(machine_env c) cc-pair lan beacon --interval 1 2>"$dir/beacon-c.err" & pc=\$!
for i in \$(seq 200); do [ -e "$dir/a.done" ] && break; sleep 0.1; done
kill \$pb \$pc; wait \$pb; echo \$? > "$dir/beacon-b.rc"
SH
  cat >"$dir/a.sh" <<SH
node "$TAP" listen 239.255.67.75 47389 4 "$dir/heard" > "$dir/heard.count" &
env $(machine_env a) cc-pair lan discover --timeout 4 >"$dir/disc.out" 2>"$dir/disc.err"; echo \$? > "$dir/disc.rc"
wait
touch "$dir/a.done"
SH
  run unshare -rn bash "$ROOT/test/helpers/netns-lan.sh" "$dir"
  [ "$(cat "$dir/disc.rc")" = 0 ] || { cat "$dir"/*.err; false; }
  run node -e 'const l=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(l.map(p=>[p.name,p.pubkey,p.addr,p.port,typeof p.seen_at].join(" ")).join("\n"))' "$dir/disc.out"
  [ "$output" = "bee $(pubkey_of b) 192.0.2.2 4242 number" ]
  grep -q "Beaconing presence to 1 paired peer" "$dir/beacon-b.err"
  [ "$(cat "$dir/beacon-b.rc")" = 0 ] # stopped cleanly by SIGTERM
  # Both beacons were on the wire, and neither carries a key, a name or a port in clear.
  [ "$(cat "$dir/heard.count")" -ge 2 ]
  local zb zc
  zb=$(pubkey_of b); zc=$(pubkey_of c)
  ! grep -qa -e "${zb#pk:}" -e "${zc#pk:}" -e alpha -e bee "$dir"/heard/*.bin
  # Two beacons from the same sender share nothing but the 5-byte header.
  [ "$(cmp -l "$dir/heard/1.bin" "$dir/heard/2.bin" 2>/dev/null | awk '$1 > 5' | wc -l)" -gt 60 ]
}

@test "lan discover: a peer that did not opt in sends nothing (its own discover and list are silent)" {
  need_netns
  paired a bee b; paired b alpha a
  local dir="$BATS_TEST_TMPDIR"
  cat >"$dir/b.sh" <<SH
env $(machine_env b) cc-pair list >/dev/null
env $(machine_env b) cc-pair lan discover --timeout 3 >"$dir/disc-b.out"
SH
  cat >"$dir/a.sh" <<SH
node "$TAP" listen 239.255.67.75 47389 4 "$dir/heard" > "$dir/heard.count" &
env $(machine_env a) cc-pair lan discover --timeout 4 >"$dir/disc.out" 2>"$dir/disc.err"; echo \$? > "$dir/disc.rc"
wait
SH
  run unshare -rn bash "$ROOT/test/helpers/netns-lan.sh" "$dir"
  [ "$(cat "$dir/disc.rc")" = 0 ]
  [ "$(cat "$dir/heard.count")" = 0 ]
  [ "$(tr -d ' \n' <"$dir/disc.out")" = '[]' ]
  [ "$(tr -d ' \n' <"$dir/disc-b.out")" = '[]' ]
}

# --- loopback: 127.0.0.1 instead of a multicast group (runs without namespaces) ---

use_loopback() {
  export CCKIT_LAN_GROUP=127.0.0.1 CCKIT_LAN_PRESENCE_PORT=$((20000 + RANDOM % 20000))
}

@test "lan discover (loopback): a live beacon is recognised, an unpaired key's is not" {
  use_loopback
  paired a bee b; paired a dee d
  paired b alpha a; paired c alpha a
  machine_exec b cc-pair lan beacon --interval 1 2>/dev/null & BG_PIDS="$!"
  machine_exec c cc-pair lan beacon --interval 1 2>/dev/null & BG_PIDS="$BG_PIDS $!"
  run --separate-stderr as_machine a cc-pair lan discover --timeout 3
  assert_success
  run node -e 'const l=JSON.parse(process.argv[1]);console.log(l.map(p=>[p.name,p.addr,String(p.port)].join(" ")).join("\n"))' "$output"
  [ "$output" = "bee 127.0.0.1 null" ]
}

@test "lan discover (loopback): a beacon captured earlier and replayed is not fresh; hostile datagrams are dropped" {
  use_loopback
  paired a bee b; paired b alpha a
  local dir="$BATS_TEST_TMPDIR" port="$CCKIT_LAN_PRESENCE_PORT"
  node "$TAP" listen 127.0.0.1 "$port" 30 "$dir/cap" 1 >"$dir/cap.count" & local tap=$!
  for i in $(seq 50); do [ -e "$dir/cap/ready" ] && break; sleep 0.1; done
  machine_exec b cc-pair lan beacon --interval 1 2>/dev/null & local pb=$!
  wait "$tap"; kill "$pb"; wait "$pb" || true
  [ "$(cat "$dir/cap.count")" -ge 1 ]
  sleep 3 # the captured beacon is now older than --max-age 2
  # Hostile datagrams: random bytes, a bare header, the magic with random entries, oversized, empty.
  head -c 100 /dev/urandom >"$dir/junk1"
  printf 'cckb\001' >"$dir/junk2"
  { printf 'cckb\001'; head -c $((12 + 26 * 4)) /dev/urandom; } >"$dir/junk3"
  { printf 'cckb\001'; head -c 60000 /dev/urandom; } >"$dir/junk4"
  : >"$dir/junk5"
  { head -c 17 "$dir/cap/1.bin"; head -c 25 /dev/urandom; } >"$dir/junk6" # a cut entry
  as_machine a cc-pair lan discover --timeout 3 --max-age 2 >"$dir/disc.out" 2>"$dir/disc.err" & local pd=$!
  for i in $(seq 25); do node "$TAP" send 127.0.0.1 "$port" "$dir/cap/1.bin" "$dir"/junk*; sleep 0.1; done
  local rc=0; wait "$pd" || rc=$?
  [ "$rc" = 0 ] || { cat "$dir/disc.err"; false; }
  [ ! -s "$dir/disc.err" ]
  [ "$(tr -d ' \n' <"$dir/disc.out")" = '[]' ]
  # The same captured beacon is recognised when it is fresh enough (so it was the age that counted).
  as_machine a cc-pair lan discover --timeout 3 --max-age 3600 >"$dir/disc2.out" & pd=$!
  for i in $(seq 25); do node "$TAP" send 127.0.0.1 "$port" "$dir/cap/1.bin"; sleep 0.1; done
  wait "$pd"
  [ "$(json_field 0.name <"$dir/disc2.out")" = bee ]
}

@test "lan: usage errors and no peers" {
  run --separate-stderr cc-pair lan
  [ "$status" = 2 ]; assert_one_error cc-pair
  run --separate-stderr cc-pair lan shout
  [ "$status" = 2 ]; assert_one_error cc-pair
  run --separate-stderr as_machine a cc-pair lan beacon --interval 0
  [ "$status" = 2 ]; assert_one_error cc-pair
  run --separate-stderr as_machine a cc-pair lan discover --timeout x
  [ "$status" = 2 ]; assert_one_error cc-pair
  run --separate-stderr as_machine a cc-pair lan beacon
  [ "$status" = 3 ]; assert_one_error cc-pair
  # No peers: nothing to listen for, an empty list at once.
  run --separate-stderr as_machine a cc-pair lan discover
  assert_success
  [ "$(echo "$output" | tr -d ' \n')" = '[]' ]
}
