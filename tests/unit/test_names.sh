#!/bin/sh
# SPDX-License-Identifier: MIT
# Names anyone can set (comm by prctl(PR_SET_NAME), dma-buf names by
# DMA_BUF_SET_NAME) or plant in a --root tree (drivers, regions): the table
# must not pass a terminal escape through nor lose its columns, the JSON
# must keep every key.  The tree is hostile_tree.sh's.
# Usage: test_names.sh path/to/gpumem        Output: TAP.
set -u

GPUMEM=${1:?usage: test_names.sh path/to/gpumem}
. "$(dirname "$0")/tap.sh"

R=$TMP/root
ESC=$(printf '\033')
. "$(dirname "$0")/hostile_tree.sh"
hostile_tree "$R" "$(dirname "$0")/.."

"$GPUMEM" --root "$R" >"$TMP/table" 2>"$TMP/err"
check "table exits 0" '[ $? -eq 0 ]'
check "table has no ESC" '! grep -q "$ESC" "$TMP/table"'
check "table is UTF-8 with no control character but newline" \
	'python3 -c "import sys, unicodedata as u; t = open(sys.argv[1], \"rb\").read().decode(); sys.exit(any(u.category(c) == \"Cc\" and c != \"\n\" for c in t))" "$TMP/table"'
check "CSI comm escaped" 'grep -qF "\\x1b[2J" "$TMP/table"'
check "OSC 52 comm escaped" 'grep -qF "\\x1b]52;c;aGk=\\x07" "$TMP/table"'
check "newline comm escaped, on its line" 'grep -qF "two\\x0alines" "$TMP/table"'
check "invalid byte escaped" 'grep -qF "x\\xffy" "$TMP/table"'
check "cut sequence escaped" 'grep -qF "cut\\xc3" "$TMP/table"'
check "multi-byte comm kept" 'grep -qF "ééééééé1" "$TMP/table"'
check "backslash doubled" 'grep -qF "back\\\\x41" "$TMP/table"'
check "driver escaped" 'grep -qF "ev\\x1b[31mil" "$TMP/table"'

# The columns after COMM end where their heads end, in display columns.
cat >"$TMP/align.py" <<'EOF'
import sys, unicodedata
text = open(sys.argv[1], 'rb').read().decode('utf-8', 'replace')
lines = text.split('\n')
def cols(s):
    return sum(2 if unicodedata.east_asian_width(c) in 'WF' else 1 for c in s)
def check(first, heads, nrows):
    h = [i for i, l in enumerate(lines) if l.startswith(first)][0]
    head, ends, pos = lines[h], [], 0
    for name in heads:
        pos = head.index(name, pos) + len(name)
        ends.append(cols(head[:pos]))
    rows = lines[h + 1:h + 1 + nrows]
    for l in rows:
        for e in ends:
            # a right-aligned cell ends at its head's end: a figure, a blank
            pre = l[:[i for i in range(len(l) + 1) if cols(l[:i]) == e][0]]
            after = l[len(pre):len(pre) + 1]
            if pre[-1:] == ' ' or after not in ('', ' '):
                sys.exit('misaligned at %d: %r' % (e, l))
check('    PID', ['GPU', 'GPU PSS', 'DMABUF', 'DMABUF PSS'], 8)
check('DEVICE', ['TOTAL', 'CLIENTS'], 1)
EOF
check "process and device columns align" \
	'python3 "$TMP/align.py" "$TMP/table" 2>"$TMP/err" || { sed "s/^/# /" "$TMP/err"; false; }'

"$GPUMEM" --root "$R" --json >"$TMP/json" 2>"$TMP/err"
check "--json exits 0" '[ $? -eq 0 ]'
cat >"$TMP/names.py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
procs = {p['pid']: p for p in d['processes']}
assert sorted(procs) == list(range(101, 109)), sorted(procs)
for p in procs.values():
    assert isinstance(p.get('comm'), str), p
want = {101: '\x1b[2J', 102: '\x1b]52;c;aGk=\x07', 103: 'two\nlines',
        104: 'x\ufffdy', 105: 'cut\ufffd', 106: 'ééééééé1',
        107: 'back\\x41', 108: 'plain'}
for pid, comm in want.items():
    assert procs[pid]['comm'] == comm, (pid, procs[pid]['comm'])
names = {b['ino']: b for b in d['dmabufs']}
for b in names.values():
    assert isinstance(b.get('name'), str) and isinstance(b.get('exporter'), str), b
assert names[104]['name'] == '\ufffdbad', names[104]
assert names[105]['name'] == 'cut\ufffd', names[105]
dev = d['devices'][0]
assert dev['driver'] == 'ev\x1b[31mil', dev
regions = d['clients'][0]['regions']
assert list(regions) == ['lo\ufffdcal0'], regions
EOF
check "--json parses, every comm and name a string, invalid bytes U+FFFD" \
	'python3 "$TMP/names.py" "$TMP/json" 2>"$TMP/err" || { sed "s/^/# /" "$TMP/err"; false; }'

"$GPUMEM" explain --root "$R" -p 104 >"$TMP/xtable" 2>"$TMP/err"
check "explain -p exits 0" '[ $? -eq 0 ]'
check "explain -p comm escaped" 'grep -qF "process 104 (x\\xffy)" "$TMP/xtable"'
"$GPUMEM" explain --root "$R" -p 102 >"$TMP/xtable" 2>"$TMP/err"
check "explain -p table has no ESC" '! grep -q "$ESC" "$TMP/xtable"'
"$GPUMEM" explain --root "$R" -p 104 -j >"$TMP/xjson" 2>"$TMP/err"
check "explain -j -p keeps the process and its comm" \
	'python3 -c "import json,sys; p = json.load(open(sys.argv[1]))[\"process\"]; assert p[\"comm\"] == \"x\ufffdy\", p" "$TMP/xjson"'

echo "1..$N"
[ "$FAILED" -eq 0 ]
