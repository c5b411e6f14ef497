# fish completion for devkit: devkit completion fish > ~/.config/fish/completions/devkit.fish
# It asks devkit itself (click's fish_complete protocol: "type,value", optionally "<TAB>help").
function __devkit_complete
    set -l response (env _DEVKIT_COMPLETE=fish_complete COMP_WORDS=(commandline -cp) COMP_CWORD=(commandline -ct) devkit 2>/dev/null)
    for completion in $response
        set -l parts (string split -m 1 -- "," $completion)
        switch $parts[1]
            case plain
                printf '%s\n' $parts[2]
            case file
                __fish_complete_path $parts[2]
            case dir
                __fish_complete_directories $parts[2]
        end
    end
end

complete --no-files --command devkit --arguments "(__devkit_complete)"
