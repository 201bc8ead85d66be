# fish completion for cc-seal
function __cc_seal_peers
    set -l dir $CCKIT_CONFIG_DIR
    test -n "$dir"; or set dir (test -n "$XDG_CONFIG_HOME"; and echo $XDG_CONFIG_HOME; or echo $HOME/.config)/cckit
    test -r $dir/peers.toml; and sed -n 's/^[[:space:]]*name[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' $dir/peers.toml
end
complete -c cc-seal -l to -x -a 'pk: (__cc_seal_peers)' -d 'encrypt to this peer instead of yourself'
# age1… recipients are for --raw files only; a record needs a cckit key.
complete -c cc-seal -n '__fish_contains_opt raw' -l to -x -a 'age1' -d 'an age recipient (--raw)'
complete -c cc-seal -l pin -d 'encrypt to a PIN instead of a key'
complete -c cc-seal -l generate-pin -d 'make a strong PIN and show it once'
complete -c cc-seal -l weak-pin -d 'accept a PIN that is easy to guess'
complete -c cc-seal -l pin-fd -x -d 'read the PIN from this fd'
complete -c cc-seal -l ttl -x -a '600 3600 86400 604800' -d 'seconds the record stays valid'
complete -c cc-seal -l burn -d 'mark the record burn-after-read'
complete -c cc-seal -l raw -d 'encrypt any input to an age file'
complete -c cc-seal -s a -l armor -d 'raw: ASCII-armored output'
complete -c cc-seal -s o -l output -r -F -d 'raw: write to FILE atomically'
complete -c cc-seal -l passphrase-fd -x -d 'key file passphrase from this fd'
complete -c cc-seal -s h -l help -d 'show help'
complete -c cc-seal -l version -d 'show version'
