#!/usr/bin/env python3
"""Reads the TRX files of a `dotnet test` run and prints what was skipped and why, then the totals on one line."""
import collections
import glob
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
counts = collections.Counter()
reasons = collections.Counter()
for path in glob.glob(f"{sys.argv[1]}/**/*.trx", recursive=True):
    for result in ET.parse(path).getroot().iter(f"{NS}UnitTestResult"):
        outcome = result.get("outcome")
        counts[outcome] += 1
        if outcome == "NotExecuted":
            message = result.find(f"{NS}Output/{NS}ErrorInfo/{NS}Message")
            reasons[(message.text or "no reason given").strip() if message is not None else "no reason given"] += 1
skipped = counts["NotExecuted"]
if skipped:
    print(f"skipped {skipped}: " + "; ".join(f"{reason} ({n})" for reason, n in reasons.most_common()))
else:
    print("skipped 0: every test ran")
print(f"tests: {counts['Passed']} passed, {counts['Failed']} failed, {skipped} skipped")
