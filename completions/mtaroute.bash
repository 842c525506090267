# bash completion for mtaroute(1): commands, options, their fixed values, and policy files.
# Installed as share/bash-completion/completions/mtaroute; works without the
# bash-completion package too (`source` it), using _filedir only when it is there.

_mtaroute_files() {
  # $1: a glob extension ("json") or "" for any file; "-d" for directories only.
  if [[ $1 == -d ]]; then
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -d -- "$cur")
  elif declare -F _filedir >/dev/null; then
    _filedir $1
  else
    compopt -o filenames 2>/dev/null
    if [[ -n $1 ]]; then
      mapfile -t COMPREPLY < <(compgen -f -X "!*.$1" -- "$cur"; compgen -d -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
  fi
}

_mtaroute() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  # "--format=json" arrives as three words when COMP_WORDBREAKS has "=".
  if [[ $cur == = ]]; then
    cur=""
  elif [[ $prev == = ]]; then
    prev=${COMP_WORDS[COMP_CWORD-2]}
  fi
  # Options that take a value: the word after one is its value, not a command or positional.
  local valued=" --format --color --max-size --out --only --template-dir --table-type"
  valued+=" --config-dir --relay --port --domains --policy --year "
  local cmd="" sub="" i word positionals=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    [[ $word == -* || $word == = || ${COMP_WORDS[i-1]} == = ]] && continue
    [[ $valued == *" ${COMP_WORDS[i-1]} "* ]] && continue
    if [[ -z $cmd ]]; then
      cmd=$word
    elif [[ $cmd == gen && -z $sub ]]; then
      sub=$word
    else
      positionals=$((positionals + 1))
    fi
  done

  if [[ -z $cmd ]]; then
    mapfile -t COMPREPLY < <(compgen -W "lint gen route schema init triage --help --version" \
      -- "$cur")
    return
  fi
  if [[ $cmd == gen && -z $sub ]]; then
    mapfile -t COMPREPLY < <(compgen -W "postfix qmail spf --help" -- "$cur")
    return
  fi

  local opts="" values=""
  case $cmd in
    lint)
      opts="--format --color --strict --max-size --help"
      case $prev in
        --format) values="auto text json github sarif" ;;
        --color) values="auto always never" ;;
        --max-size) return ;;
      esac
      ;;
    gen)
      opts="--out --only --check --template-dir --max-size --help"
      case $sub in
        postfix) opts="$opts --table-type --config-dir" ;;
        spf) opts="$opts --format" ;;
      esac
      case $prev in
        --out | --template-dir | --config-dir) _mtaroute_files -d; return ;;
        --table-type) values="hash lmdb cdb texthash btree" ;;
        --format) values="zone txt json" ;;
        --max-size) return ;;
        --only)
          case $sub in
            postfix) values="transport main.cf sasl_passwd tls_policy mynetworks" ;;
            qmail) values="smtproutes tcp.smtp" ;;
            *) return ;;
          esac
          ;;
      esac
      ;;
    route)
      opts="--format --max-size --help"
      case $prev in
        --format) values="text json" ;;
        --max-size) return ;;
      esac
      ;;
    schema) opts="--help" ;;
    init)
      opts="--relay --port --domains --out --force --help"
      case $prev in
        --out) _mtaroute_files json; return ;;
        --relay | --port | --domains) return ;;
      esac
      ;;
    triage)
      opts="--policy --format --year --help"
      case $prev in
        --policy) _mtaroute_files json; return ;;
        --format) values="text json" ;;
        --year) return ;;
      esac
      ;;
    *) return ;;
  esac

  if [[ -n $values ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
  elif [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
  else
    case $cmd in
      lint | gen) _mtaroute_files json ;;
      route) ((positionals == 0)) && _mtaroute_files json ;;
      triage) _mtaroute_files "" ;;
    esac
  fi
}

complete -F _mtaroute mtaroute
