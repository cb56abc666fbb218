#!/usr/bin/python3
"""Totals a meson test log: a test that prints its own
"N passed, N failed, N skipped" line counts as those N checks; any other
test counts as one check with its meson result."""

import json
import re
import sys

LINE = re.compile(r"^(\d+) passed, (\d+) failed, (\d+) skipped\s*$", re.M)

passed = failed = skipped = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            found = LINE.findall(t.get("stdout") or "")
            if found:
                p, fl, s = map(int, found[-1])
                passed, failed, skipped = passed + p, failed + fl, skipped + s
                if t["result"] not in ("OK", "SKIP", "EXPECTEDFAIL") and fl == 0:
                    failed += 1  # died after its summary, or timed out
            elif t["result"] in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif t["result"] == "SKIP":
                skipped += 1
            else:
                failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
