# bash completion for discmaster's tools: master-image, master-info,
# master-burn, master-drive and master-mount (needs bash-completion).
# Option names are read from the tool's own --help, so they follow the
# tool; media profiles complete after --media, drive addresses (emu:PATH,
# /dev/srN, iscsi://) after --drive and for a SOURCE, files and directories
# (NAME.vdisc among them) where a path is expected. Installed as
# share/bash-completion/completions/master-image and linked under the other
# names, so that bash-completion loads it on first use of any of them.

# The names mastering/media/profile.cpp accepts (tests/packaging/completion.sh
# compares the two).
_discmaster_profiles="cd-r cd-rw dvd-r dvd-r-dl dvd-rw dvd+r dvd+r-dl dvd+rw dvd-ram bd-r bd-r-rrm bd-re cd-rom dvd-rom bd-rom"

# The option names `TOOL [COMMAND] --help` lists; with -v only those that take
# a value (CLI11 prints a type after them: "--from TEXT"). --config of
# master-drive takes a file although its help shows no type.
_discmaster_options() {
    local values=
    [[ $1 == -v ]] && { values=1; shift; }
    local line names
    while IFS= read -r line; do
        [[ $line =~ ^\ +(-[^ ]+)(\ [A-Z])? ]] || continue
        [[ -n $values && -z ${BASH_REMATCH[2]} && ${BASH_REMATCH[1]} != --config ]] && continue
        names=${BASH_REMATCH[1]}
        printf '%s\n' ${names//,/ }
    done < <("$@" --help 2>/dev/null)
}

# Directories for PATH, each with "/" unless it is a NAME.vdisc (a medium,
# taken whole), after PREFIX ("emu:", "NAME=PROFILE:").
_discmaster_dirs() {
    local prefix=$1 path=$2 d
    local IFS=$'\n'
    for d in $(compgen -d -- "$path"); do
        [[ $d == *.vdisc ]] || d+=/
        COMPREPLY+=("$prefix$d")
    done
    compopt -o nospace
}

# A drive address: emu:PATH (directories), /dev/srN and /dev/sgN, iscsi://.
_discmaster_address() {
    if [[ $cur == emu:* ]]; then
        _discmaster_dirs emu: "${cur#emu:}"
    else
        local devices=$(compgen -G '/dev/sr[0-9]*'; compgen -G '/dev/sg[0-9]*')
        COMPREPLY+=($(compgen -W "emu: iscsi:// $devices" -- "$cur"))
        [[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} != /dev/* ]] && compopt -o nospace
    fi
}

# COMPREPLY holds whole words, but bash replaces only the part of the word
# after its last "=" or ":" when COMP_WORDBREAKS has them (it has both by
# default): strip what comes before.
_discmaster_trim() {
    local breaks=${COMP_WORDBREAKS//[^=:]/}
    [[ -n $breaks && $cur == *[$breaks]* ]] || return 0
    local prefix=${cur%"${cur##*[$breaks]}"}
    COMPREPLY=("${COMPREPLY[@]#"$prefix"}")
}

# A comma-separated list of WORDS: completes the item after the last comma.
_discmaster_list() {
    local head= item=$cur
    [[ $cur == *,* ]] && { head=${cur%,*},; item=${cur##*,}; }
    COMPREPLY=($(compgen -P "$head" -W "$1" -- "$item"))
    compopt -o nospace
}

_discmaster() {
    local cur prev words cword
    _init_completion -n =: || return
    local tool=${words[0]##*/} commands= command= i
    case $tool in
        master-image) commands="create append" ;;
        master-drive) commands="serve ctl" ;;
    esac
    for ((i = 1; i < cword; i++)); do
        [[ " $commands " == *" ${words[i]} "* ]] && { command=${words[i]}; break; }
    done

    case $prev in
        --media) COMPREPLY=($(compgen -W "$_discmaster_profiles" -- "$cur")); return ;;
        --fs)
            if [[ $tool == master-mount ]]; then
                COMPREPLY=($(compgen -W "auto iso9660 joliet rockridge udf" -- "$cur"))
            else
                _discmaster_list "iso9660 joliet rockridge udf"
            fi
            return ;;
        --udf-revision) COMPREPLY=($(compgen -W "1.02 1.50 2.01 2.50" -- "$cur")); return ;;
        --udf-partition) COMPREPLY=($(compgen -W "physical sparable" -- "$cur")); return ;;
        --write-mode) COMPREPLY=($(compgen -W "tao sao" -- "$cur")); return ;;
        --iso-level) COMPREPLY=($(compgen -W "1 2 3 4" -- "$cur")); return ;;
        --speed) [[ $tool == master-burn ]] && COMPREPLY=($(compgen -W "max" -- "$cur")); return ;;
        --from | --trace-dir) _filedir -d; return ;;
        --image | --config | --ready-file | --control) _filedir; return ;;
        --drive)
            if [[ $tool == master-drive ]]; then  # NAME=PROFILE:PATH
                if [[ $cur == *=*:* ]]; then
                    _discmaster_dirs "${cur%%:*}:" "${cur#*:}"
                elif [[ $cur == *=* ]]; then
                    COMPREPLY=($(compgen -P "${cur%%=*}=" -S : -W "$_discmaster_profiles" -- "${cur#*=}"))
                    compopt -o nospace
                fi
            else
                _discmaster_address
            fi
            _discmaster_trim
            return ;;
    esac
    # Any other option that takes a value: free text.
    if [[ $prev == -* ]] && _discmaster_options -v "${words[0]}" $command | grep -qxF -- "$prev"; then
        return
    fi

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_discmaster_options "${words[0]}" $command)" -- "$cur"))
        return
    fi
    if [[ -n $commands && -z $command ]]; then
        COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        return
    fi

    # Positional arguments: count those before the cursor.
    local values=$(_discmaster_options -v "${words[0]}" $command) n=0
    for ((i = 1; i < cword; i++)); do
        [[ ${words[i]} == "$command" && -n $command ]] && continue
        if [[ ${words[i]} == -* ]]; then
            grep -qxF -- "${words[i]}" <<<"$values" && ((i++))
            continue
        fi
        ((n++))
    done
    case $tool/$command/$n in
        master-info//0 | master-mount//0)
            _discmaster_address
            [[ $cur == emu:* ]] || _filedir
            _discmaster_trim ;;
        master-mount//1) _filedir -d ;;
        master-image/create/0 | master-image/append/0) _filedir ;;
        master-drive/ctl/0) COMPREPLY=($(compgen -W "status insert eject fault trace" -- "$cur")) ;;
    esac
}
complete -F _discmaster master-image master-info master-burn master-drive master-mount
