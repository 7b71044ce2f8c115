#!/usr/bin/python3
"""The pefile peer of bench_deps.sh: walks every DLL of a folder with full
import/export resolution against that folder, as `diagkit deps` does: for
each root, a breadth-first closure over import and delay-import names
(case-insensitive file lookup in the folder), each parsed file cached once,
every imported name or ordinal checked against the target's exports, and
forwarders followed one hop into their target module. Prints the number of
files walked, modules resolved and problems found."""
import os
import sys

import pefile

folder = sys.argv[1]
names = {n.lower(): n for n in os.listdir(folder)}
cache = {}
DIRS = [pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_IMPORT"],
        pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT"],
        pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_EXPORT"]]


def load(lname):
    if lname in cache:
        return cache[lname]
    info = None
    real = names.get(lname)
    if real:
        try:
            pe = pefile.PE(os.path.join(folder, real), fast_load=True)
            pe.parse_data_directories(directories=DIRS)
            imports = []
            for attr in ("DIRECTORY_ENTRY_IMPORT", "DIRECTORY_ENTRY_DELAY_IMPORT"):
                for d in getattr(pe, attr, []):
                    imports.append((d.dll.decode("latin-1").lower(),
                                    [(i.name, i.ordinal) for i in d.imports]))
            exports_by_name, exports_by_ord = {}, {}
            if hasattr(pe, "DIRECTORY_ENTRY_EXPORT"):
                for s in pe.DIRECTORY_ENTRY_EXPORT.symbols:
                    if s.name:
                        exports_by_name[s.name] = s.forwarder
                    exports_by_ord[s.ordinal] = s.forwarder
            info = (pe.FILE_HEADER.Machine, imports, exports_by_name, exports_by_ord)
        except pefile.PEFormatError:
            info = None
    cache[lname] = info
    return info


def dllname(n):
    return n if "." in n else n + ".dll"


total_modules = problems = walked = 0
for root in sorted(names):
    if not root.endswith(".dll"):
        continue
    walked += 1
    seen = {root}
    queue = [root]
    while queue:
        cur = load(queue.pop(0))
        if not cur:
            continue
        for dll, fns in cur[1]:
            dll = dllname(dll)
            target = load(dll)
            if dll not in seen:
                seen.add(dll)
                queue.append(dll)
            if not target:
                problems += 1
                continue
            for name, ordinal in fns:
                fwd = target[2].get(name, -1) if name else target[3].get(ordinal, -1)
                if fwd == -1:
                    problems += 1
                elif fwd:
                    mod, _, fn = fwd.decode("latin-1").partition(".")
                    t2 = load(dllname(mod.lower()))
                    if not t2 or (fn.encode() not in t2[2] and not fn.startswith("#")):
                        problems += 1
    total_modules += len(seen)
print(f"{walked} files, {total_modules} modules, {problems} problems")
