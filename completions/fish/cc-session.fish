# fish completion for cc-session
set -l hookcmds install uninstall status record
complete -c cc-session -f
complete -c cc-session -n "not __fish_seen_subcommand_from hook" -a hook -d 'manage the SessionStart hook'
complete -c cc-session -n "__fish_seen_subcommand_from hook; and not __fish_seen_subcommand_from $hookcmds" -a install -d 'add the hook to settings.json'
complete -c cc-session -n "__fish_seen_subcommand_from hook; and not __fish_seen_subcommand_from $hookcmds" -a uninstall -d 'remove the hook'
complete -c cc-session -n "__fish_seen_subcommand_from hook; and not __fish_seen_subcommand_from $hookcmds" -a status -d 'is the hook installed'
complete -c cc-session -n "__fish_seen_subcommand_from hook; and not __fish_seen_subcommand_from $hookcmds" -a record -d 'record a session (run by the hook)'
complete -c cc-session -n "__fish_seen_subcommand_from install" -l command -x -d 'command line the hook runs'
complete -c cc-session -n "not __fish_seen_subcommand_from hook" -s l -l list -d 'all sessions, newest first'
complete -c cc-session -n "not __fish_seen_subcommand_from hook" -s C -l project -x -a '(__fish_complete_directories)' -d 'the project in DIR'
complete -c cc-session -s h -l help -d 'show help'
complete -c cc-session -l version -d 'show version'
