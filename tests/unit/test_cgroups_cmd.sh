#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gpumem cgroups on tests/fixtures/dmem-xe (xe's regions, as dmem.c prints
# them) and on a tree without the controller: "not available", exit 0.
# The figures expected are the fixture's files, read here by awk.
set -u
gpumem=$1
fixtures=$2
. "$(dirname "$0")/tap.sh"
xe=$fixtures/dmem-xe
cg=$xe/sys/fs/cgroup

"$gpumem" cgroups --root "$xe" --json >"$TMP/json" 2>"$TMP/err"
check "cgroups --json exits 0" '[ $? -eq 0 ]'
check "available, found" \
	'[ "$(jq -c "[.dmem.available, .dmem.state]" "$TMP/json")" = "[true,\"found\"]" ]'
check "regions and capacities as dmem.capacity says" \
	'[ "$(jq -r ".regions[] | \"\(.name) \(.capacity_bytes)\"" "$TMP/json")" = "$(cat "$cg/dmem.capacity")" ]'
check "the root: current only" \
	'[ "$(jq -r "[.cgroups[] | select(.cgroup == \"/\") | \"\(.region) \(.current_bytes)\"] | .[]" "$TMP/json")" = "$(cat "$cg/dmem.current")" ] &&
	 [ "$(jq -c "[.cgroups[] | select(.cgroup == \"/\") | .max_bytes]" "$TMP/json")" = "[null,null]" ]'
for f in min low max; do
	check "ollama.service dmem.$f, \"max\" kept" \
		'[ "$(jq -r ".cgroups[] | select(.cgroup == \"/system.slice/ollama.service\") | \"\(.region) \(.${f}_bytes)\"" "$TMP/json")" = "$(cat "$cg/system.slice/ollama.service/dmem.$f")" ]'
done
check "no cgroup without the controller, no link followed" \
	'[ "$(jq "[.cgroups[] | select(.cgroup | test(\"user|loop\"))] | length" "$TMP/json")" = 0 ]'
check "the process carries its cgroup's pools" \
	'"$gpumem" --root "$xe" --json | jq -e ".processes[0].dmem | map(.region) == [\"drm/0000:03:00.0/vram0\", \"drm/0000:03:00.0/vram1\"]" >/dev/null'
check "its client's drm-client-name (6.13+) is kept" \
	'"$gpumem" --root "$xe" --json | jq -e ".clients[0].name == \"ollama-runner\"" >/dev/null'
check "so does its --group cgroup group" \
	'"$gpumem" --root "$xe" --group cgroup --json | jq -e ".groups[0].dmem[0].max_bytes == 8589934592" >/dev/null'

"$gpumem" cgroups --root "$xe" --bytes >"$TMP/table" 2>"$TMP/err"
check "table: ollama's vram0 line" \
	'grep -Eq "^ +5368709120 +4294967296 +max +8589934592 drm/0000:03:00.0/vram0 +/system.slice/ollama.service$" "$TMP/table"'

mkdir -p "$TMP/old/proc" "$TMP/old/sys/fs/cgroup"
echo "cpu memory pids" >"$TMP/old/sys/fs/cgroup/cgroup.controllers"
"$gpumem" cgroups --root "$TMP/old" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "no controller: exit 0, not available" \
	'[ $rc -eq 0 ] && grep -q "not available" "$TMP/out" && [ ! -s "$TMP/err" ]'
"$gpumem" cgroups --root "$TMP/old" -j >"$TMP/out" 2>"$TMP/err"
check "no controller, --json: available false, state missing" \
	'[ "$(jq -c "[.dmem.available, .dmem.state, (.cgroups | length)]" "$TMP/out")" = "[false,\"missing\",0]" ]'
check "cgroups --help" '"$gpumem" cgroups --help | grep -q "dmem"'
"$gpumem" cgroups --pid 1 >/dev/null 2>&1
rc=$?
check "cgroups --pid: a usage error" '[ $rc -eq 1 ]'
echo "1..$N"
[ "$FAILED" -eq 0 ]
