#!/bin/sh
# SPDX-License-Identifier: MIT
# gpumem 0.2 10 --json while the workload steps: each frame equals the
# truth of the step it was taken in, a frame across a step change one of
# the two (samplecheck says how it knows which; tests/run.sh puts it and a
# static gpumem in the VM).
if ! command -v samplecheck >/dev/null || ! command -v gpumem >/dev/null; then
	echo "ok - sample # SKIP samplecheck or gpumem not in the VM"
	exit 0
fi
samplecheck
