"""What a flame-viewer check in Chromium returned (tests/tools/cdp.js check's output), judged:
load() gives that output and the fixture's metadata (argv[1], argv[2]); check(ok, what) notes
a failed expectation; done() prints them and exits 1 if there was one, else 0."""
import json
import sys

_bad = []


def load():
    return json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))


def check(ok, what):
    if not ok:
        _bad.append(what)


def done():
    for b in _bad:
        print("  FAILED:", b, file=sys.stderr)
    sys.exit(1 if _bad else 0)
