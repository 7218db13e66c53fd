/*
 * sanitize-preload.so: preloaded into Kore after the sanitizer runtimes by
 * make sanitize (tools/sanitize.sh).  It only defines swift_demangle().
 *
 * Why: Kore is not built with AddressSanitizer, so the runtime comes in by
 * LD_PRELOAD, and the loader runs the preloaded runtime's initializer after
 * those of the libraries Kore needs.  libp11-kit's initializer (libpq ->
 * libldap -> libgnutls -> libp11-kit) calls newlocale(), whose first
 * malloc() initializes AddressSanitizer while newlocale() holds glibc's
 * locale lock.  That initialization looks the symbol swift_demangle up
 * with dlsym() and, when it is missing, calls dlerror(), which translates
 * its message under the same lock: it takes it as a reader (refused: the
 * thread is its writer) and unlocks it anyway.  The lock's count is then
 * wrong, and the next freelocale() waits forever: every process, Kore's
 * parent and its workers alike, hung at exit (in libp11-kit's destructor)
 * and LeakSanitizer never ran.  With the symbol present, dlsym() succeeds
 * and nothing is translated.  (Programs linked with the runtime, such as
 * the unit tests, initialize it first and are not affected.)
 *
 * Returning NULL means "not a Swift name": the sanitizer then demangles as
 * it would have.
 */

#include <stddef.h>
#include <stdint.h>

char	*swift_demangle(const char *, size_t, char *, size_t *, uint32_t);

char *
swift_demangle(const char *name, size_t len, char *out, size_t *outlen,
    uint32_t flags)
{
	(void)name;
	(void)len;
	(void)out;
	(void)outlen;
	(void)flags;

	return (NULL);
}
