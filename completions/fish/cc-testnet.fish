# fish completion for cc-testnet
complete -c cc-testnet -f
complete -c cc-testnet -l nodes -x -a '10 20 50 100' -d 'number of Mainline nodes'
complete -c cc-testnet -l hyper -d 'also start a HyperDHT testnet'
complete -c cc-testnet -l ttl -x -a '60 300 600 3600' -d 'stop after S seconds'
complete -c cc-testnet -s h -l help -d 'show help'
complete -c cc-testnet -l version -d 'show version'
