#!/usr/bin/python3
"""ABI check for libguestfsd.so: exactly the symbols of the version map are
exported, every function the GIR describes is in the map, and every
symbol of the map is declared in a public header.  Prints TAP.

    check-abi.py LIBRARY MAP HEADER-DIR [GIR]
"""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

GIR_NS = {"core": "http://www.gtk.org/introspection/core/1.0",
          "c": "http://www.gtk.org/introspection/c/1.0",
          "glib": "http://www.gtk.org/introspection/glib/1.0"}


def map_symbols(path):
    """The global symbols of a version script, by version node."""
    text = open(path).read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"#.*", "", text)
    symbols = set()
    for node in re.finditer(r"(\w+)\s*\{(.*?)\}\s*(\w*)\s*;", text, re.S):
        body = node.group(2)
        m = re.search(r"global:(.*?)(local:|$)", body, re.S)
        if not m:
            continue
        for sym in m.group(1).split(";"):
            sym = sym.strip()
            if sym:
                symbols.add(sym)
    return symbols


def exported_symbols(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    syms = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        kind, name = parts[1], parts[2]
        if kind == "A":  # version node names (LIBGUESTFSD_0.1)
            continue
        syms.add(name.split("@")[0])
    return syms


def gir_functions(gir):
    root = ET.parse(gir).getroot()
    names = set()
    for tag in ("function", "method", "constructor"):
        for el in root.iter(f"{{{GIR_NS['core']}}}{tag}"):
            ident = el.get(f"{{{GIR_NS['c']}}}identifier")
            if ident:
                names.add(ident)
    for el in root.iter():
        get_type = el.get(f"{{{GIR_NS['glib']}}}get-type")
        if get_type and get_type != "intern":
            names.add(get_type)
    return names


def header_text(headers_dir):
    text = ""
    for name in sorted(os.listdir(headers_dir)):
        if name.endswith((".h", ".h.in")):
            text += open(os.path.join(headers_dir, name)).read()
    return text


def main():
    lib, mapfile, headers_dir = sys.argv[1:4]
    gir = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
    checks = []

    wanted = map_symbols(mapfile)
    exported = exported_symbols(lib)

    def check_exports():
        missing = sorted(wanted - exported)
        extra = sorted(exported - wanted)
        msg = []
        if missing:
            msg.append("in the map but not exported: " + ", ".join(missing))
        if extra:
            msg.append("exported but not in the map: " + ", ".join(extra))
        return msg

    def check_prefix():
        return [f"{s}: not in the guestfsd_ namespace" for s in sorted(exported)
                if not s.startswith("guestfsd_")]

    def check_headers():
        text = header_text(headers_dir)
        # G_DECLARE_FINAL_TYPE declares the get_type function itself.
        declared = set(re.findall(r"\b(guestfsd_\w+)\s*\(", text))
        for m in re.finditer(r"G_DECLARE_\w+\s*\(\s*\w+\s*,\s*(\w+)", text):
            declared.add(m.group(1) + "_get_type")
        return [f"{s}: in the map but in no public header" for s in sorted(wanted - declared)]

    def check_gir():
        funcs = gir_functions(gir)
        return [f"{s}: in the GIR but not in the map" for s in sorted(funcs - wanted)]

    checks.append(("exported symbols equal the version map", check_exports))
    checks.append(("exported symbols carry the guestfsd_ prefix", check_prefix))
    checks.append(("every map symbol is declared in a public header", check_headers))
    if gir:
        checks.append(("every GIR function is in the version map", check_gir))

    print(f"1..{len(checks)}")
    failed = 0
    for i, (name, fn) in enumerate(checks, 1):
        problems = fn()
        if problems:
            failed += 1
            print(f"not ok {i} - {name}")
            for p in problems:
                print(f"# {p}")
        else:
            print(f"ok {i} - {name}")
    if not gir:
        print("# no GIR (introspection disabled): GIR check not run")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
