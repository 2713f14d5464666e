#!/bin/bash
# tests/packaging/completion.sh SOURCE_DIR TOOLS_DIR: the bash completion
# (completion/discmaster.bash), driven as bash drives it: COMP_WORDS split at
# COMP_WORDBREAKS, COMP_CWORD, COMP_LINE and COMP_POINT set, the function
# bound to the tool called, and its COMPREPLY compared with what a person
# should be offered (option names from the tool's own --help, profiles, drive
# addresses, files and NAME.vdisc directories).
set -uo pipefail
src=$1 tools=$2
loader=/usr/share/bash-completion/bash_completion
if [ ! -f $loader ]; then
  echo "bash-completion is not installed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
# shellcheck disable=SC1090
source $loader
source "$src/completion/discmaster.bash"
# compopt works only while bash runs a completion; the options it sets (no
# space after "emu:", file name quoting) are bash's display, not the offer.
compopt() { builtin compopt "$@" 2>/dev/null; return 0; }
export PATH="$tools:$PATH"
work=$(mktemp -d /tmp/packaging-completion.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
mkdir -p photos more burner.vdisc old.vdisc
touch photos.iso notes.txt burner.vdisc/toc.json

failures=0 checks=0
# offered LINE: what completing at the end of LINE offers, one per line, sorted.
offered() {
  local line=$1 words=() w rest
  # Split as readline does: blanks separate words, and each run of
  # COMP_WORDBREAKS characters (= and :) is a word of its own.
  for w in $line; do
    while [[ $w =~ ^([^=:]*)([=:]+)(.*)$ ]]; do
      [ -n "${BASH_REMATCH[1]}" ] && words+=("${BASH_REMATCH[1]}")
      words+=("${BASH_REMATCH[2]}")
      w=${BASH_REMATCH[3]}
    done
    [ -n "$w" ] && words+=("$w")
  done
  [[ $line == *" " ]] && words+=("")
  COMP_WORDS=("${words[@]}")
  COMP_CWORD=$((${#words[@]} - 1))
  COMP_LINE=$line
  COMP_POINT=${#line}
  COMPREPLY=()
  local func
  func=$(complete -p "${words[0]}" 2>/dev/null | sed -nE 's/.*-F ([^ ]+) .*/\1/p')
  [ -n "$func" ] || { echo "no completion for ${words[0]}"; return; }
  "$func" "${words[0]}" "${words[COMP_CWORD]}" "${words[COMP_CWORD - 1]}"
  printf '%s\n' "${COMPREPLY[@]}" | sort -u | sed '/^$/d'
}
# expect LINE WORD...: exactly these are offered. has LINE WORD...: at least these.
check() {
  local mode=$1 line=$2
  shift 2
  local got want
  got=$(offered "$line")
  want=$(printf '%s\n' "$@" | sort -u)
  checks=$((checks + 1))
  if [ "$mode" = exact ] && [ "$got" = "$want" ]; then return; fi
  if [ "$mode" = has ] && [ -z "$(comm -13 <(echo "$got") <(echo "$want"))" ]; then return; fi
  failures=$((failures + 1))
  printf 'FAIL: completing "%s" offers:\n%s\n  expected %s:\n%s\n' "$line" "$(sed 's/^/    /' <<<"$got")" \
    "$([ "$mode" = exact ] && echo exactly || echo "at least")" "$(sed 's/^/    /' <<<"$want")"
}

check exact "master-image " create append
check exact "master-drive " serve ctl
check has   "master-burn --" --drive --from --image --close --verify --json --version --help
check exact "master-burn --dr" --drive
check exact "master-image create out.iso --me" --media
check has   "master-image append photos.iso --" --from --remove --at
check exact "master-image create d.vdisc --media dvd+" dvd+r dvd+r-dl dvd+rw
check exact "master-image create x.udf --udf-revision 2." 2.01 2.50
check exact "master-burn --fs iso9660,jo" iso9660,joliet
check exact "master-mount photos.iso /mnt --fs j" joliet
check exact "master-burn --write-mode " tao sao
# Paths: directories only after --from, files and directories elsewhere (bash
# adds the "/" to those _filedir offers); after emu: directories, a .vdisc whole.
check exact "master-image create out.iso --from " burner.vdisc more old.vdisc photos
check exact "master-image create out.iso --from ph" photos
check exact "master-burn --drive emu:" burner.vdisc more/ old.vdisc photos/
check exact "master-burn --drive emu:b" burner.vdisc
check has   "master-burn --drive " emu: iscsi://
check has   "master-info " emu: iscsi:// photos.iso notes.txt burner.vdisc photos
check exact "master-info emu:o" old.vdisc
check exact "master-burn --image no" notes.txt
# master-drive: NAME=PROFILE:PATH, the ctl commands, free text after value options.
check exact "master-drive serve --drive burner=bd-r" bd-r: bd-r-rrm: bd-re: bd-rom:
check exact "master-drive serve --drive burner=dvd-r" dvd-r: dvd-r-dl: dvd-ram: dvd-rom: dvd-rw:
check exact "master-drive serve --drive burner=cd-r:bu" burner.vdisc
check exact "master-drive ctl --control md.sock " status insert eject fault trace
check has   "master-drive serve --" --listen --drive --chap --control --ready-file --nop-interval
check exact "master-burn --volume-name " 
check exact "master-mount photos.iso " burner.vdisc more old.vdisc photos

# The profiles offered are the ones the tools accept (their table, less "none").
checks=$((checks + 1))
table=$(sed -nE 's/^ *\{Profile::[a-z_0-9]+, "([a-z0-9+-]+)",.*/\1/p' "$src/mastering/media/profile.cpp" |
  grep -vx none | sort -u)
offer=$(tr ' ' '\n' <<<"$_discmaster_profiles" | sort -u)
if [ -z "$table" ] || [ "$table" != "$offer" ]; then
  failures=$((failures + 1))
  printf 'FAIL: completion/discmaster.bash offers the profiles\n%s\n  mastering/media/profile.cpp has\n%s\n' \
    "$(echo $offer)" "$(echo $table)"
fi

echo "$((checks - failures)) passed, $failures failed"
[ $failures = 0 ]
