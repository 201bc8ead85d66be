# Helpers for cc-context tests: several machines (HOMEs) that know each
# other by name, a folder store, and the owner's space folder.

# ctx_machines NAME...: a key per machine, and every machine's peers.toml naming all the others.
ctx_machines() {
  local m
  for m in "$@"; do as_machine "$m" cc-key init --no-passphrase >/dev/null; done
  for m in "$@"; do
    local o
    for o in "$@"; do
      [ "$o" = "$m" ] && continue
      local pk; pk=$(pubkey_of "$o")
      as_machine "$m" bash -c "mkdir -p \"\$XDG_CONFIG_HOME/cckit\" && printf '[[peer]]\nname = \"%s\"\npubkey = \"%s\"\n\n' '$o' '$pk' >> \"\$XDG_CONFIG_HOME/cckit/peers.toml\""
    done
  done
}

# ctx_space OWNER PEER...: how a context test starts: a temporary HOME per machine (their keys,
# each one's peers.toml naming the others), $STORE (a folder store, not made yet) and $SPACE
# (OWNER's space folder, made, not yet a space).
ctx_space() {
  setup_home
  STORE="$BATS_TEST_TMPDIR/store"
  SPACE="$BATS_TEST_TMPDIR/$1-space"
  ctx_machines "$@"
  mkdir -p "$SPACE"
}

# ctx NAME args...: cc-context as machine NAME.
ctx() { local m="$1"; shift; as_machine "$m" cc-context "$@"; }

# The folder a machine pulled OWNER's space into (default --into).
# usage: pulled_dir MACHINE OWNER_MACHINE (the owner's key is cached, so it works after the owner is gone)
pulled_dir() {
  local f="$BATS_TEST_TMPDIR/.pk-$2"
  [ -s "$f" ] || pubkey_of "$2" > "$f"
  echo "$BATS_TEST_TMPDIR/$1/.local/state/cckit/context/$(sed 's/^pk://' "$f")/files"
}

# One store object (the newest-named is arbitrary): the path of an object by index.
store_objects() { find "$STORE/o" -type f ! -name '.*' | sort; }

# A snapshot of a folder's names, modes and contents (to prove nothing changed).
tree_digest() { (cd "$1" 2>/dev/null && find . -printf '%p %m\n' | sort && find . -type f -exec sha256sum {} + | sort) | sha256sum; }
