/* libguestfsd: handler errors and errno names.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <gio/gio.h> /* GIOErrorEnum only: no GIO function is called */

#include "gd-private.h"

GQuark
gd_errno_error_quark (void)
{
  return g_quark_from_static_string ("gd-errno-error-quark");
}

void
gd_error (GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, GD_ERRNO_ERROR, 0, msg);
}

void
gd_error_errno (GError **error, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, GD_ERRNO_ERROR, errnum, msg);
}

void
gd_perror (GError **error, const char *fmt, ...)
{
  int errnum = errno;
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, GD_ERRNO_ERROR, errnum, "%s: %s", msg, g_strerror (errnum));
}

void
gd_error_unavailable (GError **error, const char *group)
{
  gd_error_errno (error, ENOTSUP,
                  "feature '%s' is not available on this system "
                  "(its helper programs or kernel support are missing)",
                  group);
}

/* Names the client knows.  Where Linux gives two names one value, the
 * name listed here is the one sent (the client maps both back). */
#define E(name) [name] = #name
static const char *const errno_names[] = {
  E (EPERM),
  E (ENOENT),
  E (ESRCH),
  E (EINTR),
  E (EIO),
  E (ENXIO),
  E (E2BIG),
  E (ENOEXEC),
  E (EBADF),
  E (ECHILD),
  E (EAGAIN),
  E (ENOMEM),
  E (EACCES),
  E (EFAULT),
  E (ENOTBLK),
  E (EBUSY),
  E (EEXIST),
  E (EXDEV),
  E (ENODEV),
  E (ENOTDIR),
  E (EISDIR),
  E (EINVAL),
  E (ENFILE),
  E (EMFILE),
  E (ENOTTY),
  E (ETXTBSY),
  E (EFBIG),
  E (ENOSPC),
  E (ESPIPE),
  E (EROFS),
  E (EMLINK),
  E (EPIPE),
  E (EDOM),
  E (ERANGE),
  E (EDEADLOCK),
  E (ENAMETOOLONG),
  E (ENOLCK),
  E (ENOSYS),
  E (ENOTEMPTY),
  E (ELOOP),
  E (ENOMSG),
  E (EIDRM),
  E (ECHRNG),
  E (EL2NSYNC),
  E (EL3HLT),
  E (EL3RST),
  E (ELNRNG),
  E (EUNATCH),
  E (ENOCSI),
  E (EL2HLT),
  E (EBADE),
  E (EBADR),
  E (EXFULL),
  E (ENOANO),
  E (EBADRQC),
  E (EBADSLT),
  E (EBFONT),
  E (ENOSTR),
  E (ENODATA),
  E (ETIME),
  E (ENOSR),
  E (ENONET),
  E (ENOPKG),
  E (EREMOTE),
  E (ENOLINK),
  E (EADV),
  E (ESRMNT),
  E (ECOMM),
  E (EPROTO),
  E (EMULTIHOP),
  E (EDOTDOT),
  E (EBADMSG),
  E (EOVERFLOW),
  E (ENOTUNIQ),
  E (EBADFD),
  E (EREMCHG),
  E (ELIBACC),
  E (ELIBBAD),
  E (ELIBSCN),
  E (ELIBMAX),
  E (ELIBEXEC),
  E (EILSEQ),
  E (ERESTART),
  E (ESTRPIPE),
  E (EUSERS),
  E (ENOTSOCK),
  E (EDESTADDRREQ),
  E (EMSGSIZE),
  E (EPROTOTYPE),
  E (ENOPROTOOPT),
  E (EPROTONOSUPPORT),
  E (ESOCKTNOSUPPORT),
  [EOPNOTSUPP] = "ENOTSUP", /* == ENOTSUP; the client knows only this name */
  E (EPFNOSUPPORT),
  E (EAFNOSUPPORT),
  E (EADDRINUSE),
  E (EADDRNOTAVAIL),
  E (ENETDOWN),
  E (ENETUNREACH),
  E (ENETRESET),
  E (ECONNABORTED),
  E (ECONNRESET),
  E (ENOBUFS),
  E (EISCONN),
  E (ENOTCONN),
  E (ESHUTDOWN),
  E (ETOOMANYREFS),
  E (ETIMEDOUT),
  E (ECONNREFUSED),
  E (EHOSTDOWN),
  E (EHOSTUNREACH),
  E (EALREADY),
  E (EINPROGRESS),
  E (ESTALE),
  E (EUCLEAN),
  E (ENOTNAM),
  E (ENAVAIL),
  E (EISNAM),
  E (EREMOTEIO),
  E (EDQUOT),
  E (ENOMEDIUM),
  E (EMEDIUMTYPE),
  E (ECANCELED),
  E (ENOKEY),
  E (EKEYEXPIRED),
  E (EKEYREVOKED),
  E (EKEYREJECTED),
  E (EOWNERDEAD),
  E (ENOTRECOVERABLE),
  E (ERFKILL),
  E (EHWPOISON),
};
#undef E

const char *
gd_errno_name (int errnum)
{
  if (errnum == 0)
    return "";
  if (errnum < 0 || (size_t) errnum >= G_N_ELEMENTS (errno_names) || errno_names[errnum] == NULL)
    return "EINVAL";
  return errno_names[errnum];
}

int
gd_error_get_errno (const GError *error)
{
  if (error == NULL)
    return 0;
  if (error->domain == GD_ERRNO_ERROR)
    return error->code;
  if (error->domain == G_FILE_ERROR)
    {
      switch (error->code)
        {
        case G_FILE_ERROR_EXIST:
          return EEXIST;
        case G_FILE_ERROR_ISDIR:
          return EISDIR;
        case G_FILE_ERROR_ACCES:
          return EACCES;
        case G_FILE_ERROR_NAMETOOLONG:
          return ENAMETOOLONG;
        case G_FILE_ERROR_NOENT:
          return ENOENT;
        case G_FILE_ERROR_NOTDIR:
          return ENOTDIR;
        case G_FILE_ERROR_NXIO:
          return ENXIO;
        case G_FILE_ERROR_NODEV:
          return ENODEV;
        case G_FILE_ERROR_ROFS:
          return EROFS;
        case G_FILE_ERROR_LOOP:
          return ELOOP;
        case G_FILE_ERROR_NOSPC:
          return ENOSPC;
        case G_FILE_ERROR_NOMEM:
          return ENOMEM;
        case G_FILE_ERROR_PERM:
          return EPERM;
        case G_FILE_ERROR_PIPE:
          return EPIPE;
        case G_FILE_ERROR_INVAL:
          return EINVAL;
        case G_FILE_ERROR_IO:
          return EIO;
        default:
          return 0;
        }
    }
  /* Not G_IO_ERROR: calling g_io_error_quark() would link libgio, whose
   * loading costs about 2 ms at every start, for errors that can only
   * exist once something has loaded GIO anyway. */
  GQuark gio_error = g_quark_try_string ("g-io-error-quark");
  if (gio_error != 0 && error->domain == gio_error)
    {
      switch (error->code)
        {
        case G_IO_ERROR_NOT_FOUND:
          return ENOENT;
        case G_IO_ERROR_EXISTS:
          return EEXIST;
        case G_IO_ERROR_IS_DIRECTORY:
          return EISDIR;
        case G_IO_ERROR_NOT_DIRECTORY:
          return ENOTDIR;
        case G_IO_ERROR_NOT_EMPTY:
          return ENOTEMPTY;
        case G_IO_ERROR_NO_SPACE:
          return ENOSPC;
        case G_IO_ERROR_INVALID_ARGUMENT:
          return EINVAL;
        case G_IO_ERROR_PERMISSION_DENIED:
          return EACCES;
        case G_IO_ERROR_NOT_SUPPORTED:
          return ENOTSUP;
        case G_IO_ERROR_CANCELLED:
          return EINTR;
        case G_IO_ERROR_READ_ONLY:
          return EROFS;
        case G_IO_ERROR_TIMED_OUT:
          return ETIMEDOUT;
        case G_IO_ERROR_BUSY:
          return EBUSY;
        default:
          return 0;
        }
    }
  return 0;
}
