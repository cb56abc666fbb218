#!/usr/bin/env python3
"""Write the 26 architecture samples of the test ISO into a directory.

libguestfs builds these from C on each architecture; the only test that
reads them is file_architecture, which asks file(1) what they are.  So a
header is enough: an ELF header with the right class, byte order, type,
machine and flags, or a DOS stub followed by a PE/COFF header and an
optional header.  They are not runnable programs.

    make-fake-binaries.py OUTDIR
"""

import os
import struct
import sys

# name -> (ELF class bits, big endian?, e_machine, e_flags)
ELF_ARCHES = {
    "aarch64": (64, False, 183, 0),
    "armv7": (32, False, 40, 0x05000400),  # EABI version 5, hard float
    "i586": (32, False, 3, 0),
    "ia64": (64, False, 50, 0),
    "mipsel": (32, False, 8, 0x10000000),  # MIPS-II
    "ppc64": (64, True, 21, 1),  # ELF ABI v1
    "ppc64le": (64, False, 21, 2),  # ELF ABI v2
    "riscv64": (64, False, 243, 0),  # soft-float ABI
    "s390x": (64, True, 22, 0),
    "sparc": (32, True, 18, 0x100),  # SPARC32PLUS, V8+ required, TSO
    "x86_64": (64, False, 62, 0),
}

ET_EXEC = 2
ET_DYN = 3


def elf_header(bits, big, machine, flags, etype):
    end = ">" if big else "<"
    ident = b"\x7fELF" + bytes([1 if bits == 32 else 2, 2 if big else 1, 1, 0])
    ident += b"\0" * (16 - len(ident))
    if bits == 32:
        # type machine version entry phoff shoff flags ehsize phentsize
        # phnum shentsize shnum shstrndx
        rest = struct.pack(end + "HHIIIIIHHHHHH", etype, machine, 1, 0x10000, 0, 0,
                           flags, 52, 32, 0, 40, 0, 0)
    else:
        rest = struct.pack(end + "HHIQQQIHHHHHH", etype, machine, 1, 0x10000, 0, 0,
                           flags, 64, 56, 0, 64, 0, 0)
    return ident + rest


def pe_image(is64, dll):
    lfanew = 64
    dos = bytearray(lfanew)
    dos[0:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, lfanew)
    machine = 0x8664 if is64 else 0x14C
    opt_size = 240 if is64 else 224
    chars = 0x0002  # executable image
    chars |= 0x0020 if is64 else 0x0100  # large-address aware / 32-bit machine
    if dll:
        chars |= 0x2000
    coff = b"PE\0\0" + struct.pack("<HHIIIHH", machine, 0, 0, 0, 0, opt_size, chars)
    opt = bytearray(opt_size)
    struct.pack_into("<H", opt, 0, 0x20B if is64 else 0x10B)
    struct.pack_into("<BB", opt, 2, 2, 30)  # linker version
    struct.pack_into("<HH", opt, 40, 4, 0)  # OS version
    struct.pack_into("<HH", opt, 48, 4, 0)  # subsystem version
    struct.pack_into("<I", opt, 32, 0x1000)  # section alignment
    struct.pack_into("<I", opt, 36, 0x200)  # file alignment
    struct.pack_into("<H", opt, 68, 3)  # subsystem: Windows console
    struct.pack_into("<I", opt, 108 if is64 else 92, 16)  # number of data directories
    return bytes(dos) + coff + bytes(opt)


def write(path, data, mode):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for arch, (bits, big, machine, flags) in ELF_ARCHES.items():
        write(os.path.join(out, f"bin-{arch}-dynamic"),
              elf_header(bits, big, machine, flags, ET_EXEC), 0o755)
        # Libraries keep mode 0644: with the execute bit, file(1) calls a
        # header-only ET_DYN object a "pie executable".
        write(os.path.join(out, f"lib-{arch}.so"),
              elf_header(bits, big, machine, flags, ET_DYN), 0o644)
    for name, is64 in (("win32", False), ("win64", True)):
        write(os.path.join(out, f"bin-{name}.exe"), pe_image(is64, False), 0o755)
        write(os.path.join(out, f"lib-{name}.dll"), pe_image(is64, True), 0o644)


if __name__ == "__main__":
    main()
