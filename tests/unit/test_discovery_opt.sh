#!/bin/sh
# SPDX-License-Identifier: MIT
# --discovery on every command that finds fds (gpumem, top, explain, record,
# sources), unknown where no process figures are shown (plot, cgroups,
# trace), and its choices in the bash completion, which reads them from
# --help.
# Usage: test_discovery_opt.sh path/to/gpumem FIXTURE COMPLETION  Output: TAP.
set -u

GPUMEM=${1:?usage: test_discovery_opt.sh GPUMEM FIXTURE COMPLETION}
FIX=${2:?usage: test_discovery_opt.sh GPUMEM FIXTURE COMPLETION}
COMP=${3:?usage: test_discovery_opt.sh GPUMEM FIXTURE COMPLETION}
. "$(dirname "$0")/tap.sh"

# A --root tree is walked whatever is asked: the bpf request is said.
for cmd in show top explain record sources; do
	case $cmd in
	top) args="top --batch -n 1" ;;
	record) args="record $TMP/rec.ndjson 0.01 1" ;;
	*) args=$cmd ;;
	esac
	run $args --discovery proc --root "$FIX"
	rc_is "$cmd --discovery proc" 0
	run $args --discovery kernel --root "$FIX"
	check "$cmd --discovery kernel: a usage error" \
		'[ "$(cat "$TMP/rc")" = 1 ] && grep -q "invalid --discovery" "$TMP/err"'
	"$GPUMEM" $cmd --help >"$TMP/help" 2>&1
	check "$cmd --help offers --discovery bpf|proc" \
		'grep -q -- "--discovery bpf|proc" "$TMP/help"'
done
run record "$TMP/rec2.ndjson" --discovery proc --root "$FIX" 0.01 1
check "record --discovery proc: the samples say proc" \
	'[ "$(jq -r .scan.discovery "$TMP/rec2.ndjson")" = proc ]'
for cmd in show top record; do
	case $cmd in
	top) args="top --batch -n 1" ;;
	record) args="record $TMP/rec3.ndjson 0.01 1" ;;
	*) args=$cmd ;;
	esac
	run $args --discovery bpf --root "$FIX"
	check "$cmd --discovery bpf on a --root tree: walked, and said once" \
		'[ "$(cat "$TMP/rc")" = 0 ] && [ "$(grep -c -- "--discovery=bpf: not the live system" "$TMP/err")" -eq 1 ]'
done
# Where the iterator loads (root, BTF), a live record says bpf.
if [ "$(id -u)" -eq 0 ] && "$GPUMEM" sources 2>/dev/null | grep -q "^discovery: bpf"; then
	run record "$TMP/live.ndjson" --discovery bpf 0.01 1
	check "live record --discovery bpf: found by the iterator" \
		'[ "$(jq -r .scan.discovery "$TMP/live.ndjson")" = bpf ]'
	run record "$TMP/live2.ndjson" --discovery proc 0.01 1
	check "live record --discovery proc: the walk" \
		'[ "$(jq -r .scan.discovery "$TMP/live2.ndjson")" = proc ]'
else
	echo "ok $((N + 1)) - live --discovery bpf # SKIP the iterator does not load here"
	N=$((N + 1))
fi
for cmd in "plot $TMP/rec2.ndjson -o $TMP/p.png" cgroups trace; do
	run $cmd --discovery proc
	check "${cmd%% *} --discovery: unknown there (no process figures), usage error" \
		'[ "$(cat "$TMP/rc")" = 1 ] && grep -q "unknown option" "$TMP/err"'
done

# The completion: the choices after --discovery, for each command.
BC=/usr/share/bash-completion/bash_completion
if command -v bash >/dev/null && [ -r "$BC" ]; then
	for line in "gpumem --discovery " "gpumem top --discovery " \
		"gpumem explain --discovery " "gpumem record --discovery p"; do
		got=$(PATH="$(dirname "$GPUMEM"):$PATH" bash -c '
			. "$1"; . "$2"
			read -r -a COMP_WORDS <<<"$3"
			case $3 in *" ") COMP_WORDS+=("") ;; esac
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			COMP_LINE=$3 COMP_POINT=${#3}
			_gpumem gpumem "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
			echo "${COMPREPLY[*]}"' sh "$BC" "$COMP" "$line" 2>"$TMP/err")
		case $line in
		*p) want=proc ;;
		*) want="bpf proc" ;;
		esac
		check "completion of '$line': $want" '[ "$got" = "$want" ]'
	done
else
	echo "ok $((N + 1)) - completion # SKIP no bash-completion"
	N=$((N + 1))
fi

echo "1..$N"
[ "$FAILED" -eq 0 ]
