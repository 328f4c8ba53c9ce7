#!/usr/bin/env python3
"""Validate bench/discovery/queries.json against the fixture tool catalog.

Usage:
    python3 bench/discovery/check_queries.py [CATALOG] [QUERIES_JSON]

CATALOG is a folder or a .tar.gz of toolkit files, by default the repository's
tests/fixtures/catalog.tar.gz; QUERIES_JSON defaults to queries.json next to this
script. Stdlib only.

Exits non-zero with a message on the first class of problems found:
  * a query entry is malformed (missing/extra keys, wrong types, empty values)
  * an expected tool name does not exist in the catalog
  * a toolkit filter names an unknown toolkit, or excludes an expected tool
  * duplicate queries (case/whitespace-insensitive) or duplicate expected names
  * fewer than MIN_QUERIES queries
"""

import glob
import json
import os
import sys
import tarfile
from collections import Counter

MIN_QUERIES = 120
KEYS = {"query", "expected", "toolkit"}

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))


def fail(msg, problems=()):
    print("check_queries: FAIL: " + msg, file=sys.stderr)
    for p in problems:
        print("  - " + p, file=sys.stderr)
    sys.exit(1)


def toolkit_files(catalog):
    """(name, parsed JSON) of every *.json toolkit file of a folder or a .tar.gz."""
    try:
        if os.path.isdir(catalog):
            for path in sorted(glob.glob(os.path.join(catalog, "*.json"))):
                with open(path, encoding="utf-8") as fh:
                    yield path, json.load(fh)
            return
        with tarfile.open(catalog, "r:gz") as archive:
            for member in sorted(archive.getmembers(), key=lambda m: m.name):
                if member.isfile() and member.name.endswith(".json"):
                    yield member.name, json.load(archive.extractfile(member))
    except (OSError, ValueError, tarfile.TarError) as exc:
        fail("cannot read the catalog %s: %s" % (catalog, exc))


def load_catalog(catalog_dir):
    files = list(toolkit_files(catalog_dir))
    if not files:
        fail("no *.json catalog files found in %s" % catalog_dir)
    names, toolkits = set(), set()
    for path, data in files:
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            fail("catalog file %s has no 'items' list" % path)
        for item in data["items"]:
            qn = item.get("qualified_name")
            if not qn:
                tk = (item.get("toolkit") or {}).get("name")
                if tk and item.get("name"):
                    qn = "%s.%s" % (tk, item["name"])
            if qn:
                names.add(qn)
                toolkits.add(qn.split(".", 1)[0])
    return names, toolkits


def norm(text):
    return " ".join(text.lower().split())


def main(argv):
    catalog_dir = argv[1] if len(argv) > 1 else os.path.join(
        REPO_ROOT, "tests", "fixtures", "catalog.tar.gz")
    queries_path = argv[2] if len(argv) > 2 else os.path.join(HERE, "queries.json")
    catalog_dir = os.path.normpath(catalog_dir)

    if not os.path.exists(catalog_dir):
        fail("catalog not found: %s" % catalog_dir)
    names, toolkits = load_catalog(catalog_dir)

    try:
        with open(queries_path, encoding="utf-8") as fh:
            entries = json.load(fh)
    except (OSError, ValueError) as exc:
        fail("cannot read queries file %s: %s" % (queries_path, exc))
    if not isinstance(entries, list):
        fail("%s must contain a JSON array" % queries_path)

    # 1. shape
    shape = []
    for i, e in enumerate(entries):
        where = "entry %d" % i
        if not isinstance(e, dict):
            shape.append("%s: not an object" % where)
            continue
        if set(e) != KEYS:
            shape.append("%s: keys must be exactly %s, got %s"
                         % (where, sorted(KEYS), sorted(e)))
            continue
        if not isinstance(e["query"], str) or not e["query"].strip():
            shape.append("%s: 'query' must be a non-empty string" % where)
        exp = e["expected"]
        if (not isinstance(exp, list) or not exp
                or not all(isinstance(n, str) and n for n in exp)):
            shape.append("%s: 'expected' must be a non-empty list of strings" % where)
        if e["toolkit"] is not None and (not isinstance(e["toolkit"], str)
                                         or not e["toolkit"]):
            shape.append("%s: 'toolkit' must be null or a non-empty string" % where)
    if shape:
        fail("%d malformed entries in %s" % (len(shape), queries_path), shape)

    # 2. expected names exist; toolkit filters are consistent
    missing, bad_filter = [], []
    for i, e in enumerate(entries):
        for n in e["expected"]:
            if n not in names:
                missing.append("entry %d (%r): %s" % (i, e["query"], n))
        tk = e["toolkit"]
        if tk is not None:
            if tk not in toolkits:
                bad_filter.append("entry %d (%r): unknown toolkit %r" % (i, e["query"], tk))
            else:
                outside = [n for n in e["expected"] if n.split(".", 1)[0] != tk]
                if outside:
                    bad_filter.append("entry %d (%r): toolkit filter %r excludes %s"
                                      % (i, e["query"], tk, outside))
    if missing:
        fail("%d expected tool names are not in the catalog (%s)"
             % (len(missing), catalog_dir), missing)
    if bad_filter:
        fail("%d inconsistent toolkit filters" % len(bad_filter), bad_filter)

    # 3. duplicates
    dups = []
    counts = Counter(norm(e["query"]) for e in entries)
    for q, c in sorted(counts.items()):
        if c > 1:
            dups.append("query %r appears %d times" % (q, c))
    for i, e in enumerate(entries):
        for n, c in Counter(e["expected"]).items():
            if c > 1:
                dups.append("entry %d (%r): %s listed %d times in expected"
                            % (i, e["query"], n, c))
    if dups:
        fail("%d duplicates" % len(dups), dups)

    # 4. size
    if len(entries) < MIN_QUERIES:
        fail("only %d queries, need at least %d" % (len(entries), MIN_QUERIES))

    covered = Counter(n.split(".", 1)[0] for e in entries for n in e["expected"])
    filtered = sum(1 for e in entries if e["toolkit"] is not None)
    print("check_queries: OK: %d queries, %d distinct expected tools, %d toolkits "
          "covered, %d with a toolkit filter (catalog: %d tools, %d toolkits)"
          % (len(entries), len({n for e in entries for n in e["expected"]}),
             len(covered), filtered, len(names), len(toolkits)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
