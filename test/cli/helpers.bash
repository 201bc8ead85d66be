# Common set-up for every bats file: a private HOME per test, the built
# commands on PATH, bats-support/bats-assert from node_modules (or Debian).
ROOT="$(cd "$(dirname "${BATS_TEST_FILENAME}")/../.." && pwd)"
if [ -f "$ROOT/node_modules/bats-support/load.bash" ]; then
  load "$ROOT/node_modules/bats-support/load.bash"
  load "$ROOT/node_modules/bats-assert/load.bash"
else
  load /usr/lib/bats/bats-support/load.bash
  load /usr/lib/bats/bats-assert/load.bash
fi

# The HOME the suite was started with: npm's own settings (registry, node
# headers for native builds) live there, and only install tests need them.
export CCKIT_TEST_REAL_HOME="${CCKIT_TEST_REAL_HOME:-$HOME}"

setup_home() {
  export HOME="$BATS_TEST_TMPDIR/home"
  mkdir -p "$HOME"
  chmod 700 "$HOME"
  export PATH="$ROOT/bin:$PATH"
  export XDG_CONFIG_HOME="$HOME/.config" XDG_STATE_HOME="$HOME/.local/state"
  export CLAUDE_CONFIG_DIR="$HOME/.claude"
  export CCKIT_NO_TTY=1 NO_COLOR=1
  unset CCKIT_KEY_FILE CCKIT_PASSPHRASE CCKIT_NEW_PASSPHRASE CCKIT_PIN CCKIT_CONFIG_DIR CCKIT_STATE_DIR CCKIT_BOOTSTRAP CCKIT_RELAYS CCKIT_DEBUG
}

# A second simulated machine: its own HOME under the test's temp dir.
# usage: as_machine NAME command...   (runs in a subshell with HOME switched)
as_machine() {
  local name="$1"; shift
  ( export HOME="$BATS_TEST_TMPDIR/$name"; mkdir -p "$HOME"; chmod 700 "$HOME"
    export XDG_CONFIG_HOME="$HOME/.config" XDG_STATE_HOME="$HOME/.local/state" CLAUDE_CONFIG_DIR="$HOME/.claude"
    "$@" )
}

# Quick key without a passphrase (Argon2 makes passphrase keys slow on purpose).
quick_key() {
  cc-key init --no-passphrase >/dev/null
}

# Assert the JSON on stdin has field $1 equal to $2 (uses node: no jq dependency).
json_field() {
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let v=JSON.parse(s);for(const k of process.argv[1].split("."))v=v?.[k];process.stdout.write(typeof v==="object"?JSON.stringify(v):String(v))})' "$1"
}

# The one-error-line rule (DESIGN §2), for a `run --separate-stderr` of command $1:
# nothing on stdout, "NAME: error: …", at most one "NAME: hint: …", no stack trace.
assert_one_error() {
  local name="$1"
  [ -z "$output" ] || fail "stdout not empty: $output"
  [ "${#stderr_lines[@]}" -ge 1 ] && [ "${#stderr_lines[@]}" -le 2 ] || fail "stderr: $stderr"
  [[ "${stderr_lines[0]}" == "$name: error: "* ]] || fail "first line: ${stderr_lines[0]}"
  [ "${#stderr_lines[@]}" -eq 1 ] || [[ "${stderr_lines[1]}" == "$name: hint: "* ]] || fail "second line: ${stderr_lines[1]}"
  [[ "$stderr" != *"    at "* ]] || fail "stack trace: $stderr"
}

# The pk: of simulated machine $1 (see as_machine).
pubkey_of() { as_machine "$1" cc-key whoami | json_field pubkey; }

# complete_bash CMD WORD...: what the bash completion of CMD offers for the last WORD.
complete_bash() {
  local c="$1"; shift
  bash -c "source '$ROOT/completions/bash/$c'; fn=\$(complete -p $c); fn=\${fn#*-F }; fn=\${fn%% *}
    COMP_WORDS=($c $*); COMP_CWORD=$#; \$fn; printf '%s\n' \"\${COMPREPLY[@]}\""
}

# use_recording_claude: CCKIT_CLAUDE is a stand-in that records where it was
# started and with what arguments in $BATS_TEST_TMPDIR/claude-ran (line 1 the
# folder, then one argument a line). For tests of what cckit hands to claude;
# the real CLI is driven in the claude-*.bats files.
use_recording_claude() {
  mkdir -p "$BATS_TEST_TMPDIR/fakebin"
  cat > "$BATS_TEST_TMPDIR/fakebin/claude" <<SH
#!/bin/sh
printf '%s\n' "\$PWD" "\$@" > "$BATS_TEST_TMPDIR/claude-ran"
SH
  chmod +x "$BATS_TEST_TMPDIR/fakebin/claude"
  export CCKIT_CLAUDE="$BATS_TEST_TMPDIR/fakebin/claude"
}

# flip_byte FILE OFFSET: change one byte inside FILE (xor 1: never a no-op, as writing a fixed
# value is once in 256 runs; an offset past the end is an error, not a silent append).
flip_byte() {
  node -e 'const fs = require("fs"); const [f, o] = [process.argv[1], Number(process.argv[2])];
    const fd = fs.openSync(f, "r+"); const b = Buffer.alloc(1);
    if (fs.readSync(fd, b, 0, 1, o) !== 1) { console.error(`flip_byte: ${f} is shorter than ${o + 1} bytes`); process.exit(1); }
    b[0] ^= 1; fs.writeSync(fd, b, 0, 1, o); fs.closeSync(fd);' "$1" "$2"
}
