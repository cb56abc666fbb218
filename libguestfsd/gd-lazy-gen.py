#!/usr/bin/env python3
"""Writes the wrappers gd-lazy.c defines for one library loaded on first
use: one LAZY_FN / LAZY_VOID line per function its headers declare on this
platform (read from the preprocessed headers), so any function of it a
handler calls resolves when first called.

    gd-lazy-gen.py OUTPUT LIBRARY CC [CC-ARGS...]

LIBRARY is a key of LIBS below; gd-lazy.c defines its LazyLib lazy_LIBRARY.
"""

import re
import subprocess
import sys

# headers, pkg-config name, function-name prefix, value returned by an
# int-returning wrapper when the library cannot be loaded, and by name.
LIBS = {
    "archive": {
        "headers": ["archive.h", "archive_entry.h"], "pkg": "libarchive",
        "prefix": "archive_", "int_fail": "ARCHIVE_FATAL",
        "by_name": {"archive_error_string": "lazy_archive.error", "archive_errno": "ELIBACC"},
        "ssize_fail": "ARCHIVE_FATAL",
    },
    "augeas": {
        "headers": ["augeas.h"], "pkg": "augeas", "prefix": "aug_", "int_fail": "-1",
        "by_name": {"aug_error_message": "lazy_augeas.error",
                    "aug_error_minor_message": "lazy_augeas.error",
                    "aug_error_details": "lazy_augeas.error", "aug_error": "AUG_ENOMEM"},
    },
    "journal": {
        # sd-journal functions return -errno.
        "headers": ["systemd/sd-journal.h"], "pkg": "libsystemd", "prefix": "sd_journal_",
        "int_fail": "-ELIBACC", "by_name": {},
    },
    "yara": {
        # yara's functions return an error code, ERROR_SUCCESS (0) on success.
        "headers": ["yara.h"], "pkg": "yara", "prefix": "yr_", "int_fail": "ERROR_INTERNAL_FATAL_ERROR",
        "by_name": {},
    },
}

out_path, key, cc = sys.argv[1], sys.argv[2], sys.argv[3:]
lib = LIBS[key]
cflags = subprocess.run(["pkg-config", "--cflags", lib["pkg"]], capture_output=True,
                        text=True).stdout.split()
src = subprocess.run(cc + cflags + ["-E", "-P", "-x", "c", "-"],
                     input="".join(f"#include <{h}>\n" for h in lib["headers"]),
                     capture_output=True, text=True, check=True).stdout
# Names the headers define as macros cannot be wrapped (sd_journal_print
# expands to sd_journal_print_with_location ...): the macro is what callers
# get anyway.
macros = set(re.findall(r"^#define (\w+)", subprocess.run(
    cc + cflags + ["-E", "-dM", "-x", "c", "-"],
    input="".join(f"#include <{h}>\n" for h in lib["headers"]),
    capture_output=True, text=True, check=True).stdout, re.M))
src = re.sub(r"\s+", " ", src)
# Attributes the declarations may carry.
src = re.sub(r"__attribute__ ?\(\((?:[^()]|\([^()]*\))*\)\)", "", src)
src = re.sub(r"__extension__ ", "", src)


def split_params(params):
    out, depth, cur = [], 0, ""
    for ch in params:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return [] if out in (["void"], [""]) else out


TYPE_WORDS = {"int", "char", "long", "short", "void", "unsigned", "signed", "size_t",
              "ssize_t", "la_int64_t", "la_ssize_t", "time_t", "dev_t", "mode_t", "wchar_t",
              "const", "struct", "enum", "uint64_t", "int64_t", "uint32_t", "int32_t",
              "uint8_t", "uint16_t", "bool", "_Bool", "pid_t", "uid_t", "gid_t", "FILE"}


def named(param, name):
    """The parameter declaration with name as its name."""
    if "(*" in param:  # a function pointer: the name goes inside (*...)
        return re.sub(r"\(\*\s*[A-Za-z_0-9]*\s*\)", f"(*{name})", param, count=1)
    if param.endswith("]"):  # an array: T x[] becomes T *name
        param = re.sub(r"\s*[A-Za-z_0-9]*\s*\[[^\]]*\]$", " *", param)
        return f"{param}{name}"
    m = re.match(r"(.*?[\s*])([A-Za-z_][A-Za-z_0-9]*)$", param)
    if m and m.group(2) not in TYPE_WORDS and not m.group(2).endswith("_t") \
            and not m.group(2).isupper() and not m.group(2).startswith(("archive", "__LA")) \
            and m.group(1).strip() not in ("struct", "const struct", "enum", "const enum"):
        param = m.group(1).strip()  # drop the header's own parameter name
    return f"{param}{name}" if param.endswith("*") else f"{param} {name}"


lines, seen = [], set()
prefix = re.escape(lib["prefix"])
for decl in re.split(r"[;{}]", src):
    decl = decl.strip()
    if (decl.startswith("typedef") or "static" in decl.split("(")[0]
            or "inline" in decl.split("(")[0] or "(*" in decl.split("(")[0]):
        continue
    m = re.match(r"(?:extern )?(.*?)\b(" + prefix + r"[A-Za-z0-9_]*) ?\((.*)\)$", decl)
    if not m or "=" in decl:
        continue
    ret, name, params = m.group(1).strip(), m.group(2), split_params(m.group(3))
    if (name in seen or name in macros or "..." in params or not ret
            or ret.startswith(("return", "#"))):
        continue  # variadic: no wrapper
    seen.add(name)
    args = [f"a{i}" for i in range(len(params))]
    decls = ", ".join(named(p, a) for p, a in zip(params, args)) or "void"
    call = ", ".join(args)
    if ret == "void":
        lines.append(f"LAZY_VOID (lazy_{key}, {name}, ({decls}), ({call}))")
        continue
    if name in lib["by_name"]:
        fail = lib["by_name"][name]
    elif ret.endswith("*"):
        fail = "NULL"
    elif ret == "int":
        fail = lib["int_fail"]
    elif ret in ("la_ssize_t", "ssize_t") and "ssize_fail" in lib:
        fail = lib["ssize_fail"]
    else:
        fail = "0"
    lines.append(f"LAZY_FN (lazy_{key}, {fail}, {ret}, {name}, ({decls}), ({call}))")

with open(out_path, "w") as f:
    f.write(f"/* Generated by gd-lazy-gen.py from {', '.join(lib['headers'])}. */\n")
    f.write("\n".join(lines) + "\n")
print(f"{len(lines)} {key} wrappers", file=sys.stderr)
