# bash completion for digitrec(1): subcommands, their options and the values those take.
# Plain bash (compgen); it does not need the bash-completion package's helpers.

_digitrec_files() { # [glob-extension]: files (and folders to walk into), optionally *.EXT only
    compopt -o filenames 2>/dev/null
    local IFS=$'\n'
    if [ -n "${1:-}" ]; then
        COMPREPLY+=($(compgen -d -- "$cur") $(compgen -f -X "!*.$1" -- "$cur"))
    else
        COMPREPLY+=($(compgen -f -- "$cur"))
    fi
}

_digitrec_dirs() {
    compopt -o filenames 2>/dev/null
    local IFS=$'\n'
    COMPREPLY+=($(compgen -d -- "$cur"))
}

_digitrec() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=""
    [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()
    local cmd=""
    [ "$COMP_CWORD" -gt 1 ] && cmd=${COMP_WORDS[1]}
    case $cmd in train | eval | predict | info | data) ;; *) cmd=window ;; esac

    # values of the option just typed
    case $prev in
    --model | --autosave | --out) _digitrec_files safetensors; return ;;
    --data)
        COMPREPLY=($(compgen -W "mnist fashion-mnist" -- "$cur"))
        _digitrec_dirs
        return
        ;;
    --models-dir | --personal-dir | --export-dir | --assets | --extra | --dir) _digitrec_dirs; return ;;
    --screenshot) _digitrec_files png; return ;;
    --history) _digitrec_files csv; return ;;
    --trace | --canvas-image) _digitrec_files; return ;;
    --arch)
        COMPREPLY=($(compgen -W "softmax mlp" -- "$cur"))
        return
        ;;
    --compare)
        COMPREPLY=($(compgen -W "softmax mlp" -- "$cur"))
        return
        ;;
    --optimizer)
        COMPREPLY=($(compgen -W "gd sgd momentum adam" -- "$cur"))
        return
        ;;
    --schedule)
        COMPREPLY=($(compgen -W "const cosine" -- "$cur"))
        return
        ;;
    --bias)
        COMPREPLY=($(compgen -W "per-neuron per-layer" -- "$cur"))
        return
        ;;
    --init)
        COMPREPLY=($(compgen -W "he uniform:" -- "$cur"))
        compopt -o nospace 2>/dev/null
        return
        ;;
    --tab)
        COMPREPLY=($(compgen -W "weights errors inside" -- "$cur"))
        return
        ;;
    --draw-demo)
        COMPREPLY=($(compgen -W "0 1 2 3 4 5 6 7 8 9" -- "$cur"))
        return
        ;;
    --seed | --size | --train-for | --bench | --cell | --layers | --lr | --batch | --epochs | --max-iters | \
        --tol | --target-acc | --threads)
        return # a number or sizes: nothing to offer
        ;;
    esac

    local opts
    case $cmd in
    window)
        if [ "$COMP_CWORD" -eq 1 ] && [[ $cur != -* ]]; then
            COMPREPLY=($(compgen -W "train eval predict info data" -- "$cur"))
            return
        fi
        opts="--model --arch --seed --data --models-dir --autosave --size --trace --canvas-image --draw-demo
              --train-for --screenshot --bench --compare --personal-dir --mix --saliency --export-dir --export
              --tab --cell --assets --help --help-window --version"
        ;;
    train)
        opts="--arch --layers --optimizer --lr --batch --epochs --max-iters --tol --target-acc --schedule --seed
              --threads --bias --output-relu --init --data --extra --out --history --quiet --stats --help"
        ;;
    eval) opts="--model --data --json --help" ;;
    predict)
        if [[ $cur != -* ]]; then
            _digitrec_files
            return
        fi
        opts="--model --json --help"
        ;;
    info)
        if [[ $cur != -* ]]; then
            _digitrec_files safetensors
            return
        fi
        opts="--help"
        ;;
    data)
        if [ "$COMP_CWORD" -eq 2 ]; then
            COMPREPLY=($(compgen -W "fetch where --help" -- "$cur"))
            return
        fi
        case ${COMP_WORDS[2]} in
        fetch) opts="--dir --help" ;;
        *) opts="--help" ;;
        esac
        ;;
    esac
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}

complete -F _digitrec digitrec
