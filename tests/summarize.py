#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Sums the results of a meson test run (testlog.json) over CUnit test cases
(each program's "Run Summary") and run_pipelines.sh lines ("N passed, N failed").
A program that failed without such a summary (crash, timeout) counts as one
failed test. Prints one line per failing program and ends with
"N passed, N failed"; exits 1 when anything failed."""
import json
import re
import sys

passed = failed = 0
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            t = json.loads(line)
            out = t.get("stdout") or ""
            ok = t.get("result") == "OK"
            m = re.search(r"^\s*tests\s+(\d+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(\d+)", out, re.M)
            p = re.findall(r"^(\d+) passed, (\d+) failed", out, re.M)
            if m:
                ran, nfail = int(m.group(2)), int(m.group(4))
                passed += ran - nfail
                failed += nfail
                if not ok and nfail == 0:
                    failed += 1
            elif p:
                passed += int(p[-1][0])
                failed += int(p[-1][1])
                if not ok and int(p[-1][1]) == 0:
                    failed += 1
            elif ok:
                passed += 1
            else:
                failed += 1
            if not ok:
                print(f"FAILED: {t.get('name')} ({t.get('result')})")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
