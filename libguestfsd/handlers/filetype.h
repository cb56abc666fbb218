/* libguestfsd handlers: the architecture of a binary from its header,
 * shared by file_architecture (filetype.c) and inspection
 * (inspect-files.c).  Names are file_architecture's ("x86_64", "i386",
 * "aarch64" ...).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Of an ELF file from its first n bytes; NULL when it is not ELF or of a
 * machine we have no name for. */
const char *gd_elf_arch (const guint8 *h, size_t n);

/* Of a PE file from the Machine field of its COFF header; NULL when
 * unknown. */
const char *gd_pe_machine_arch (guint16 machine);

G_END_DECLS
