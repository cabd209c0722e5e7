# SPDX-License-Identifier: MIT
# Turn the serial console log of the gpumem test VM into TAP on stdout.
#
#   awk -v logfile=PATH -v suites="SUITE..." -f console2tap.awk PATH
#
# - KUnit KTAP inside the GPUMEM-DMESG-BEGIN/END dumps: every test case (a
#   result line at suite depth) is one test "kunit: SUITE.CASE"; a suite
#   result without cases (e.g. its init failed) is one test "kunit: SUITE".
# - "GPUMEM: ok - NAME" / "GPUMEM: not ok - NAME" lines: one test each;
#   "GPUMEM: # ..." lines are passed through as diagnostics.
# - No GPUMEM-SUITE-END line: "not ok - vm: hung/crashed (see LOG)".
# - Kernel WARNING/BUG/Oops/panic lines anywhere: one failed test.
# - Each KUnit suite named in "suites" must have run: one test each.
# Ends with the plan; exit status 1 if any test failed.

function emit(ok, name) {
	n++
	if (!ok)
		failed++
	print (ok ? "ok " : "not ok ") n " - " name
}

# "ok 3 name # SKIP why" -> "name # SKIP why"; ok-ness from the prefix.
function result(s, prefix,    ok) {
	ok = s !~ /^not ok/
	sub(/^(not )?ok( [0-9]+)? (- )?/, "", s)
	emit(ok, prefix s)
}

function ktap(s) {
	sub(/^\[[ 0-9.]*\] ?/, "", s)
	if (s ~ /^    # Subtest: /) {
		suite = s
		sub(/^    # Subtest: /, "", suite)
		cases = 0
		ran[suite] = 1
	} else if (s ~ /^    (not )?ok [0-9]+ / && suite != "") {
		cases++
		sub(/^    /, "", s)
		result(s, "kunit: " suite ".")
	} else if (s ~ /^(not )?ok [0-9]+ / && suite != "") {
		if (!cases)
			result(s, "kunit: ")
		suite = ""
	}
}

BEGIN {
	n = failed = ended = dumping = nbad = 0
	kernel_bad = "(WARNING:|BUG:|Oops|Kernel panic|refcount_t:|UBSAN:|general protection fault)"
}

{ sub(/\r$/, "") }

/GPUMEM-DMESG-BEGIN/ { dumping = 1; next }
/GPUMEM-DMESG-END/ { dumping = 0; next }
/GPUMEM-SUITE-END/ { ended = 1; next }

/^GPUMEM: / {
	s = substr($0, 9)
	if (s ~ /^(not )?ok /)
		result(s, "")
	else if (s ~ /^#/)
		print s
	else
		print "# " s
	next
}

$0 ~ kernel_bad && nbad < 20 { bad[++nbad] = $0 }

dumping { ktap($0) }

END {
	if (!ended)
		emit(0, "vm: hung/crashed, no end-of-suite marker (see " logfile ")")
	nsuites = split(suites, want, " ")
	for (i = 1; i <= nsuites; i++)
		emit(want[i] in ran, "kunit: suite " want[i] " ran at boot")
	for (i = 1; i <= nbad; i++)
		print "# kernel: " bad[i]
	emit(!nbad, "kernel: no WARNING/BUG/Oops/panic in the console log")
	print "1.." n
	exit failed ? 1 : 0
}
