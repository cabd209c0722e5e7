#!/bin/sh
# SPDX-License-Identifier: MIT
# gpumem top in a real terminal: tmux runs it, send-keys presses its keys,
# capture-pane reads the screen.  The expected rows come from the fixture's
# own JSON (whose figures tests/fixtures/demo-desktop/check.sh proves).
# Usage: test_tmux.sh path/to/gpumem FIXTURE        Output: TAP.
set -u

GPUMEM=${1:?usage: test_tmux.sh path/to/gpumem FIXTURE}
FIX=${2:?usage: test_tmux.sh path/to/gpumem FIXTURE}
. "$(dirname "$0")/../unit/tap.sh"
. "$(dirname "$0")/../unit/hostile_tree.sh"

if ! command -v tmux >/dev/null; then
	echo "1..0 # SKIP no tmux"
	exit 0
fi
# A server per start: a new one on the socket of one still exiting fails.
S=0
T="tmux -L gpumem-top-$$-$S -f /dev/null"
trap '$T kill-server 2>/dev/null; rm -rf "$TMP"' EXIT

screen() { $T capture-pane -p -t top "$@"; }

# wait_for REGEX: until the screen shows it (a bound, not a timing test).
# The pattern on the screen, then the screen as curses left it: a capture
# may land mid-frame (the help's title drawn, its lines not yet).
wait_for() {
	i=0
	while [ $i -lt 300 ]; do
		screen >"$TMP/screen"
		if grep -qE "$1" "$TMP/screen"; then
			settle
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

settle() {
	j=0
	while [ $j -lt 20 ]; do
		sleep 0.1
		screen >"$TMP/screen.next"
		cmp -s "$TMP/screen" "$TMP/screen.next" && return 0
		mv "$TMP/screen.next" "$TMP/screen"
		j=$((j + 1))
	done
}

# The pids of the process list, top to bottom ("-" for a group's sum).
rows() {
	screen | awk '/^ +PID USER/ { on = 1; next }
		on && $1 ~ /^([0-9]+|-)$/ { print $1; next } on { exit }' |
		tr '\n' ' '
}

# start W H ARGS...: a shell in a W x H terminal that runs gpumem top.
start() {
	w=$1 h=$2
	shift 2
	$T kill-server 2>/dev/null
	rm -f "$TMP/stty.after"
	S=$((S + 1))
	T="tmux -L gpumem-top-$$-$S -f /dev/null"
	$T new-session -d -s top -x "$w" -y "$h" "env -i PATH=$PATH HOME=$TMP TERM=screen LANG=C.UTF-8 ${NO_COLOR:+NO_COLOR=1} sh"
	# tmux 3.3a crashes when a program leaves its alternate screen after
	# resize-window, unless the size is manual.
	$T set -g window-size manual
	$T send-keys -t top "stty -g >$TMP/stty.before; echo BEFORE-TOP; $GPUMEM top $* 2>$TMP/err; echo TOP-EXIT=\$?; stty -g >$TMP/stty.after" Enter
	wait_for '^ +PID USER'
}

keys() {
	$T send-keys -t top "$@"
}

# Until the shell has written the settings gpumem top left (a bound).
wait_stty() {
	i=0
	while [ ! -s "$TMP/stty.after" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

"$GPUMEM" --root "$FIX" --json >"$TMP/json" 2>/dev/null
order() {
	python3 - "$TMP/json" "$@" <<'EOF'
import json, sys
procs = json.load(open(sys.argv[1]))['processes']
key, rev = sys.argv[2], sys.argv[3:4] == ['rev']
names = [p for p in procs if len(sys.argv) <= 4 or sys.argv[4] in p['comm']]
if key == 'pid':
    names.sort(key=lambda p: p['pid'], reverse=rev)
else:
    names.sort(key=lambda p: (-p[key], p['pid']))
print(' '.join(str(p['pid']) for p in names) + ' ')
EOF
}

start 200 50 --root "$FIX" -d 0.3
check "starts on the fixture, sorted by GPU, largest first" \
	'[ "$(rows)" = "$(order gpu_total_bytes)" ]'
check "200 columns: a GPU and PSS pair per device, and CGROUP" \
	'grep -qE "GPU0 +PSS0 +GPU1 +PSS1 .*CGROUP +COMMAND" "$TMP/screen"'
check "a line per device: card0's bar split VRAM (#) and GTT (=)" \
	'grep -qE "^card0 amdgpu +\[#+=+\.+\]" "$TMP/screen" && grep -q "^card1 i915" "$TMP/screen"'

keys '<' '<'
wait_for 'sort PID'
check "< < sorts by PID, smallest first" '[ "$(rows)" = "$(order pid)" ]'
keys r
wait_for 'sort PID \(reversed\)'
check "r reverses it" '[ "$(rows)" = "$(order pid rev)" ]'
keys r '>' '>' '>'
wait_for 'sort GPU PSS'
check "> moves the sort to GPU PSS" '[ "$(rows)" = "$(order gpu_pss_upper_bytes)" ]'

keys / m p v Enter
wait_for 'name ~ mpv'
check "/mpv keeps only mpv" '[ "$(rows)" = "$(order pid no mpv)" ]'
keys / Enter
wait_for '7 shown'
check "an empty filter shows all again" '[ "$(rows)" = "$(order gpu_pss_upper_bytes)" ]'
# Processes with a client on card1, from the JSON's per-device figures.
on_card1=$(python3 -c '
import json, sys
procs = json.load(open(sys.argv[1]))["processes"]
on = [p for p in procs if any(d["card"] == "card1" for d in p["gpu_devices"])]
on.sort(key=lambda p: (-p["gpu_pss_upper_bytes"], p["pid"]))
print(" ".join(str(p["pid"]) for p in on) + " ")' "$TMP/json")
keys / d : c a r d 1 Enter
wait_for 'device ~ card1'
check "/d:card1 keeps the processes with a client on card1" \
	'[ -n "$on_card1" ] && [ "$(rows)" = "$on_card1" ]'
keys / Enter

keys g
wait_for 'by process tree'
sorted() { tr ' ' '\n' | grep . | sort | tr '\n' ' '; }
jq '.processes[].pid' "$TMP/json" >"$TMP/pids"
screen >"$TMP/tree"
check "g groups by process tree: the fixture's trees (PPid:), indented by depth" \
	'python3 "$(dirname "$0")/tree_check.py" "$TMP/tree" "$FIX" "$TMP/pids" >"$TMP/err" 2>&1 && grep -qE " gnome-shell \(5 processes\) *$" "$TMP/tree"'
check "g groups by process tree: a sum row per tree (3), every process once" \
	'[ "$(rows | tr " " "\n" | grep -c "^-$")" -eq 3 ] && [ "$(rows | tr " " "\n" | grep -v "^-$" | sorted)" = "$(order pid | sorted)" ]'
keys g
wait_for 'by user'
# One sum row per uid that the fixture's status files give its processes.
users=$(for pid in $(jq '.processes[].pid' "$TMP/json"); do
	awk '/^Uid:/ { print $2 }' "$FIX/proc/$pid/status"
done | sort -u | wc -l)
check "g again groups by user: a sum row per user, then its processes" \
	'[ "$(rows | tr " " "\n" | grep -c "^-$")" -eq "$users" ] && [ "$(rows | wc -w)" -eq $((users + 7)) ]'
keys g g
wait_for 'sort GPU PSS, 7 processes|sort GPU PSS$'

keys / g n o m e Enter
wait_for 'name ~ gnome'
keys j Enter
want=$(python3 -c '
import json, sys
p = [p for p in json.load(open(sys.argv[1]))["processes"] if p["comm"] == "gnome-shell"][0]
print("DRM clients \\(%d\\)|dma-bufs \\(%d\\)" % (p["clients"], p["dmabufs"]))' "$TMP/json")
wait_for '^DRM clients'
check "enter shows the detail: the process's clients and dma-bufs" \
	'grep -qE "^Process [0-9]+ +comm gnome-shell" "$TMP/screen" && [ "$(grep -cE "$want" "$TMP/screen")" -eq 2 ]'
check "the detail lists regions, exporters and holders" \
	'grep -qE "^ +region " "$TMP/screen" && grep -qE "exporter .* held by [0-9]+" "$TMP/screen"'
check "the detail has a leak line" 'grep -qE "^Leak hint: " "$TMP/screen"'
keys Escape
wait_for '^ +PID USER'
check "esc goes back to the list" '! grep -q "^DRM clients" "$TMP/screen"'
keys / Enter

keys h
wait_for 'gpumem top: keys'
check "h shows the keys" 'grep -q "filter: TEXT (name), u:USER" "$TMP/screen"'
keys x
wait_for '^ +PID USER'
keys ' '
wait_for '\[paused\]'
check "space pauses" 'grep -q "\[paused\]" "$TMP/screen"'
keys ' ' d 0 . 7 Enter
wait_for 'every 0.7s'
check "d sets the interval" 'grep -q "every 0.7s" "$TMP/screen"'

$T resize-window -t top -x 80 -y 24
wait_for '^ +PID USER +GPU +GPUPSS'
# the rows of the redrawn screen too, not only its heads
wait_for '^ +[0-9]+ .* witcher3.exe'
check "80x24: one GPU pair, no CGROUP, the command still shown" \
	'! grep -q CGROUP "$TMP/screen" && grep -qE "^ +[0-9]+ .* witcher3.exe" "$TMP/screen"'
check "80x24: no line wider than 80" \
	'python3 -c "import sys; sys.exit(max(len(l) for l in open(sys.argv[1], encoding=\"utf-8\")) > 81)" "$TMP/screen"'
$T resize-window -t top -x 200 -y 50
wait_for 'GPU0 +PSS0'
check "back to 200x50: the pairs and CGROUP again" 'grep -q CGROUP "$TMP/screen"'

keys q
wait_for '^TOP-EXIT=[0-9]'
check "q quits with status 0" \
	'grep -q "^TOP-EXIT=0" "$TMP/screen" || { sed "s/^/# /" "$TMP/screen" "$TMP/err"; false; }'
# (a resize may reflow the shell's lines: the echo's output ends a line,
# the command that printed it has "BEFORE-TOP;")
check "the terminal is restored: the screen from before" \
	'grep -q "BEFORE-TOP$" "$TMP/screen" || { sed "s/^/# /" "$TMP/screen"; false; }'
wait_stty
check "the terminal is restored: the same stty settings" \
	'cmp "$TMP/stty.before" "$TMP/stty.after" >"$TMP/err" 2>&1'

# A replayed series (tests/fixtures/series-leak, its README): pid 100
# leaks 16 MiB a sample, 200 is a sawtooth, 300 steady.
SERIES=$FIX/../series-leak
if [ -d "$SERIES" ]; then
	start 200 50 --root "$SERIES" -d 0.3
	wait_for '^ +100 .* L +[^ ].* leaky$'
	check "replay: the leak gets its L, the sawtooth and the steady one not" \
		'grep -qE "^ +100 .* L +[^ ].* leaky$" "$TMP/screen" && ! grep -qE "^ +(200|300) .* L +[^ ].*$" "$TMP/screen"'
	keys / l e a k y Enter j Enter
	wait_for '^Leak hint: '
	check "its detail: the growth and its rate" \
		'grep -qE "^Leak hint: grew from [0-9.]+M to [0-9.]+M in [0-9.]+ s, [0-9.]+[KMG]/s, over the last 10 samples" "$TMP/screen"'
	check "its detail: a sparkline" 'grep -qE "^GPU \+ DMABUF [▁▂▃▄▅▆▇█]{10,}" "$TMP/screen"'
	keys Escape
	wait_for 'the replayed series has ended'
	check "the end of the series: the last frame stays, paused" \
		'grep -q "\[paused\]" "$TMP/screen" && grep -qE "^ +100 " "$TMP/screen"'
	keys q
	wait_for '^TOP-EXIT=[0-9]'
	check "then q quits with status 0" 'grep -q "^TOP-EXIT=0" "$TMP/screen"'
else
	echo "ok - replay in a terminal # SKIP no tests/fixtures/series-leak"
	N=$((N + 1))
fi

# -n in a terminal: that many samples, then out, the terminal restored.
start 100 30 --root "$FIX" -d 0.2 -n 3
wait_for '^TOP-EXIT=[0-9]'
check "-n 3 in a terminal: three samples, then status 0" \
	'grep -q "^TOP-EXIT=0" "$TMP/screen" && grep -q "BEFORE-TOP$" "$TMP/screen" || { grep -v "^$" "$TMP/screen" | sed "s/^/# /"; false; }'

# Ctrl-C (SIGINT, as gpumem INTERVAL takes it): out with status 0 and the
# terminal as it was, not killed in the alternate screen.
start 100 30 --root "$FIX" -d 0.2
keys C-c
wait_for '^TOP-EXIT=[0-9]'
wait_stty
check "Ctrl-C: status 0, the screen and stty settings from before" \
	'grep -q "^TOP-EXIT=0" "$TMP/screen" && grep -q "BEFORE-TOP$" "$TMP/screen" && cmp "$TMP/stty.before" "$TMP/stty.after" >"$TMP/err" 2>&1 || { grep -v "^$" "$TMP/screen" | sed "s/^/# /"; false; }'

# Colour: there with a colour terminal, gone with NO_COLOR.
start 200 50 --root "$FIX"
$T capture-pane -e -p -t top >"$TMP/colour"
check "colour on a colour terminal" 'grep -q "$(printf "\033")\[3[1-6]m" "$TMP/colour"'
NO_COLOR=1 start 200 50 --root "$FIX"
$T capture-pane -e -p -t top >"$TMP/colour"
check "no colour with NO_COLOR" '! grep -q "$(printf "\033")\[3[0-7]" "$TMP/colour"'

# Hostile names: shown escaped, the screen and its columns intact.
hostile_tree "$TMP/hostile" "$(dirname "$0")/.."
start 200 50 --root "$TMP/hostile" --sort pid
check "CSI, OSC 52, newline, invalid UTF-8 shown escaped" \
	'grep -qF "\\x1b[2J" "$TMP/screen" && grep -qF "\\x1b]52;c;aGk=\\x07" "$TMP/screen" && grep -qF "two\\x0alines" "$TMP/screen" && grep -qF "x\\xffy" "$TMP/screen" && grep -qF "cut\\xc3" "$TMP/screen"'
check "the title survived them (no clear screen)" 'grep -q "^gpumem top - " "$TMP/screen"'
check "every row of the list is there, in order" \
	'[ "$(rows)" = "101 102 103 104 105 106 107 108 " ]'
cat >"$TMP/align.py" <<'EOF'
import sys, unicodedata
lines = open(sys.argv[1], encoding='utf-8').read().split('\n')
def cols(s):
    return sum(2 if unicodedata.east_asian_width(c) in 'WF' else 1 for c in s)
h = [i for i, l in enumerate(lines) if l.lstrip().startswith('PID USER')][0]
at = cols(lines[h][:lines[h].index('COMMAND')])
for l in lines[h + 1:h + 9]:
    i = [i for i in range(len(l) + 1) if cols(l[:i]) == at][0]
    if l[i - 1] != ' ' or l[i] == ' ':
        sys.exit('COMMAND not at column %d: %r' % (at, l))
EOF
check "names start at the COMMAND column in every row" \
	'python3 "$TMP/align.py" "$TMP/screen" >"$TMP/err" 2>&1'
check "the driver's escape shown escaped" \
	'grep -qF "ev\\x1b[31mil" "$TMP/screen"'
printf 'evil\0--opt\0\033[2J\0' >"$TMP/hostile/proc/101/cmdline"
keys c
wait_for 'evil --opt'
check "c shows command lines, escaped" 'grep -qF "evil --opt \\x1b[2J" "$TMP/screen"'
keys c
# the command line ends as comm does: wait for it to go
i=0
while screen | grep -q "evil --opt" && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
screen >"$TMP/screen"
check "c again: comm" \
	'! grep -q "evil --opt" "$TMP/screen" && grep -qE "^ +101 .* \\\\x1b\[2J$" "$TMP/screen"'
keys q
wait_for '^TOP-EXIT=[0-9]'
check "quits with status 0 after hostile names" \
	'grep -q "^TOP-EXIT=0" "$TMP/screen" || { sed "s/^/# /" "$TMP/screen" "$TMP/err"; false; }'

echo "1..$N"
[ "$FAILED" -eq 0 ]
