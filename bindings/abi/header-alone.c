/* Including one of the public sub-headers directly must fail: only
 * <libguestfsd/guestfsd.h> is supported (an 'abi' test that expects this
 * file not to compile). */
#include <libguestfsd/guestfsd-daemon.h>
