#!/usr/bin/env python3
# gdgen: turn proto/guestfsd.api and proto/structs.api into the generated
# parts of libguestfsd (XDR description, dispatch table, argument-checking
# stubs, handler prototypes, procedure list for the man page).
#
# Usage: gdgen.py API STRUCTS OUTDIR
# Writes: OUTDIR/gd_protocol.x, OUTDIR/gd-actions.h, OUTDIR/gd-dispatch.c,
#         OUTDIR/guestfsd-procedures.7
#
# Files are rewritten only when their content changes, so ninja does not
# rebuild what did not change.

import os
import re
import sys
from dataclasses import dataclass, field

ARG_TYPES = {
    "String", "Device", "Mountable", "Pathname", "Dev_or_Path",
    "Mountable_or_Path", "Key", "GUID", "OptString", "StringList",
    "DeviceList", "FilenameList", "Bool", "Int", "Int64", "BufferIn",
    "FileIn", "FileOut",
}
OPTARG_TYPES = {"OBool", "OInt", "OInt64", "OString", "OStringList"}
RET_TYPES = {
    "RErr", "RInt", "RInt64", "RBool", "RBufferOut", "RString",
    "RStringList", "RHashtable", "RStruct", "RStructList",
}
STRING_KINDS = {"plain", "device", "mountable"}
FIELD_TYPES = {
    "FString": "string {}<>",
    "FBuffer": "opaque {}<>",
    "FUUID": "opaque {}[32]",
    "FChar": "char {}",
    "FInt32": "int {}",
    "FUInt32": "unsigned int {}",
    "FInt64": "hyper {}",
    "FUInt64": "unsigned hyper {}",
    "FBytes": "hyper {}",
    "FOptPercent": "float {}",
}
# Retired group names that clients may still ask about; always available.
RETIRED_GROUPS = ["augeas", "realpath"]


class SpecError(Exception):
    pass


@dataclass
class Arg:
    type: str
    name: str


@dataclass
class Proc:
    name: str
    nr: int
    args: list
    optargs: list
    ret: str
    ret_params: list
    flags: dict
    doc: str
    line: int

    @property
    def filein(self):
        return any(a.type == "FileIn" for a in self.args)

    @property
    def fileout(self):
        return any(a.type == "FileOut" for a in self.args)

    @property
    def wire_args(self):
        return [a for a in self.args if a.type not in ("FileIn", "FileOut")]

    @property
    def has_args_struct(self):
        return bool(self.wire_args or self.optargs)

    @property
    def group(self):
        return self.flags.get("group")


@dataclass
class Struct:
    name: str
    fields: list = field(default_factory=list)


PROC_RE = re.compile(
    r"^(?P<name>[a-z][A-Za-z0-9_]*)\s+(?P<nr>\d+)\s+\((?P<sig>[^)]*)\)\s*->\s*"
    r"(?P<ret>R[A-Za-z0-9]+)(?:\((?P<rp>[^)]*)\))?\s*(?:\[(?P<flags>[^\]]*)\])?\s*$"
)


def parse_arglist(text, allowed, where):
    out = []
    text = text.strip()
    if not text:
        return out
    for item in text.split(","):
        parts = item.split()
        if len(parts) != 2 or parts[0] not in allowed:
            raise SpecError(f"{where}: bad argument '{item.strip()}'")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", parts[1]):
            raise SpecError(f"{where}: bad argument name '{parts[1]}'")
        out.append(Arg(parts[0], parts[1]))
    return out


def parse_api(path):
    procs = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        lineno = i + 1
        i += 1
        if not line.strip() or line.startswith("#"):
            continue
        m = PROC_RE.match(line)
        if not m:
            raise SpecError(f"{path}:{lineno}: cannot parse '{line}'")
        where = f"{path}:{lineno}"
        sig = m.group("sig")
        if ";" in sig:
            a, o = sig.split(";", 1)
        else:
            a, o = sig, ""
        args = parse_arglist(a, ARG_TYPES, where)
        optargs = parse_arglist(o, OPTARG_TYPES, where)
        ret = m.group("ret")
        if ret not in RET_TYPES:
            raise SpecError(f"{where}: unknown return type {ret}")
        rp = [p.strip() for p in (m.group("rp") or "").split(",") if p.strip()]
        flags = {}
        for fl in (m.group("flags") or "").split():
            k, _, v = fl.partition("=")
            flags[k] = v or True
        doc = ""
        if i < len(lines) and lines[i].startswith("    \""):
            doc = lines[i].strip().strip('"')
            i += 1
        procs.append(Proc(m.group("name"), int(m.group("nr")), args, optargs,
                          ret, rp, flags, doc, lineno))
    return procs


def parse_structs(path):
    structs = []
    cur = None
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            if line.startswith("struct "):
                cur = Struct(line.split()[1])
                structs.append(cur)
                continue
            parts = line.split()
            if cur is None or len(parts) != 2 or parts[0] not in FIELD_TYPES:
                raise SpecError(f"{path}:{lineno}: bad field line")
            cur.fields.append(Arg(parts[0], parts[1]))
    return structs


def check(procs, structs):
    snames = {s.name for s in structs}
    seen_nr, seen_name = {}, set()
    for p in procs:
        where = f"line {p.line} ({p.name})"
        if p.nr in seen_nr:
            raise SpecError(f"{where}: proc number {p.nr} also used by {seen_nr[p.nr]}")
        if p.name in seen_name:
            raise SpecError(f"{where}: duplicate name")
        seen_nr[p.nr] = p.name
        seen_name.add(p.name)
        if p.ret in ("RString", "RStringList"):
            if len(p.ret_params) != 1 or p.ret_params[0] not in STRING_KINDS:
                raise SpecError(f"{where}: {p.ret} needs one string kind")
        elif p.ret == "RHashtable":
            if len(p.ret_params) != 2 or not set(p.ret_params) <= STRING_KINDS:
                raise SpecError(f"{where}: RHashtable needs key and value kinds")
        elif p.ret in ("RStruct", "RStructList"):
            if len(p.ret_params) != 1 or p.ret_params[0] not in snames:
                raise SpecError(f"{where}: unknown struct {p.ret_params}")
        elif p.ret_params:
            raise SpecError(f"{where}: {p.ret} takes no parameter")
        if p.filein and p.fileout:
            raise SpecError(f"{where}: both FileIn and FileOut")
        if sum(a.type == "FileIn" for a in p.args) > 1:
            raise SpecError(f"{where}: more than one FileIn")
        if len(p.optargs) > 63:
            raise SpecError(f"{where}: too many optargs")
        names = [a.name for a in p.args + p.optargs]
        if len(names) != len(set(names)):
            raise SpecError(f"{where}: duplicate argument names")
        for k in p.flags:
            if k not in ("group", "progress", "cancellable", "deprecated",
                         "internal", "since", "gone", "ungated", "ro"):
                raise SpecError(f"{where}: unknown flag {k}")


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


BANNER = ("generated by proto/gdgen.py from proto/guestfsd.api and "
          "proto/structs.api; do not edit")


# --------------------------------------------------------------------------
# XDR description


# Request arguments are bounded by the message size: tirpc allocates a
# string, opaque or array of the length read from the wire before reading
# its bytes, and an unbounded <> let a 40-byte request ask for 4 GiB.
XDR_ARG = {
    "String": "string {}<GD_MESSAGE_MAX>", "Device": "string {}<GD_MESSAGE_MAX>",
    "Mountable": "string {}<GD_MESSAGE_MAX>", "Pathname": "string {}<GD_MESSAGE_MAX>",
    "Dev_or_Path": "string {}<GD_MESSAGE_MAX>", "Mountable_or_Path": "string {}<GD_MESSAGE_MAX>",
    "Key": "string {}<GD_MESSAGE_MAX>", "GUID": "string {}<GD_MESSAGE_MAX>",
    "OptString": "gd_str *{}", "StringList": "gd_str {}<GD_MESSAGE_MAX>",
    "DeviceList": "gd_str {}<GD_MESSAGE_MAX>", "FilenameList": "gd_str {}<GD_MESSAGE_MAX>",
    "Bool": "bool {}", "Int": "int {}", "Int64": "hyper {}",
    "BufferIn": "opaque {}<GD_MESSAGE_MAX>",
    "OBool": "bool {}", "OInt": "int {}", "OInt64": "hyper {}",
    "OString": "string {}<GD_MESSAGE_MAX>", "OStringList": "gd_str {}<GD_MESSAGE_MAX>",
}


def xdr_ret_field(p):
    n = "ret"
    return {
        "RInt": f"int {n}", "RInt64": f"hyper {n}", "RBool": f"bool {n}",
        "RString": f"string {n}<>", "RStringList": f"gd_str {n}<>",
        "RHashtable": f"gd_str {n}<>", "RBufferOut": f"opaque {n}<>",
        "RStruct": f"gd_{p.ret_params[0] if p.ret_params else ''} {n}",
        "RStructList": f"gd_{p.ret_params[0] if p.ret_params else ''}_list {n}",
    }[p.ret]


def gen_xdr(procs, structs):
    o = [f"/* {BANNER} */", ""]
    o += [
        "const GD_PROGRAM = 0x2000F5F5;",
        "const GD_PROTOCOL_VERSION = 4;",
        "const GD_LAUNCH_FLAG = 0xf5f55ff5;",
        "const GD_CANCEL_FLAG = 0xffffeeee;",
        "const GD_PROGRESS_FLAG = 0xffff5555;",
        "const GD_MESSAGE_MAX = 4194304;",
        "const GD_ERROR_LEN = 65536;",
        "const GD_MAX_CHUNK_SIZE = 8192;",
        f"const GD_MAX_PROC_NR = {max(p.nr for p in procs)};",
        "",
        "typedef string gd_str<GD_MESSAGE_MAX>;",
        "",
    ]
    for s in structs:
        o.append(f"struct gd_{s.name} {{")
        for f_ in s.fields:
            o.append("  " + FIELD_TYPES[f_.type].format(f_.name) + ";")
        o.append("};")
        o.append(f"typedef gd_{s.name} gd_{s.name}_list<>;")
        o.append("")
    for p in procs:
        if p.has_args_struct:
            o.append(f"struct gd_{p.name}_args {{")
            for a in p.wire_args + p.optargs:
                o.append("  " + XDR_ARG[a.type].format(a.name) + ";")
            o.append("};")
        if p.ret != "RErr":
            o.append(f"struct gd_{p.name}_ret {{")
            o.append("  " + xdr_ret_field(p) + ";")
            o.append("};")
    o += [
        "",
        "enum gd_direction { GD_DIRECTION_CALL = 0, GD_DIRECTION_REPLY = 1 };",
        "enum gd_status { GD_STATUS_OK = 0, GD_STATUS_ERROR = 1 };",
        "",
        "struct gd_message_header {",
        "  unsigned int prog;",
        "  unsigned int vers;",
        "  int proc;",
        "  gd_direction direction;",
        "  unsigned int serial;",
        "  unsigned hyper progress_hint;",
        "  unsigned hyper optargs_bitmask;",
        "  gd_status status;",
        "};",
        "",
        "struct gd_message_error {",
        "  string errno_string<32>;",
        "  string error_message<GD_ERROR_LEN>;",
        "};",
        "",
        "struct gd_chunk {",
        "  int cancel;",
        "  opaque data<GD_MAX_CHUNK_SIZE>;",
        "};",
        "",
        "struct gd_progress_record {",
        "  int proc;",
        "  unsigned int serial;",
        "  unsigned hyper position;",
        "  unsigned hyper total;",
        "};",
    ]
    return "\n".join(o) + "\n"


# --------------------------------------------------------------------------
# Handler prototypes


def c_arg_params(a):
    """C parameters that the handler receives for argument a."""
    t, n = a.type, a.name
    if t in ("String", "Pathname", "Key", "GUID", "OptString", "OString"):
        return [f"const char *{n}"]
    if t == "Device":
        return [f"const GdDevice *{n}"]
    if t in ("Mountable", "Mountable_or_Path"):
        return [f"const GdMountable *{n}"]
    if t == "Dev_or_Path":
        return [f"const GdDevOrPath *{n}"]
    if t in ("StringList", "FilenameList", "OStringList"):
        return [f"char *const *{n}"]
    if t == "DeviceList":
        return [f"GdDevice *const *{n}"]
    if t in ("Bool", "OBool"):
        return [f"gboolean {n}"]
    if t in ("Int", "OInt"):
        return [f"int {n}"]
    if t in ("Int64", "OInt64"):
        return [f"int64_t {n}"]
    if t == "BufferIn":
        return [f"const char *{n}", f"size_t {n}_size"]
    raise AssertionError(t)


def c_ret_params(p):
    if p.ret == "RErr":
        return []
    if p.ret == "RInt":
        return ["int *ret"]
    if p.ret == "RInt64":
        return ["int64_t *ret"]
    if p.ret == "RBool":
        return ["gboolean *ret"]
    if p.ret == "RString":
        return ["char **ret"]
    if p.ret in ("RStringList", "RHashtable"):
        return ["char ***ret"]
    if p.ret == "RBufferOut":
        return ["char **ret", "size_t *ret_size"]
    if p.ret == "RStruct":
        return [f"gd_{p.ret_params[0]} *ret"]
    if p.ret == "RStructList":
        return [f"gd_{p.ret_params[0]}_list *ret"]
    raise AssertionError(p.ret)


def handler_params(p):
    params = ["GdRequest *req"]
    for a in p.wire_args + p.optargs:
        params += c_arg_params(a)
    params += c_ret_params(p)
    params.append("GError **error")
    return params


def gen_actions_h(procs):
    o = [f"/* {BANNER} */", "", "#pragma once", "",
         "#include <stdint.h>", "#include <glib.h>",
         '#include "gd_protocol.h"', '#include "gd-types.h"', "",
         "G_BEGIN_DECLS", ""]
    o.append("/* Procedure numbers. */")
    for p in procs:
        o.append(f"#define GD_PROC_{p.name.upper()} {p.nr}")
    o.append("")
    o.append("/* Optional-argument bits, one per optarg. */")
    for p in procs:
        for i, a in enumerate(p.optargs):
            o.append(f"#define GD_{p.name.upper()}_{a.name.upper()}_BITMASK "
                     f"(UINT64_C(1) << {i})")
    o.append("")
    o.append("/* Handlers: the stubs call them with validated arguments.  Each")
    o.append(" * returns TRUE on success, or FALSE with *error set exactly once. */")
    for p in procs:
        o.append(f"gboolean gd_do_{p.name} ({', '.join(handler_params(p))});")
    o += ["", "G_END_DECLS", ""]
    return "\n".join(o)


# --------------------------------------------------------------------------
# Dispatch: stubs and the procedure table


def stub_body(p):
    """C statements validating arguments and calling the handler."""
    pre, call, post = [], [], []
    args_v = f"gd_{p.name}_args *args = args_v;" if p.has_args_struct else None
    if args_v:
        pre.append(f"  {args_v}")
    if p.ret != "RErr":
        pre.append(f"  gd_{p.name}_ret *r = ret_v;")
    else:
        pre.append("  (void) ret_v;")
    if not p.has_args_struct:
        pre.append("  (void) args_v;")
    needs_root = False
    for a in p.wire_args + p.optargs:
        t, n = a.type, a.name
        src = f"args->{n}"
        if t in ("String", "Key", "GUID", "OString"):
            call.append(src)
        elif t == "Pathname":
            pre.append(f"  if (!gd_check_pathname (req, \"{n}\", {src}, error))")
            pre.append("    return FALSE;")
            needs_root = True
            call.append(src)
        elif t == "OptString":
            call.append(f"{src} ? *{src} : NULL")
        elif t == "Device":
            pre.append(f"  g_autoptr (GdDevice) {n} = gd_resolve_device (req, {src}, error);")
            pre.append(f"  if ({n} == NULL)")
            pre.append("    return FALSE;")
            call.append(n)
        elif t in ("Mountable", "Mountable_or_Path"):
            allow = "TRUE" if t == "Mountable_or_Path" else "FALSE"
            pre.append(f"  g_autoptr (GdMountable) {n} = gd_resolve_mountable (req, {src}, {allow}, error);")
            pre.append(f"  if ({n} == NULL)")
            pre.append("    return FALSE;")
            call.append(n)
        elif t == "Dev_or_Path":
            pre.append(f"  g_autoptr (GdDevOrPath) {n} = gd_resolve_dev_or_path (req, {src}, error);")
            pre.append(f"  if ({n} == NULL)")
            pre.append("    return FALSE;")
            call.append(n)
        elif t in ("StringList", "OStringList"):
            pre.append(f"  g_autofree char **{n} = gd_strv_borrow ({src}.{n}_len, {src}.{n}_val);")
            call.append(n)
        elif t == "FilenameList":
            pre.append(f"  g_autofree char **{n} = gd_strv_borrow ({src}.{n}_len, {src}.{n}_val);")
            pre.append(f"  if (!gd_check_filenames (req, \"{n}\", {n}, error))")
            pre.append("    return FALSE;")
            call.append(n)
        elif t == "DeviceList":
            pre.append(f"  g_autoptr (GPtrArray) {n} = gd_resolve_device_list (req, {src}.{n}_len, {src}.{n}_val, error);")
            pre.append(f"  if ({n} == NULL)")
            pre.append("    return FALSE;")
            call.append(f"(GdDevice *const *) {n}->pdata")
        elif t in ("Bool", "OBool", "Int", "OInt", "Int64", "OInt64"):
            call.append(src)
        elif t == "BufferIn":
            call.append(f"{src}.{n}_val")
            call.append(f"{src}.{n}_len")
        else:
            raise AssertionError(t)
    if needs_root:
        pre.append("  if (!gd_check_root_mounted (req, error))")
        pre.append("    return FALSE;")
    if p.ret in ("RInt", "RInt64", "RBool", "RString", "RStruct", "RStructList"):
        if p.ret == "RBool":
            pre.append("  gboolean b = FALSE;")
            call.append("&b")
            post.append("  r->ret = b;")
        else:
            call.append("&r->ret")
        if p.ret == "RString" and p.ret_params[0] != "plain":
            post.append("  gd_result_map_device (req, &r->ret);")
    elif p.ret in ("RStringList", "RHashtable"):
        pre.append("  char **list = NULL;")
        call.append("&list")
        if p.ret == "RStringList":
            kinds = "GD_MAP_ALL" if p.ret_params[0] != "plain" else "GD_MAP_NONE"
        else:
            k, v = (x != "plain" for x in p.ret_params)
            kinds = ("GD_MAP_ALL" if k and v else "GD_MAP_KEYS" if k
                     else "GD_MAP_VALUES" if v else "GD_MAP_NONE")
        hashtable = "TRUE" if p.ret == "RHashtable" else "FALSE"
        post.append(f"  if (!gd_result_take_strv (req, list, {hashtable}, {kinds}, &r->ret.ret_len, &r->ret.ret_val, error))")
        post.append("    return FALSE;")
    elif p.ret == "RBufferOut":
        pre.append("  size_t size = 0;")
        call.append("&r->ret.ret_val")
        call.append("&size")
        post.append("  r->ret.ret_len = size;")
    call_s = ", ".join(["req"] + call + ["error"])
    body = pre
    body.append(f"  if (!gd_do_{p.name} ({call_s}))")
    body.append("    return FALSE;")
    body += post
    body.append("  return TRUE;")
    return body


def gen_dispatch_c(procs, groups):
    o = [f"/* {BANNER} */", "", "#include \"config.h\"", "",
         "#include \"gd-private.h\"", "#include \"gd-actions.h\"", ""]
    o.append("/* A handler that is not written yet resolves to NULL: the")
    o.append(" * dispatcher answers ENOTSUP for it. */")
    for p in procs:
        o.append(f"#pragma weak gd_do_{p.name}")
    o.append("")
    for p in procs:
        o.append("static gboolean")
        o.append(f"gd_stub_{p.name} (GdRequest *req, void *args_v, void *ret_v, GError **error)")
        o.append("{")
        o += stub_body(p)
        o.append("}")
        o.append("")
    o.append("static const GdProcedure procedures[] = {")
    for p in procs:
        flags = []
        if p.filein:
            flags.append("GD_PROC_FLAG_FILEIN")
        if p.fileout:
            flags.append("GD_PROC_FLAG_FILEOUT")
        if p.flags.get("progress"):
            flags.append("GD_PROC_FLAG_PROGRESS")
        if p.flags.get("cancellable"):
            flags.append("GD_PROC_FLAG_CANCELLABLE")
        if p.flags.get("deprecated"):
            flags.append("GD_PROC_FLAG_DEPRECATED")
        if p.flags.get("internal"):
            flags.append("GD_PROC_FLAG_INTERNAL")
        if any(a.type == "Key" for a in p.args):
            flags.append("GD_PROC_FLAG_SECRET_ARGS")
        if any(a.type == "Pathname" for a in p.args):
            flags.append("GD_PROC_FLAG_NEEDS_ROOT")
        if p.flags.get("ungated"):
            flags.append("GD_PROC_FLAG_UNGATED")
        if p.flags.get("ro"):
            flags.append("GD_PROC_FLAG_READ_ONLY")
        flags_s = " | ".join(flags) if flags else "0"
        group = f"GD_GROUP_{p.group.upper()}" if p.group else "GD_GROUP_NONE"
        if p.has_args_struct:
            args_x = f"(xdrproc_t) xdr_gd_{p.name}_args, sizeof (gd_{p.name}_args)"
        else:
            args_x = "NULL, 0"
        if p.ret != "RErr":
            ret_x = f"(xdrproc_t) xdr_gd_{p.name}_ret, sizeof (gd_{p.name}_ret)"
        else:
            ret_x = "NULL, 0"
        o.append(f"  {{ {p.nr}, \"{p.name}\", {len(p.optargs)}, {group}, {flags_s},")
        o.append(f"    {args_x}, {ret_x},")
        o.append(f"    gd_stub_{p.name}, (void (*) (void)) gd_do_{p.name} }},")
    o.append("};")
    o.append("")
    maxnr = max(p.nr for p in procs)
    o.append(f"static const GdProcedure *by_number[{maxnr + 1}];")
    o.append("")
    o.append("static gpointer")
    o.append("build_index (gpointer unused)")
    o.append("{")
    o.append("  (void) unused;")
    o.append("  for (size_t i = 0; i < G_N_ELEMENTS (procedures); i++)")
    o.append("    by_number[procedures[i].nr] = &procedures[i];")
    o.append("  return NULL;")
    o.append("}")
    o.append("")
    o.append("const GdProcedure *")
    o.append("gd_procedure_lookup (guint32 nr)")
    o.append("{")
    o.append("  static GOnce once = G_ONCE_INIT;")
    o.append("  g_once (&once, build_index, NULL);")
    o.append("  return nr < G_N_ELEMENTS (by_number) ? by_number[nr] : NULL;")
    o.append("}")
    o.append("")
    o.append("const GdProcedure *")
    o.append("gd_procedure_nth (size_t i)")
    o.append("{")
    o.append("  return i < G_N_ELEMENTS (procedures) ? &procedures[i] : NULL;")
    o.append("}")
    o.append("")
    o.append("const char *const gd_group_names[GD_GROUP__COUNT] = {")
    o.append("  [GD_GROUP_NONE] = NULL,")
    for g in groups:
        o.append(f"  [GD_GROUP_{g.upper()}] = \"{g}\",")
    o.append("};")
    o.append("")
    return "\n".join(o)


def gen_groups_h(groups):
    o = [f"/* {BANNER} */", "", "#pragma once", "", "typedef enum {",
         "  GD_GROUP_NONE = 0,"]
    for g in groups:
        o.append(f"  GD_GROUP_{g.upper()},")
    o += ["  GD_GROUP__COUNT", "} GdGroup;", "",
          "extern const char *const gd_group_names[GD_GROUP__COUNT];", ""]
    return "\n".join(o)


# --------------------------------------------------------------------------
# Man page listing every procedure


def roff_escape(s):
    s = s.replace("\\", "\\e").replace("-", "\\-")
    if s.startswith(".") or s.startswith("'"):
        s = "\\&" + s
    return s


def gen_man(procs):
    o = [f'.\\" {BANNER}',
         '.TH GUESTFSD-PROCEDURES 7 "" "libguestfsd" "libguestfsd"',
         ".SH NAME", "guestfsd-procedures \\- the procedures guestfsd serves",
         ".SH DESCRIPTION",
         "Every procedure of the libguestfs daemon protocol (version 4) that",
         ".BR guestfsd (8)",
         "dispatches, with its procedure number, its arguments (optional",
         "arguments after the semicolon) and its return type.",
         "Whether a procedure has a handler in this build is printed by",
         ".BR \"guestfsd \\-\\-list\\-procedures\" .",
         ".SH PROCEDURES"]
    for p in procs:
        args = ", ".join(f"{a.type} {a.name}" for a in p.args)
        if p.optargs:
            args += "; " + ", ".join(f"{a.type} {a.name}" for a in p.optargs)
        ret = p.ret + (f"({','.join(p.ret_params)})" if p.ret_params else "")
        o.append(".TP")
        o.append(f".B {p.name}")
        o.append(roff_escape(f"({p.nr}) ({args}) -> {ret}"))
        notes = []
        if p.group:
            notes.append(f"optional group {p.group}")
        for k in ("progress", "cancellable", "deprecated", "internal"):
            if p.flags.get(k):
                notes.append(k)
        if p.flags.get("since"):
            notes.append(f"since libguestfs {p.flags['since']}")
        if p.flags.get("ro"):
            notes.append("read-only")
        text = p.doc + (" [" + ", ".join(notes) + "]" if notes else "")
        o.append(".br")
        o.append(roff_escape(text))
    o += [".SH SEE ALSO", ".BR guestfsd (8),", ".BR libguestfsd (3),",
          ".BR guestfs (3)", ""]
    return "\n".join(o)


def main(argv):
    if len(argv) != 4:
        print("usage: gdgen.py API STRUCTS OUTDIR", file=sys.stderr)
        return 2
    api, structs_path, outdir = argv[1:]
    try:
        procs = parse_api(api)
        structs = parse_structs(structs_path)
        check(procs, structs)
    except SpecError as e:
        print(f"gdgen: {e}", file=sys.stderr)
        return 1
    procs.sort(key=lambda p: p.nr)
    groups = sorted({p.group for p in procs if p.group} | set(RETIRED_GROUPS))
    os.makedirs(outdir, exist_ok=True)
    write_if_changed(os.path.join(outdir, "gd_protocol.x"), gen_xdr(procs, structs))
    write_if_changed(os.path.join(outdir, "gd-actions.h"), gen_actions_h(procs))
    write_if_changed(os.path.join(outdir, "gd-groups.h"), gen_groups_h(groups))
    write_if_changed(os.path.join(outdir, "gd-dispatch.c"), gen_dispatch_c(procs, groups))
    write_if_changed(os.path.join(outdir, "guestfsd-procedures.7"), gen_man(procs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
