# fish completion for cc-resume
complete -c cc-resume -s y -l yes -d 'resume without asking'
complete -c cc-resume -l print -d 'print cwd and argv, run nothing'
complete -c cc-resume -l cwd -x -a '(__fish_complete_directories)' -d 'run in DIR, your copy of the project'
complete -c cc-resume -s h -l help -d 'show help'
complete -c cc-resume -l version -d 'show version'
