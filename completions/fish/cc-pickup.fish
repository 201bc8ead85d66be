# fish completion for cc-pickup
complete -c cc-pickup -f
complete -c cc-pickup -s y -l yes -d 'resume without asking'
complete -c cc-pickup -l print -d 'print the claude command, run nothing'
complete -c cc-pickup -l qr -d 'show the session id as a QR code'
complete -c cc-pickup -l wait -x -a '10 30 60 120' -d 'seconds to keep looking'
complete -c cc-pickup -l transport -x -a 'mainline relay hyper' -d 'DHT transport'
complete -c cc-pickup -l cwd -x -a '(__fish_complete_directories)' -d 'resume in this directory'
complete -c cc-pickup -l store -x -a '(__fish_complete_directories) rclone:' -d 'read a stored archive from this store'
complete -c cc-pickup -l json -d 'print JSON'
complete -c cc-pickup -l pin-fd -x -d 'read the PIN of a PIN handoff from fd'
complete -c cc-pickup -l passphrase-fd -x -d 'read the passphrase from fd'
complete -c cc-pickup -s h -l help -d 'show help'
complete -c cc-pickup -l version -d 'show version'
