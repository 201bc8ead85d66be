# fish completion for cc-dht-put
complete -c cc-dht-put -l name -x -a '_cclink' -d 'publish as this TXT record'
complete -c cc-dht-put -l revoke -d 'remove the record, and only it'
complete -c cc-dht-put -l republish -d 'republish until the record expires'
complete -c cc-dht-put -l interval -x -a '600 1800 3600' -d 'seconds between republishes'
complete -c cc-dht-put -l transport -x -a 'mainline relay hyper' -d 'where to publish'
complete -c cc-dht-put -l passphrase-fd -x -d 'read passphrase from fd'
complete -c cc-dht-put -s h -l help -d 'show help'
complete -c cc-dht-put -l version -d 'show version'
