#!/usr/bin/env bash
# cc-context push and pull of FILES files / MB megabytes to a folder store,
# against `rclone copy` of the same plaintext to a folder in the same run
# (targets, issue 11: push and pull <= 2x rclone copy; an incremental push
# after one file changed <= 5 % of the full push, as a one-off command and
# from a running `cc-context watch`; peak RSS <= 150 MB, whatever the folder size).
#
# Usage: bash bench/context-sync.sh [FILES] [MB]      (default 10000 files, 100 MB)
# Peak RSS is GNU time's maximum resident set size of the whole command.
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=${1:-10000}
MB=${2:-100}

command -v rclone >/dev/null || { echo "context-sync: rclone is needed (Debian package rclone)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "context-sync: GNU time is needed (Debian package time)" >&2; exit 1; }
[ -f dist/cc-context.cjs ] || node build.mjs

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PATH="$PWD/bin:$PATH"
export CCKIT_NO_TTY=1 RCLONE_CONFIG=/dev/null
unset CCKIT_KEY_FILE CCKIT_PASSPHRASE CCKIT_CONFIG_DIR CCKIT_STATE_DIR
# run_as MACHINE CMD...: CMD with that machine's HOME (an env(1) prefix, so /usr/bin/time can run it too)
run_as() { local m="$1"; shift; env HOME="$work/$m" XDG_CONFIG_HOME="$work/$m/.config" XDG_STATE_HOME="$work/$m/.local/state" "$@"; }
envof() { echo env HOME="$work/$1" XDG_CONFIG_HOME="$work/$1/.config" XDG_STATE_HOME="$work/$1/.local/state"; }
for m in owner peer; do mkdir -p "$work/$m" && chmod 700 "$work/$m" && run_as "$m" cc-key init --no-passphrase >/dev/null; done
peer_pk=$(run_as peer cc-key whoami | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).pubkey))')
owner_pk=$(run_as owner cc-key whoami | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).pubkey))')

# FILES files in 100 folders, MB megabytes in all, incompressible.
src="$work/space"
node -e '
const fs = require("fs"), crypto = require("crypto");
const [dir, n, mb] = [process.argv[1], +process.argv[2], +process.argv[3]];
const size = Math.floor(mb * 1e6 / n);
for (let i = 0; i < n; i++) {
  const d = `${dir}/d${String(i % 100).padStart(2, "0")}`;
  if (i < 100) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(`${d}/f${i}.md`, crypto.randomBytes(size));
}' "$src" "$FILES" "$MB"
run_as owner cc-context init "$src" --store "$work/store" >/dev/null
run_as owner cc-context grant "$peer_pk" / r --dir "$src" >/dev/null
sync

# seconds and peak RSS (MB) of a command: sets SECS and RSS
measure() {
  local out="$work/time.out"
  /usr/bin/time -f '%e %M' -o "$out" "$@" >/dev/null
  SECS=$(cut -d' ' -f1 "$out")
  RSS=$(awk '{printf "%.0f", $2 / 1024}' "$out")
}

# rclone copy's time swings by 2x from run to run here (it leans on both cores and the
# page cache): the reference is the median of three copies, each into a fresh folder.
refs=()
for i in 1 2 3; do
  measure rclone copy "$src" "$work/rclone-copy-$i" --exclude '.cckit/**'
  refs+=("$SECS")
  rm -rf "$work/rclone-copy-$i"
  sync
done
ref=$(printf '%s\n' "${refs[@]}" | sort -n | sed -n 2p)
measure $(envof owner) cc-context push "$src"
push=$SECS push_rss=$RSS
sync
measure $(envof peer) cc-context pull "$owner_pk" --store "$work/store" --into "$work/pulled"
pull=$SECS pull_rss=$RSS
cmp -s "$src/d07/f7.md" "$work/pulled/d07/f7.md" || { echo "context-sync: pulled file differs" >&2; exit 1; }
# Incremental push: one file changed among FILES, three times (median).
incrs=()
for i in 1 2 3; do
  echo "changed $i" >> "$src/d42/f42.md"
  measure $(envof owner) cc-context push "$src"
  incrs+=("$SECS")
done
incr=$(printf '%s\n' "${incrs[@]}" | sort -n | sed -n 2p)
measure $(envof peer) cc-context pull "$owner_pk"
incr_pull=$SECS
# cc-context watch: one file changed -> its push done, as the watch reports it (median of five;
# the watch's default 50 ms of quiet before a push included). No process start, no listing.
wout=$($(envof owner) node bench/context-watch.mjs "$src" "$src/d42/f42.md" 5)
read -r watch watch_all <<<"$wout"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? 100 * a / b : 0) }'; }
# node's own start-up, for scale: an incremental push cannot be faster than it.
node0=()
for i in 1 2 3; do measure node -e 0; node0+=("$SECS"); done
echo "files: $FILES, ${MB} MB; rclone copy: ${ref}s (median of ${refs[*]}); node -e 0: $(printf '%s\n' "${node0[@]}" | sort -n | sed -n 2p)s"
echo "push:             ${push}s = $(ratio "$push" "$ref")x rclone copy (target <= 2x), peak RSS ${push_rss} MB (target <= 150)"
echo "pull:             ${pull}s = $(ratio "$pull" "$ref")x rclone copy (target <= 2x), peak RSS ${pull_rss} MB (target <= 150)"
echo "incremental push: ${incr}s (median of ${incrs[*]}) = $(pct "$incr" "$push") % of the full push (target <= 5 %); incremental pull ${incr_pull}s = $(pct "$incr_pull" "$pull") % of the full pull"
echo "watch, change -> pushed: ${watch}s (median of ${watch_all}) = $(pct "$watch" "$push") % of the full push (target <= 5 %)"
