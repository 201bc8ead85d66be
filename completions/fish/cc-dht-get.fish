# fish completion for cc-dht-get
function __cc_dht_get_peers
    set -l dir $CCKIT_CONFIG_DIR
    test -n "$dir"; or set dir (test -n "$XDG_CONFIG_HOME"; and echo $XDG_CONFIG_HOME; or echo $HOME/.config)/cckit
    test -r $dir/peers.toml; and sed -n 's/^[[:space:]]*name[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' $dir/peers.toml
end
complete -c cc-dht-get -f
complete -c cc-dht-get -n 'not string match -q -- "-*" (commandline -ct)' -a 'pk: (__cc_dht_get_peers)' -d 'key or peer'
complete -c cc-dht-get -l name -x -a '_cclink' -d 'print this TXT record'
complete -c cc-dht-get -l wait -x -a '10 30 60' -d 'keep looking up to S seconds'
complete -c cc-dht-get -l all -d 'print every TXT record'
complete -c cc-dht-get -l transport -x -a 'mainline relay hyper' -d 'where to look'
complete -c cc-dht-get -l passphrase-fd -x -d 'passphrase of your own key from fd'
complete -c cc-dht-get -s h -l help -d 'show help'
complete -c cc-dht-get -l version -d 'show version'
