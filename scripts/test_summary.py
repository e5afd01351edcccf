#!/usr/bin/env python3
"""Reads the TRX files of a `dotnet test` run and prints the slowest tests, what was skipped and why, then the totals on one line."""
import collections
import glob
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
counts = collections.Counter()
reasons = collections.Counter()
durations = []
for path in glob.glob(f"{sys.argv[1]}/**/*.trx", recursive=True):
    for result in ET.parse(path).getroot().iter(f"{NS}UnitTestResult"):
        outcome = result.get("outcome")
        counts[outcome] += 1
        h, m, sec = (result.get("duration") or "0:0:0").split(":")
        durations.append((int(h) * 3600 + int(m) * 60 + float(sec), result.get("testName")))
        if outcome == "NotExecuted":
            message = result.find(f"{NS}Output/{NS}ErrorInfo/{NS}Message")
            reasons[(message.text or "no reason given").strip() if message is not None else "no reason given"] += 1
# Where the suite's time goes (it should stay under 15 minutes): the ten longest tests.
print("slowest: " + "; ".join(f"{name} {seconds:.0f} s" for seconds, name in sorted(durations, reverse=True)[:10]))
skipped = counts["NotExecuted"]
if skipped:
    print(f"skipped {skipped}: " + "; ".join(f"{reason} ({n})" for reason, n in reasons.most_common()))
else:
    print("skipped 0: every test ran")
print(f"tests: {counts['Passed']} passed, {counts['Failed']} failed, {skipped} skipped")
