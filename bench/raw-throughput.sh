#!/usr/bin/env bash
# Raw-mode throughput: `cc-seal --raw` against Go `age -r`, and
# `cc-open --raw` against `age -d`, on the same input in the same run.
# Target (issue 2): encryption at least 0.3x of age.
#
# Usage: bash bench/raw-throughput.sh [MiB] [runs]     (default 256 MiB, best of 3)
# Both sides read a regular file on stdin and write to /dev/null, so the
# figures are the tools' own cost (process start included), not the disk's.
# MB/s are 10^6 bytes per second of plaintext.
set -euo pipefail
cd "$(dirname "$0")/.."
MIB=${1:-256}
RUNS=${2:-3}

command -v age >/dev/null || { echo "raw-throughput: the age CLI is needed (Debian package age)" >&2; exit 1; }
[ -f dist/cc-seal.cjs ] || node build.mjs

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" CCKIT_NO_TTY=1 XDG_CONFIG_HOME="$work/home/.config"
unset CCKIT_KEY_FILE CCKIT_PASSPHRASE
mkdir -p "$HOME" && chmod 700 "$HOME"
PATH="$PWD/bin:$PATH"

cc-key init --no-passphrase >/dev/null
(umask 077; cc-key age-identity > "$work/identity")
recipient=$(cc-key whoami | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).age_recipient))')

head -c $((MIB * 1048576)) /dev/urandom > "$work/plain"
bytes=$((MIB * 1048576))
age -r "$recipient" < "$work/plain" > "$work/by-age.age"
cc-seal --raw < "$work/plain" > "$work/by-cckit.age"

# Both outputs must be correct before they are timed.
age -d -i "$work/identity" < "$work/by-cckit.age" | cmp -s - "$work/plain" || { echo "raw-throughput: age cannot decrypt cc-seal's output" >&2; exit 1; }
cc-open --raw < "$work/by-age.age" | cmp -s - "$work/plain" || { echo "raw-throughput: cc-open cannot decrypt age's output" >&2; exit 1; }

# Best wall time in seconds of RUNS runs of: $1 < $2 > /dev/null
best() {
  local input="$1"; shift
  local min="" t0 t1 dt
  for _ in $(seq "$RUNS"); do
    t0=$(date +%s%N)
    "$@" < "$input" > /dev/null
    t1=$(date +%s%N)
    dt=$((t1 - t0))
    if [ -z "$min" ] || [ "$dt" -lt "$min" ]; then min=$dt; fi
  done
  echo "$min"
}

mbps() { node -e "console.log(($1 / ($2 / 1e9) / 1e6).toFixed(0))"; }
ratio() { node -e "console.log(($1 / $2).toFixed(2))"; }

# Interleave the two sides so machine noise (other jobs) hits both alike.
enc_age=$(best "$work/plain" age -r "$recipient")
enc_cc=$(best "$work/plain" cc-seal --raw)
dec_age=$(best "$work/by-age.age" age -d -i "$work/identity")
dec_cc=$(best "$work/by-age.age" cc-open --raw)

printf 'raw throughput, %d MiB, best of %d (MB/s = 10^6 B/s of plaintext)\n' "$MIB" "$RUNS"
printf '  encrypt  age -r          %6s MB/s\n' "$(mbps $bytes "$enc_age")"
printf '  encrypt  cc-seal --raw   %6s MB/s   ratio %s (target >= 0.30)\n' "$(mbps $bytes "$enc_cc")" "$(ratio "$enc_age" "$enc_cc")"
printf '  decrypt  age -d          %6s MB/s\n' "$(mbps $bytes "$dec_age")"
printf '  decrypt  cc-open --raw   %6s MB/s   ratio %s\n' "$(mbps $bytes "$dec_cc")" "$(ratio "$dec_age" "$dec_cc")"
