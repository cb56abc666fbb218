#!/usr/bin/python3
"""debian/control's Build-Depends against tools/install-deps.sh: every
build dependency of the packages must be installed by install-deps.sh
(CI and a developer's machine build the packages with what it installs),
and every package of its BUILD list must be a build dependency."""

import re
import sys

src = sys.argv[1]
with open(f"{src}/debian/control", encoding="utf-8") as f:
    control = f.read()
m = re.search(r"^Build-Depends:(.*?)^(?=\S)", control, re.M | re.S)
build_depends = set()
for item in m.group(1).replace("\n", " ").split(","):
    name = item.strip().split(" ")[0].split(":")[0]
    if name:
        build_depends.add(name)
# Provided by packages of the list, or by debhelper itself.
virtual = {"debhelper-compat": "debhelper", "dh-sequence-gir": "gobject-introspection"}

with open(f"{src}/tools/install-deps.sh", encoding="utf-8") as f:
    script = f.read()
lists = dict(re.findall(r'^([A-Z]+)="([^"]*)"', script, re.M))
installed = set(" ".join(lists.values()).split())

failed = 0
for name in sorted(build_depends):
    need = virtual.get(name, name)
    ok = need in installed
    print(f"{'PASS' if ok else 'FAIL'}: Build-Depends {name} installed by install-deps.sh"
          + ("" if ok else f" (add {need})"))
    failed += not ok
for name in sorted(lists.get("BUILD", "").split()):
    ok = name in build_depends
    print(f"{'PASS' if ok else 'FAIL'}: install-deps.sh BUILD {name} in debian/control Build-Depends")
    failed += not ok
total = len(build_depends) + len(lists.get("BUILD", "").split())
print(f"{total - failed} passed, {failed} failed, 0 skipped")
sys.exit(1 if failed else 0)
