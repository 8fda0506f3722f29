#!/usr/bin/env python3
"""check_layout.py - the source tree's shape, checked: no file in src/ over 900 lines; SDL's
headers included only under src/platform; no include loop between files; no two source files
calling each other in a loop (from the symbols of the built objects: nm's defined and undefined
names). Usage: check_layout.py SRC_DIR BUILD_DIR. Exits 1 and names every breach."""
import os, re, subprocess, sys

src, build = sys.argv[1], sys.argv[2]
bad = []
files = []
for root, _, names in os.walk(os.path.join(src, "src")):
    for n in names:
        if n.endswith((".c", ".h")):
            files.append(os.path.join(root, n))
rel = lambda p: os.path.relpath(p, src)

# sizes and SDL
for p in files:
    text = open(p, encoding="utf-8", errors="replace").read()
    lines = text.count("\n")
    if lines > 900:
        bad.append(f"{rel(p)}: {lines} lines (at most 900)")
    if not rel(p).startswith("src/platform/") and re.search(r'#\s*include\s*[<"]SDL', text):
        bad.append(f"{rel(p)}: includes an SDL header outside src/platform")

# include graph: file -> the project file each quoted include names (same folder first, then by name)
by_name = {}
for p in files:
    by_name.setdefault(os.path.basename(p), []).append(p)
def resolve(frm, name):
    here = os.path.normpath(os.path.join(os.path.dirname(frm), name))
    if os.path.exists(here):
        return here
    cands = by_name.get(os.path.basename(name), [])
    return cands[0] if len(cands) == 1 else None
inc = {p: set() for p in files}
for p in files:
    for m in re.finditer(r'#\s*include\s*"([^"]+)"', open(p, encoding="utf-8", errors="replace").read()):
        q = resolve(p, m.group(1))
        if q and q != p:
            inc[p].add(q)

def cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]
    def visit(v):
        index[v] = low[v] = n[0]; n[0] += 1
        stack.append(v); on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: out.append(sorted(comp))
    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index: visit(v)
    return out
for comp in cycles(inc):
    bad.append("include loop: " + " -> ".join(rel(p) for p in comp))

# call graph from the objects the build made of src/
objs = []
for root, _, names in os.walk(build):
    for n in names:
        if n.endswith(".c.o") and "/src/" in os.path.join(root, n).replace(os.sep, "/") and "CMakeFiles/digitrec" in root:
            objs.append(os.path.join(root, n))
if not objs:
    bad.append(f"no object files of src/ under {build}: build first")
defined, undef = {}, {}
for o in objs:
    key = re.sub(r"^.*?/src/", "src/", o.replace(os.sep, "/"))[:-2]  # src/app/app.c
    if not os.path.exists(os.path.join(src, key)):
        continue  # an object left behind by a file that is gone
    out = subprocess.run(["nm", "--defined-only", "-g", o], capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3: defined.setdefault(parts[2], set()).add(key)
    out = subprocess.run(["nm", "-u", o], capture_output=True, text=True).stdout
    undef[key] = {l.split()[-1] for l in out.splitlines() if l.strip()}
calls = {k: set() for k in undef}
for k, syms in undef.items():
    for s in syms:
        for d in defined.get(s, ()):
            if d != k: calls[k].add(d)
for comp in cycles(calls):
    bad.append("call loop: " + " <-> ".join(comp))

for b in bad:
    print("check_layout:", b)
print(f"check_layout: {len(files)} files, {len(objs)} objects, {len(bad)} problems")
sys.exit(1 if bad else 0)
