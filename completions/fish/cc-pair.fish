# fish completion for cc-pair
function __cc_pair_peers
    set -l dir $CCKIT_CONFIG_DIR
    test -n "$dir"; or set dir (test -n "$XDG_CONFIG_HOME"; and echo $XDG_CONFIG_HOME; or echo $HOME/.config)/cckit
    test -r $dir/peers.toml; and sed -n 's/^[[:space:]]*name[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' $dir/peers.toml
end
set -l subs code invite join list forget rename allow listen project tailscale lan
complete -c cc-pair -f
complete -c cc-pair -n "not __fish_seen_subcommand_from $subs" -a code -d 'show a pairing code and wait'
complete -c cc-pair -n "not __fish_seen_subcommand_from $subs" -a invite -d 'show a pairing link and wait'
complete -c cc-pair -n "not __fish_seen_subcommand_from $subs" -a join -d 'join with a code or link'
complete -c cc-pair -n "not __fish_seen_subcommand_from $subs" -a list -d 'paired peers as JSON'
complete -c cc-pair -n "not __fish_seen_subcommand_from $subs" -a forget -d 'remove a paired peer'
complete -c cc-pair -n "not __fish_seen_subcommand_from $subs" -a rename -d 'rename a paired peer'
complete -c cc-pair -n "not __fish_seen_subcommand_from $subs" -a allow -d 'set what a peer may do'
complete -c cc-pair -n "not __fish_seen_subcommand_from $subs" -a listen -d 'answer pairing requests from project peers'
complete -c cc-pair -n "not __fish_seen_subcommand_from $subs" -a project -d 'add, list or connect project peers'
complete -c cc-pair -n "__fish_seen_subcommand_from project; and not __fish_seen_subcommand_from add list connect" -a 'add list connect'
complete -c cc-pair -n "__fish_seen_subcommand_from forget rename allow" -a '(__cc_pair_peers)' -d 'peer'
complete -c cc-pair -n "__fish_seen_subcommand_from listen" -l once -d 'stop after the first pairing'
complete -c cc-pair -n "not __fish_seen_subcommand_from $subs" -a tailscale -d "pair with your tailnet's machines"
complete -c cc-pair -n "__fish_seen_subcommand_from listen" -l tailscale -d 'answer tailnet peers'
complete -c cc-pair -n "__fish_seen_subcommand_from listen tailscale" -l tag -x -a 'tag:cckit' -d 'also accept machines with this tag'
complete -c cc-pair -n "__fish_seen_subcommand_from listen tailscale" -l trust-tailnet-user -d "approve your own user's machines without asking"
complete -c cc-pair -n "__fish_seen_subcommand_from code invite join" -l name -x -d 'store the new peer under this name'
complete -c cc-pair -n "__fish_seen_subcommand_from code invite listen" -l ttl -x -a '300 600 3600 86400' -d 'seconds the code or link stays valid'
complete -c cc-pair -n "__fish_seen_subcommand_from code invite join listen project tailscale" -l allow -x -a 'view view,send view,send,approve view,send,approve,spawn' -d 'what the new peer may do'
complete -c cc-pair -n "__fish_seen_subcommand_from code join" -l lan -d 'meet on the local network, no DHT'
complete -c cc-pair -n "__fish_seen_subcommand_from code invite" -l qr -d 'also show a QR code'
complete -c cc-pair -n "__fish_seen_subcommand_from code invite join" -l verify -d 'show 3 verification words'
complete -c cc-pair -n "__fish_seen_subcommand_from code invite join listen project tailscale" -l passphrase-fd -x -d 'key file passphrase from this fd'
complete -c cc-pair -n "not __fish_seen_subcommand_from $subs" -a lan -d 'LAN presence of paired peers (opt-in)'
complete -c cc-pair -n "__fish_seen_subcommand_from lan; and not __fish_seen_subcommand_from beacon discover" -a 'beacon discover'
complete -c cc-pair -n "__fish_seen_subcommand_from beacon" -l interval -x -a '5 10 30 60' -d 'seconds between beacons'
complete -c cc-pair -n "__fish_seen_subcommand_from beacon" -l port -x -d 'a TCP port to advertise'
complete -c cc-pair -n "__fish_seen_subcommand_from discover" -l timeout -x -a '3 6 10 30' -d 'seconds to listen'
complete -c cc-pair -n "__fish_seen_subcommand_from discover" -l max-age -x -a '10 30 60' -d 'ignore beacons older than this'
complete -c cc-pair -n "__fish_seen_subcommand_from beacon discover" -l passphrase-fd -x -d 'key file passphrase from this fd'
complete -c cc-pair -s h -l help -d 'show help'
complete -c cc-pair -l version -d 'show version'
