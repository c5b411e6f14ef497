# bash completion for devkit: devkit completion bash > ~/.local/share/bash-completion/completions/devkit
# It asks devkit itself (click's bash_complete protocol), so choices and commands stay current.
_devkit_completion() {
    local IFS=$'\n'
    local response completion type value
    response=$(env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD="$COMP_CWORD" _DEVKIT_COMPLETE=bash_complete \
        "${1:-devkit}" 2>/dev/null)
    COMPREPLY=()
    for completion in $response; do
        type=${completion%%,*}
        value=${completion#*,}
        case $type in
            plain) COMPREPLY+=("$value") ;;
            file) compopt -o filenames 2>/dev/null; COMPREPLY+=($(compgen -f -- "$value")) ;;
            dir) compopt -o filenames 2>/dev/null; COMPREPLY+=($(compgen -d -- "$value")) ;;
        esac
    done
    return 0
}

complete -o nosort -F _devkit_completion devkit 2>/dev/null || complete -F _devkit_completion devkit
