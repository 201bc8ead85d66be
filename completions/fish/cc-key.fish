# fish completion for cc-key
set -l cmds init whoami recipient age-identity passwd
complete -c cc-key -f
complete -c cc-key -n "not __fish_seen_subcommand_from $cmds" -a init -d 'create or import the identity key'
complete -c cc-key -n "not __fish_seen_subcommand_from $cmds" -a whoami -d 'show public key, fingerprint, age recipient'
complete -c cc-key -n "not __fish_seen_subcommand_from $cmds" -a recipient -d 'age recipient of a peer key'
complete -c cc-key -n "not __fish_seen_subcommand_from $cmds" -a age-identity -d 'AGE-SECRET-KEY for age -d -i'
complete -c cc-key -n "not __fish_seen_subcommand_from $cmds" -a passwd -d 'add, change or remove the passphrase'
complete -c cc-key -s h -l help -d 'show help'
complete -c cc-key -l version -d 'show version'
complete -c cc-key -n "__fish_seen_subcommand_from init passwd" -l no-passphrase -d 'no passphrase'
complete -c cc-key -n "__fish_seen_subcommand_from init" -l import -r -F -d 'import a key file'
complete -c cc-key -n "__fish_seen_subcommand_from init age-identity" -l force -d 'replace / print to a terminal'
complete -c cc-key -n "__fish_seen_subcommand_from init whoami age-identity passwd" -l passphrase-fd -x -d 'read passphrase from fd'
complete -c cc-key -n "__fish_seen_subcommand_from passwd" -l new-passphrase-fd -x -d 'read new passphrase from fd'
