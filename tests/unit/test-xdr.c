/* Unit tests: XDR round trips of the generated protocol types
 * (gd_protocol.h): structs, argument and return structs, encode -> decode
 * equality, exact wire bytes where the protocol fixes them, 64-bit values
 * above 2^53, empty and huge strings, optional strings.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib.h>

#include "gd_protocol.h"

/* 2^53 + 1: the first integer a double cannot represent. */
#define BIG53 G_GINT64_CONSTANT (9007199254740993)

static GByteArray *
encode (xdrproc_t fn, void *obj)
{
  size_t cap = 1024;
  GByteArray *out = g_byte_array_new ();
  for (;;)
    {
      g_byte_array_set_size (out, cap);
      XDR xdr;
      xdrmem_create (&xdr, (char *) out->data, cap, XDR_ENCODE);
      gboolean ok = fn (&xdr, obj, 0);
      size_t len = xdr_getpos (&xdr);
      xdr_destroy (&xdr);
      if (ok)
        {
          g_byte_array_set_size (out, len);
          g_assert_cmpuint (len % 4, ==, 0);
          return out;
        }
      g_assert_cmpuint (cap, <, 256 * 1024 * 1024);
      cap *= 4;
    }
}

static void
decode (xdrproc_t fn, const GByteArray *bytes, void *out)
{
  XDR xdr;
  xdrmem_create (&xdr, (char *) bytes->data, bytes->len, XDR_DECODE);
  g_assert_true (fn (&xdr, out, 0));
  g_assert_cmpuint (xdr_getpos (&xdr), ==, bytes->len);
  xdr_destroy (&xdr);
}

/* Encodes in, decodes into out (zeroed, size bytes), and checks that out
 * encodes to the same bytes.  The caller compares fields and frees out
 * with xdr_free. */
static GByteArray *
roundtrip (xdrproc_t fn, void *in, void *out, size_t size)
{
  GByteArray *a = encode (fn, in);
  memset (out, 0, size);
  decode (fn, a, out);
  g_autoptr (GByteArray) b = encode (fn, out);
  g_assert_cmpmem (a->data, a->len, b->data, b->len);
  return a;
}

static guint32
be32_at (const GByteArray *b, size_t off)
{
  g_assert_cmpuint (off + 4, <=, b->len);
  const guint8 *p = b->data + off;
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint64
be64_at (const GByteArray *b, size_t off)
{
  return ((guint64) be32_at (b, off) << 32) | be32_at (b, off + 4);
}

static void
test_stat (void)
{
  gd_statns in = {
    .st_dev = BIG53,
    .st_ino = G_MAXINT64,
    .st_mode = 0100644,
    .st_nlink = 1,
    .st_uid = 4294967294LL,
    .st_gid = -1,
    .st_rdev = 0,
    .st_size = G_MININT64,
    .st_blksize = 4096,
    .st_blocks = BIG53 + 2,
    .st_atime_sec = -1,
    .st_atime_nsec = 999999999,
    .st_mtime_sec = G_GINT64_CONSTANT (1) << 40,
    .st_mtime_nsec = 0,
    .st_ctime_sec = 1700000000,
    .st_ctime_nsec = 1,
    .st_spare1 = BIG53 - 2,
  };
  gd_statns out;
  g_autoptr (GByteArray) a = roundtrip ((xdrproc_t) xdr_gd_statns, &in, &out, sizeof out);
  g_assert_true (memcmp (&in, &out, sizeof in) == 0);
  g_assert_cmpint (out.st_dev, ==, BIG53);
  g_assert_cmpint (out.st_size, ==, G_MININT64);
  /* Every field is an 8-byte big-endian hyper, in declaration order. */
  g_assert_cmpuint (a->len, ==, 22 * 8);
  g_assert_cmpuint (be64_at (a, 0), ==, (guint64) BIG53);
  g_assert_cmpuint (be64_at (a, 8), ==, (guint64) G_MAXINT64);
  g_assert_cmpuint (be64_at (a, 40), ==, G_MAXUINT64);
  xdr_free ((xdrproc_t) xdr_gd_statns, (char *) &out);

  gd_statvfs vin = { 4096, 4096, BIG53, 1, 2, 3, 4, 5, G_MAXINT64, 0, 255 };
  gd_statvfs vout;
  g_byte_array_unref (roundtrip ((xdrproc_t) xdr_gd_statvfs, &vin, &vout, sizeof vout));
  g_assert_true (memcmp (&vin, &vout, sizeof vin) == 0);
}

static void
test_dirent_list (void)
{
  g_autofree char *huge = g_malloc (1024 * 1024 + 2);
  memset (huge, 'h', 1024 * 1024 + 1);
  huge[1024 * 1024 + 1] = '\0';
  gd_dirent ents[] = {
    { .ino = BIG53, .ftyp = 'r', .name = "file" },
    { .ino = 2, .ftyp = 'd', .name = "" },
    { .ino = -1, .ftyp = 'l', .name = huge },
    { .ino = 0, .ftyp = '?', .name = "n\303\244me with spaces\n" },
  };
  gd_dirent_list in = { G_N_ELEMENTS (ents), ents };
  gd_dirent_list out;
  g_autoptr (GByteArray) a = roundtrip ((xdrproc_t) xdr_gd_dirent_list, &in, &out, sizeof out);
  g_assert_cmpuint (out.gd_dirent_list_len, ==, G_N_ELEMENTS (ents));
  for (guint i = 0; i < G_N_ELEMENTS (ents); i++)
    {
      g_assert_cmpint (out.gd_dirent_list_val[i].ino, ==, ents[i].ino);
      g_assert_cmpint (out.gd_dirent_list_val[i].ftyp, ==, ents[i].ftyp);
      g_assert_cmpstr (out.gd_dirent_list_val[i].name, ==, ents[i].name);
    }
  /* count, then ino (8), ftyp as a 4-byte int, "file" (4 + 4). */
  g_assert_cmpuint (be32_at (a, 0), ==, 4);
  g_assert_cmpuint (be64_at (a, 4), ==, (guint64) BIG53);
  g_assert_cmpuint (be32_at (a, 12), ==, 'r');
  g_assert_cmpuint (be32_at (a, 16), ==, 4);
  g_assert_cmpmem (a->data + 20, 4, "file", 4);
  xdr_free ((xdrproc_t) xdr_gd_dirent_list, (char *) &out);
}

static void
test_lvm_pv_uuid_and_float (void)
{
  gd_lvm_pv in = {
    .pv_name = "/dev/sda1",
    .pv_fmt = "lvm2",
    .pv_size = BIG53,
    .dev_size = G_MAXINT64,
    .pv_free = 0,
    .pv_used = -5,
    .pv_attr = "a--",
    .pv_pe_count = 1,
    .pv_pe_alloc_count = 2,
    .pv_tags = "",
    .pe_start = 1048576,
    .pv_mda_count = 1,
    .pv_mda_free = 2,
  };
  /* FUUID: 32 bytes with no length and no terminator. */
  memcpy (in.pv_uuid, "0123456789abcdefghijklmnopqrstuv", 32);
  gd_lvm_pv out;
  g_autoptr (GByteArray) a = roundtrip ((xdrproc_t) xdr_gd_lvm_pv, &in, &out, sizeof out);
  g_assert_cmpstr (out.pv_name, ==, "/dev/sda1");
  g_assert_cmpmem (out.pv_uuid, 32, in.pv_uuid, 32);
  g_assert_cmpint (out.pv_size, ==, BIG53);
  g_assert_cmpint (out.pv_used, ==, -5);
  g_assert_cmpstr (out.pv_tags, ==, "");
  /* "/dev/sda1" is 9 bytes: length, 9 bytes, 3 of padding; then the
   * uuid as is. */
  g_assert_cmpuint (be32_at (a, 0), ==, 9);
  g_assert_cmpmem (a->data + 4, 12, "/dev/sda1\0\0\0", 12);
  g_assert_cmpmem (a->data + 16, 32, in.pv_uuid, 32);
  xdr_free ((xdrproc_t) xdr_gd_lvm_pv, (char *) &out);

  gd_lvm_lv lv = { .lv_name = "lv",
                   .lv_attr = "-wi-a-----",
                   .origin = "",
                   .move_pv = "",
                   .lv_tags = "",
                   .mirror_log = "",
                   .modules = "",
                   .lv_size = BIG53,
                   .snap_percent = -1.0f,
                   .copy_percent = 12.5f };
  memset (lv.lv_uuid, 'U', 32);
  gd_lvm_lv_list lin = { 1, &lv };
  gd_lvs_full_ret rin = { lin };
  gd_lvs_full_ret rout;
  g_byte_array_unref (roundtrip ((xdrproc_t) xdr_gd_lvs_full_ret, &rin, &rout, sizeof rout));
  g_assert_cmpuint (rout.ret.gd_lvm_lv_list_len, ==, 1);
  gd_lvm_lv *o = &rout.ret.gd_lvm_lv_list_val[0];
  g_assert_cmpfloat (o->snap_percent, ==, -1.0f);
  g_assert_cmpfloat (o->copy_percent, ==, 12.5f);
  g_assert_cmpint (o->lv_size, ==, BIG53);
  g_assert_cmpmem (o->lv_uuid, 32, lv.lv_uuid, 32);
  xdr_free ((xdrproc_t) xdr_gd_lvs_full_ret, (char *) &rout);
}

static void
test_buffers (void)
{
  guint8 bin[] = { 0, 1, 2, 0xff, 0, 0x80, 'x' };
  gd_xattr in = { .attrname = "user.test", .attrval = { sizeof bin, (char *) bin } };
  gd_xattr out;
  g_byte_array_unref (roundtrip ((xdrproc_t) xdr_gd_xattr, &in, &out, sizeof out));
  g_assert_cmpstr (out.attrname, ==, "user.test");
  g_assert_cmpmem (out.attrval.attrval_val, out.attrval.attrval_len, bin, sizeof bin);
  xdr_free ((xdrproc_t) xdr_gd_xattr, (char *) &out);

  /* BufferIn argument with an Int64 after it, and an empty buffer. */
  gd_pwrite_args pin = { .path = "/f", .content = { 0, NULL }, .offset = BIG53 };
  gd_pwrite_args pout;
  g_autoptr (GByteArray) b = roundtrip ((xdrproc_t) xdr_gd_pwrite_args, &pin, &pout, sizeof pout);
  g_assert_cmpstr (pout.path, ==, "/f");
  g_assert_cmpuint (pout.content.content_len, ==, 0);
  g_assert_cmpint (pout.offset, ==, BIG53);
  g_assert_cmpuint (b->len, ==, 8 + 4 + 8);
  g_assert_cmpuint (be64_at (b, 12), ==, (guint64) BIG53);
  xdr_free ((xdrproc_t) xdr_gd_pwrite_args, (char *) &pout);
}

static void
test_string_lists (void)
{
  const size_t huge_len = 3 * 1024 * 1024 + 1;
  g_autofree char *huge = g_malloc (huge_len + 1);
  for (size_t i = 0; i < huge_len; i++)
    huge[i] = 'A' + i % 26;
  huge[huge_len] = '\0';
  char *words[] = { "", "a", "ab", "abc", "abcd", huge, "" };
  gd_echo_daemon_args in = { .words = { G_N_ELEMENTS (words), words } };
  gd_echo_daemon_args out;
  g_autoptr (GByteArray) a = roundtrip ((xdrproc_t) xdr_gd_echo_daemon_args, &in, &out, sizeof out);
  g_assert_cmpuint (out.words.words_len, ==, G_N_ELEMENTS (words));
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    g_assert_cmpstr (out.words.words_val[i], ==, words[i]);
  /* Wire sizes: strings padded to 4. */
  g_assert_cmpuint (a->len, ==, 4 + 4 + 8 + 8 + 8 + 8 + (4 + ((huge_len + 3) & ~3)) + 4);
  xdr_free ((xdrproc_t) xdr_gd_echo_daemon_args, (char *) &out);

  /* An empty list. */
  gd_echo_daemon_args ein = { .words = { 0, NULL } };
  gd_echo_daemon_args eout;
  g_autoptr (GByteArray) e =
      roundtrip ((xdrproc_t) xdr_gd_echo_daemon_args, &ein, &eout, sizeof eout);
  g_assert_cmpuint (e->len, ==, 4);
  g_assert_cmpuint (eout.words.words_len, ==, 0);
  xdr_free ((xdrproc_t) xdr_gd_echo_daemon_args, (char *) &eout);

  /* RStringList / RHashtable results. */
  char *kv[] = { "/dev/sda1", "/", "/dev/sda2", "/boot" };
  gd_mounts_ret rin = { .ret = { 4, kv } };
  gd_mounts_ret rout;
  g_byte_array_unref (roundtrip ((xdrproc_t) xdr_gd_mounts_ret, &rin, &rout, sizeof rout));
  g_assert_cmpuint (rout.ret.ret_len, ==, 4);
  g_assert_cmpstr (rout.ret.ret_val[3], ==, "/boot");
  xdr_free ((xdrproc_t) xdr_gd_mounts_ret, (char *) &rout);
}

static void
test_optstring (void)
{
  /* OptString: a 0 word for NULL, or 1 and the string. */
  gd_aug_defvar_args in = { .name = "v", .expr = NULL };
  gd_aug_defvar_args out;
  g_autoptr (GByteArray) a = roundtrip ((xdrproc_t) xdr_gd_aug_defvar_args, &in, &out, sizeof out);
  g_assert_null (out.expr);
  g_assert_cmpuint (a->len, ==, 8 + 4);
  g_assert_cmpuint (be32_at (a, 8), ==, 0);
  xdr_free ((xdrproc_t) xdr_gd_aug_defvar_args, (char *) &out);

  gd_str expr = "/files/etc";
  gd_aug_defvar_args in2 = { .name = "v", .expr = &expr };
  gd_aug_defvar_args out2;
  g_autoptr (GByteArray) b =
      roundtrip ((xdrproc_t) xdr_gd_aug_defvar_args, &in2, &out2, sizeof out2);
  g_assert_nonnull (out2.expr);
  g_assert_cmpstr (*out2.expr, ==, "/files/etc");
  g_assert_cmpuint (be32_at (b, 8), ==, 1);
  g_assert_cmpuint (be32_at (b, 12), ==, 10);
  xdr_free ((xdrproc_t) xdr_gd_aug_defvar_args, (char *) &out2);

  gd_str empty = "";
  gd_aug_defvar_args in3 = { .name = "", .expr = &empty };
  gd_aug_defvar_args out3;
  g_byte_array_unref (roundtrip ((xdrproc_t) xdr_gd_aug_defvar_args, &in3, &out3, sizeof out3));
  g_assert_cmpstr (*out3.expr, ==, "");
  xdr_free ((xdrproc_t) xdr_gd_aug_defvar_args, (char *) &out3);
}

static void
test_optargs_and_bools (void)
{
  /* All optional arguments are always on the wire, unset ones as 0/"". */
  gd_mkfs_args in = { .fstype = "ext4",
                      .device = "/dev/sda",
                      .blocksize = 4096,
                      .features = "",
                      .inode = -1,
                      .sectorsize = 0,
                      .label = "ROOT" };
  gd_mkfs_args out;
  g_autoptr (GByteArray) a = roundtrip ((xdrproc_t) xdr_gd_mkfs_args, &in, &out, sizeof out);
  g_assert_cmpstr (out.fstype, ==, "ext4");
  g_assert_cmpstr (out.device, ==, "/dev/sda");
  g_assert_cmpint (out.blocksize, ==, 4096);
  g_assert_cmpstr (out.features, ==, "");
  g_assert_cmpint (out.inode, ==, -1);
  g_assert_cmpstr (out.label, ==, "ROOT");
  g_assert_cmpuint (a->len, ==, 8 + 12 + 4 + 4 + 4 + 4 + 8);
  xdr_free ((xdrproc_t) xdr_gd_mkfs_args, (char *) &out);

  gd_set_e2attrs_args ein = { .file = "/f", .attrs = "i", .clear = TRUE };
  gd_set_e2attrs_args eout;
  g_autoptr (GByteArray) b =
      roundtrip ((xdrproc_t) xdr_gd_set_e2attrs_args, &ein, &eout, sizeof eout);
  g_assert_true (eout.clear);
  g_assert_cmpuint (be32_at (b, b->len - 4), ==, 1);
  xdr_free ((xdrproc_t) xdr_gd_set_e2attrs_args, (char *) &eout);

  /* Like the original daemon's, a Bool that is neither 0 nor 1 decodes
   * as true. */
  b->data[b->len - 1] = 2;
  memset (&eout, 0, sizeof eout);
  decode ((xdrproc_t) xdr_gd_set_e2attrs_args, b, &eout);
  g_assert_true (eout.clear);
  xdr_free ((xdrproc_t) xdr_gd_set_e2attrs_args, (char *) &eout);
}

static void
test_protocol_structs (void)
{
  gd_message_header h = { .prog = GD_PROGRAM,
                          .vers = GD_PROTOCOL_VERSION,
                          .proc = 92,
                          .direction = GD_DIRECTION_REPLY,
                          .serial = 0x123400,
                          .progress_hint = G_MAXUINT64,
                          .optargs_bitmask = (guint64) BIG53,
                          .status = GD_STATUS_ERROR };
  gd_message_header hout;
  g_autoptr (GByteArray) a = roundtrip ((xdrproc_t) xdr_gd_message_header, &h, &hout, sizeof hout);
  g_assert_cmpuint (a->len, ==, 40);
  g_assert_cmpuint (be32_at (a, 0), ==, 0x2000F5F5);
  g_assert_cmpuint (be32_at (a, 4), ==, 4);
  g_assert_cmpuint (be32_at (a, 8), ==, 92);
  g_assert_cmpuint (be32_at (a, 12), ==, 1);
  g_assert_cmpuint (be32_at (a, 16), ==, 0x123400);
  g_assert_cmpuint (be64_at (a, 20), ==, G_MAXUINT64);
  g_assert_cmpuint (be64_at (a, 28), ==, (guint64) BIG53);
  g_assert_cmpuint (be32_at (a, 36), ==, 1);
  g_assert_true (memcmp (&h, &hout, sizeof h) == 0);

  gd_progress_record p = {
    .proc = 66, .serial = 7, .position = (guint64) BIG53, .total = G_MAXUINT64
  };
  gd_progress_record pout;
  g_autoptr (GByteArray) b = roundtrip ((xdrproc_t) xdr_gd_progress_record, &p, &pout, sizeof pout);
  g_assert_cmpuint (b->len, ==, 24);
  g_assert_cmpuint (pout.position, ==, (guint64) BIG53);
  g_assert_cmpuint (pout.total, ==, G_MAXUINT64);

  /* The error message may be exactly GD_ERROR_LEN bytes, not more. */
  g_autofree char *msg = g_malloc (GD_ERROR_LEN + 2);
  memset (msg, 'e', GD_ERROR_LEN + 1);
  msg[GD_ERROR_LEN] = '\0';
  gd_message_error e = { .errno_string = "EINVAL", .error_message = msg };
  gd_message_error eout;
  g_byte_array_unref (roundtrip ((xdrproc_t) xdr_gd_message_error, &e, &eout, sizeof eout));
  g_assert_cmpuint (strlen (eout.error_message), ==, GD_ERROR_LEN);
  xdr_free ((xdrproc_t) xdr_gd_message_error, (char *) &eout);
  msg[GD_ERROR_LEN] = 'e';
  msg[GD_ERROR_LEN + 1] = '\0';
  char buf[GD_ERROR_LEN + 64];
  XDR xdr;
  xdrmem_create (&xdr, buf, sizeof buf, XDR_ENCODE);
  g_assert_false (xdr_gd_message_error (&xdr, &e));
  xdr_destroy (&xdr);
  /* errno_string is string<32>. */
  gd_message_error e2 = { .errno_string = "E123456789012345678901234567890123",
                          .error_message = "" };
  xdrmem_create (&xdr, buf, sizeof buf, XDR_ENCODE);
  g_assert_false (xdr_gd_message_error (&xdr, &e2));
  xdr_destroy (&xdr);

  /* A chunk holds at most GD_MAX_CHUNK_SIZE bytes. */
  g_autofree char *data = g_malloc0 (GD_MAX_CHUNK_SIZE + 1);
  gd_chunk ch = { .cancel = 0, .data = { GD_MAX_CHUNK_SIZE, data } };
  gd_chunk chout;
  g_autoptr (GByteArray) d = roundtrip ((xdrproc_t) xdr_gd_chunk, &ch, &chout, sizeof chout);
  g_assert_cmpuint (d->len, ==, 8 + GD_MAX_CHUNK_SIZE);
  xdr_free ((xdrproc_t) xdr_gd_chunk, (char *) &chout);
  ch.data.data_len = GD_MAX_CHUNK_SIZE + 1;
  g_autofree char *big = g_malloc (2 * GD_MAX_CHUNK_SIZE);
  xdrmem_create (&xdr, big, 2 * GD_MAX_CHUNK_SIZE, XDR_ENCODE);
  g_assert_false (xdr_gd_chunk (&xdr, &ch));
  xdr_destroy (&xdr);
}

static void
test_tsk_dirent_unsigned (void)
{
  gd_tsk_dirent in = { .tsk_inode = G_MAXUINT64,
                       .tsk_type = 'r',
                       .tsk_size = BIG53,
                       .tsk_name = "a",
                       .tsk_flags = G_MAXUINT32,
                       .tsk_link = "",
                       .tsk_crtime_nsec = -1 };
  gd_tsk_dirent out;
  g_autoptr (GByteArray) a = roundtrip ((xdrproc_t) xdr_gd_tsk_dirent, &in, &out, sizeof out);
  g_assert_cmpuint (out.tsk_inode, ==, G_MAXUINT64);
  g_assert_cmpuint (out.tsk_flags, ==, G_MAXUINT32);
  g_assert_cmpint (out.tsk_size, ==, BIG53);
  g_assert_cmpint (out.tsk_crtime_nsec, ==, -1);
  g_assert_cmpuint (be64_at (a, 0), ==, G_MAXUINT64);
  xdr_free ((xdrproc_t) xdr_gd_tsk_dirent, (char *) &out);
}

/* Decoding must reject a string that claims more bytes than there are. */
static void
test_truncated_input (void)
{
  char *words[] = { "hello world" };
  gd_echo_daemon_args in = { .words = { 1, words } };
  g_autoptr (GByteArray) a = encode ((xdrproc_t) xdr_gd_echo_daemon_args, &in);
  for (size_t cut = 0; cut < a->len; cut++)
    {
      XDR xdr;
      gd_echo_daemon_args out = { { 0 } };
      xdrmem_create (&xdr, (char *) a->data, cut, XDR_DECODE);
      g_assert_false (xdr_gd_echo_daemon_args (&xdr, &out));
      xdr_destroy (&xdr);
      xdr_free ((xdrproc_t) xdr_gd_echo_daemon_args, (char *) &out);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/xdr/stat", test_stat);
  g_test_add_func ("/xdr/dirent-list", test_dirent_list);
  g_test_add_func ("/xdr/lvm-uuid-float", test_lvm_pv_uuid_and_float);
  g_test_add_func ("/xdr/buffers", test_buffers);
  g_test_add_func ("/xdr/string-lists", test_string_lists);
  g_test_add_func ("/xdr/optstring", test_optstring);
  g_test_add_func ("/xdr/optargs-bools", test_optargs_and_bools);
  g_test_add_func ("/xdr/protocol-structs", test_protocol_structs);
  g_test_add_func ("/xdr/tsk-dirent-unsigned", test_tsk_dirent_unsigned);
  g_test_add_func ("/xdr/truncated-input", test_truncated_input);
  return g_test_run ();
}
