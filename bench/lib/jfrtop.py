#!/usr/bin/env python3
"""Top frames of a JFR recording's CPU samples, for one thread family.

usage: jfr print --events jdk.ExecutionSample --stack-depth 64 REC.jfr > samples.txt
       bench/lib/jfrtop.py samples.txt [THREAD_REGEX] [--under FRAME]
Prints the share of samples whose top frame is each method (self) and that hold each method anywhere (inclusive);
with --under FRAME, only the samples through FRAME, and what they called. Record with
-XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints -XX:StartFlightRecording=filename=REC.jfr,settings=profile
(XVIO_JVM_EXTRA for bin/xvio); filter out the PMD threads (pmd0-cpu1 ...), which spin.
"""
import collections
import re
import sys

args = sys.argv[1:]
under = None
if "--under" in args:
    i = args.index("--under")
    under = args[i + 1]
    del args[i:i + 2]
if not args:
    sys.exit(__doc__)
text = open(args[0]).read()
thread = re.compile(args[1]) if len(args) > 1 else None
self_count, incl, n = collections.Counter(), collections.Counter(), 0
for s in text.split("jdk.ExecutionSample")[1:]:
    m = re.search(r'sampledThread = "([^"]*)"', s)
    if thread and not (m and thread.search(m.group(1))):
        continue
    frames = [re.sub(r"\(.*", "", f) for f in re.findall(r"^\s+([\w.$<>]+\(.*?\))\s+line:", s, re.M)]
    if not frames:
        continue
    if under:
        if under not in frames:
            continue
        frames = frames[:frames.index(under) + 1]
    n += 1
    self_count[frames[0]] += 1
    for f in set(frames):
        incl[f] += 1
print(f"samples {n}" + (f" through {under}" if under else ""))
if n:
    print("--- self")
    for f, c in self_count.most_common(25):
        print(f"{c * 100 / n:5.1f}% {f}")
    print("--- inclusive")
    for f, c in incl.most_common(45):
        print(f"{c * 100 / n:5.1f}% {f}")
