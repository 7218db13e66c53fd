#!/usr/bin/env python3
"""layers.py: the files of src/ and what each uses of the others; fails on a circle.

A file uses another when it calls a function, or names a variable, that the
other defines (not static), or includes its own header (dbq.h, dbq.c's: its
struct is the use).  A map header, one that declares the functions of several
files (api.h, civic.h), is not any one file's: including it uses nothing by
itself, the calls say what is used.  The files must form layers: no file may
use, through any chain, a file that uses it back.

    python3 tools/layers.py          the layers, lowest first; exit 1 on a circle
    python3 tools/layers.py --dot    the graph, for Graphviz

make test runs it.  Kore's own symbols (kore_*, http_*, net_*) are Kore's,
not ours, and are not counted.
"""

import os
import re
import sys
from collections import defaultdict

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SRC = os.path.join(ROOT, "src")


def strip(text):
    """The C text without comments, strings and character constants."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
    text = re.sub(r"'(\\.|[^'\\\n])*'", "''", text)
    return text


def definitions(text):
    """Names of the functions and variables text defines at file level, but
    the static ones."""
    names = set()
    depth = 0
    prev = ""
    for line in text.split("\n"):
        if depth == 0 and line and not line[0].isspace() and not line.startswith("#"):
            m = re.match(r"([A-Za-z_]\w*)\s*\(", line)
            if m and not prev.startswith("static") and not line.startswith("static"):
                names.add(m.group(1))
            m = re.match(r"(?!static|extern|typedef|struct \w+ \{|enum|union)"
                         r"[\w\s\*]+?\**\s*\b([A-Za-z_]\w*)\s*(\[[^\]]*\])?\s*(=[^;]*)?;\s*$", line)
            if m and "(" not in line:
                names.add(m.group(1))
        depth += line.count("{") - line.count("}")
        if line.strip():
            prev = line
    return names


def main():
    files = sorted(f for f in os.listdir(SRC) if f.endswith(".c"))
    texts = {f: strip(open(os.path.join(SRC, f), encoding="utf-8").read()) for f in files}
    owner = {}
    for f in files:
        for name in definitions(texts[f]):
            if name in owner and owner[name] != f:
                sys.exit("layers: %s is defined in %s and %s" % (name, owner[name], f))
            owner[name] = f

    own = set()
    for f in files:
        h = os.path.join(SRC, f[:-2] + ".h")
        if os.path.exists(h):
            names = set(re.findall(r"\b[A-Za-z_]\w*\b", strip(open(h, encoding="utf-8").read())))
            if all(owner[n] == f for n in names if n in owner):
                own.add(f[:-2] + ".h")

    uses = defaultdict(set)
    why = {}
    for f in files:
        for name in set(re.findall(r"\b[A-Za-z_]\w*\b", texts[f])):
            g = owner.get(name)
            if g is not None and g != f:
                uses[f].add(g)
                why.setdefault((f, g), name)
        raw = open(os.path.join(SRC, f), encoding="utf-8").read()
        for h in re.findall(r'#include\s+"(\w+)\.h"', raw):
            if h + ".h" in own and h + ".c" != f:
                uses[f].add(h + ".c")
                why.setdefault((f, h + ".c"), h + ".h")

    if "--dot" in sys.argv:
        print("digraph src {")
        for f in files:
            for g in sorted(uses[f]):
                print('  "%s" -> "%s" [label="%s"];' % (f, g, why[(f, g)]))
        print("}")
        return 0

    # Strongly connected components (Tarjan): any of more than one file is a circle.
    index, low, stack, on, comps = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(uses[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for f in files:
        if f not in index:
            visit(f)

    circles = [c for c in comps if len(c) > 1]
    if circles:
        for c in circles:
            edges = ["%s -> %s (%s)" % (f, g, why[(f, g)]) for f in c for g in sorted(uses[f]) if g in c]
            print("layers: a circle: %s\n    %s" % (", ".join(c), "\n    ".join(edges)))
        return 1

    # Layers: a file's layer is one above the highest file it uses.
    layer = {}

    def depth(f):
        if f not in layer:
            layer[f] = 1 + max((depth(g) for g in uses[f]), default=-1)
        return layer[f]

    for f in files:
        depth(f)
    for n in range(max(layer.values()) + 1):
        print("layer %d: %s" % (n, " ".join(f for f in files if layer[f] == n)))
    print("layers: %d files, no circle" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
