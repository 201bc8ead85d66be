# fish completion for cc-open
function __cc_open_peers
    set -l dir $CCKIT_CONFIG_DIR
    test -n "$dir"; or set dir (test -n "$XDG_CONFIG_HOME"; and echo $XDG_CONFIG_HOME; or echo $HOME/.config)/cckit
    test -r $dir/peers.toml; and sed -n 's/^[[:space:]]*name[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' $dir/peers.toml
end
complete -c cc-open -l from -x -a 'pk: (__cc_open_peers)' -d 'require this signer'
complete -c cc-open -l pin-fd -x -d 'read the PIN from this fd'
complete -c cc-open -l raw -d 'decrypt an age file instead of a record'
complete -c cc-open -s o -l output -r -F -d 'raw: write to FILE atomically'
complete -c cc-open -l passphrase-fd -x -d 'key file passphrase from this fd'
complete -c cc-open -s h -l help -d 'show help'
complete -c cc-open -l version -d 'show version'
