#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gpumem --group on the demo fixture: each group's PSS-like sums against
# expected.json's processes grouped by the fixture's own cgroup and status
# files, and the sums closing on the total, for cgroup, unit and user.
set -u
gpumem=$1
src=$2
. "$(dirname "$0")/tap.sh"
command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }

# NAME BY TREE: the groups of BY, computed from TREE's files alone.
truth() {
	python3 - "$src/expected.json" "$2" "$1" <<'PY'
import json, os, sys
exp, tree, by = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
groups = {}


def status(pid, key):
    for l in open(os.path.join(tree, "proc", pid, "status")):
        if l.startswith(key + ":"):
            return l.split()[1]


def root(pid):
    seen = []
    while pid not in seen:
        seen.append(pid)
        up = status(pid, "PPid")
        if up not in exp["processes"] or up == pid:
            return pid
        pid = up
    loop = seen[seen.index(pid):]
    return min(loop, key=int)


for pid, p in exp["processes"].items():
    d = os.path.join(tree, "proc", pid)
    key = "unknown"
    if by == "tree":
        r = root(pid)
        key = r + " " + open(os.path.join(tree, "proc", r, "comm")).read().strip()
    elif by == "user":
        for l in open(os.path.join(d, "status")):
            if l.startswith("Uid:"):
                key = l.split()[1]
    elif os.path.exists(os.path.join(d, "cgroup")):
        path = open(os.path.join(d, "cgroup")).read().split("::", 1)[1]
        key = path.strip()
        if by == "unit":
            key = p["cgroup"]["unit"] if "cgroup" in p and p["cgroup"] \
                else "unknown"
    g = groups.setdefault(key, [0, 0, 0])
    g[0] += 1
    g[1] += p["gpu_pss_upper_bytes"]
    g[2] += p["dmabuf_pss_bytes"]
print(json.dumps(sorted([k] + v for k, v in groups.items())))
PY
}

got() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(json.dumps(sorted([g["name"], g["processes"], g["gpu_pss_upper_bytes"],
                         g["dmabuf_pss_bytes"]] for g in d["groups"])))
' "$1"
}

# The groups add up to the total, and the total to the processes.
closes() {
	python3 -c '
import json, sys
g, s = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
t = g["total"]
for k in ("gpu_pss_upper_bytes", "dmabuf_pss_bytes"):
    assert sum(x[k] for x in g["groups"]) == t[k], k
    assert sum(p[k] for p in s["processes"]) == t[k], k
assert sum(x["processes"] for x in g["groups"]) == t["processes"]
assert len(s["processes"]) == t["processes"]
' "$1" "$2"
}

tree=$src
"$gpumem" --root "$tree" --json >"$TMP/show.json" 2>"$TMP/err"
for by in cgroup unit user tree; do
	"$gpumem" --root "$tree" --group "$by" --json >"$TMP/$by.json" 2>"$TMP/err"
	check "--group $by --json exits 0" '[ $? -eq 0 ]'
	check "--group $by: each group as the fixture's files say" \
		'[ "$(got "$TMP/$by.json")" = "$(truth "$by" "$tree")" ]'
	check "--group $by: the sums close" \
		'closes "$TMP/$by.json" "$TMP/show.json"'
done
# The same groups as CSV: a row each (no total row), parsed as CSV.
got_csv() {
	python3 -c '
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert all(r["group_by"] == sys.argv[2] for r in rows), rows
print(json.dumps(sorted([r["name"], int(r["processes"]),
                         int(r["gpu_pss_upper_bytes"]),
                         int(r["dmabuf_pss_bytes"])] for r in rows)))
' "$1" "$2"
}
for by in cgroup unit user tree; do
	"$gpumem" --root "$tree" --group "$by" --csv >"$TMP/$by.csv" 2>"$TMP/err"
	check "--group $by --csv: a row per group, as the fixture's files say" \
		'[ "$(got_csv "$TMP/$by.csv" "$by")" = "$(truth "$by" "$tree")" ]'
done

check "by user: alice's six processes, root's one" \
	'[ "$(jq -c "[.groups[] | [.name, .processes]] | sort" "$TMP/user.json")" = "[[\"0\",1],[\"1000\",6]]" ]'
check "by tree: gnome-shell's tree of five, mpv and the game on their own" \
	'[ "$(jq -c "[.groups[] | [.name, .processes]] | sort" "$TMP/tree.json")" = "[[\"1534 gnome-shell\",5],[\"3388 mpv\",1],[\"4102 witcher3.exe\",1]]" ]'
check "by unit: firefox's scope holds its three processes" \
	'[ "$(jq "[.groups[] | select(.name == \"user@1000.service/app-firefox-2610.scope\") | .processes] | add" "$TMP/unit.json")" = 3 ]'

# A process whose cgroup cannot be read is in "unknown", still summed.
cp -a "$src" "$TMP/d"
rm "$TMP/d/proc/3388/cgroup"
"$gpumem" --root "$TMP/d" --json >"$TMP/show2.json" 2>"$TMP/err"
"$gpumem" --root "$TMP/d" -g cgroup -j >"$TMP/c2.json" 2>"$TMP/err"
check "a process without cgroup: in unknown" \
	'[ "$(got "$TMP/c2.json")" = "$(truth cgroup "$TMP/d")" ] &&
	 jq -e "[.groups[].name] | index(\"unknown\")" "$TMP/c2.json" >/dev/null'
check "a process without cgroup: the sums still close" \
	'closes "$TMP/c2.json" "$TMP/show2.json"'

# i915's shared bytes make some GPU PSS upper bounds: "<= " and a footnote.
"$gpumem" --root "$tree" --group unit --bytes >"$TMP/table" 2>"$TMP/err"
grep -v '^<= :' "$TMP/table" | sed 's/<= //g' >"$TMP/rows"
check "table: head, one row per group, the total last" \
	'[ "$(head -1 "$TMP/rows" | tr -s " ")" = "PROCESSES GPU PSS DMABUF PSS GROUP" ] &&
	 [ "$(wc -l <"$TMP/rows")" -eq $(($(jq ".groups | length" "$TMP/unit.json") + 2)) ] &&
	 [ "$(tail -1 "$TMP/rows" | tr -s " " | sed "s/^ //")" = "$(jq -r ".total | \"\(.processes) \(.gpu_pss_upper_bytes) \(.dmabuf_pss_bytes) total\"" "$TMP/unit.json")" ]'
check "table: a group holding a bound says <= with its footnote" \
	'grep -q "^<= : a group" "$TMP/table" && grep -Eq "<= [0-9]+ .* total$" "$TMP/table"'
"$gpumem" --root "$tree" --group pid >/dev/null 2>"$TMP/err"
rc=$?
check "--group pid: a usage error" '[ $rc -eq 1 ] && grep -q "invalid --group" "$TMP/err"'
echo "1..$N"
[ "$FAILED" -eq 0 ]
