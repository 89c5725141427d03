/*
 * The listener's HTTPS files: read once at start and handed to
 * libmicrohttpd (which copies them into GnuTLS), then wiped. The key file
 * is refused when group or others may read it, as config.ini is.
 */
#include "listener_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "util.h"

/* A certificate chain or key bigger than this is not a PEM file we want. */
#define LISTENER_TLS_FILE_MAX (1024 * 1024)

char *listener_tls_read(const char *path, const char *field, bool secret, struct kerr *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		kerr_set(err, K_IO, field, _("cannot read %s: %s; check the %s setting"), path,
			 strerror(errno), field);
		return NULL;
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		kerr_set(err, K_INVALID, field,
			 _("%s is not a regular file; %s must name a PEM file"), path, field);
		return NULL;
	}
	if (secret && (sb.st_mode & 077)) {
		close(fd);
		kerr_set(err, K_INVALID, field,
			 _("%s (%s) can be read by others (mode %03o): the private key must be "
			   "mode 0600; run: chmod 600 %s"),
			 path, field, (unsigned)(sb.st_mode & 0777), path);
		return NULL;
	}
	if (sb.st_size <= 0 || sb.st_size > LISTENER_TLS_FILE_MAX) {
		close(fd);
		kerr_set(err, K_INVALID, field, _("%s is empty or too large for a PEM file (%s)"),
			 path, field);
		return NULL;
	}
	size_t cap = (size_t)sb.st_size + 1, n = 0;
	char *buf = xmalloc(cap);
	while (n < cap - 1) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (!strstr(buf, "-----BEGIN ")) {
		explicit_bzero(buf, cap);
		free(buf);
		kerr_set(err, K_INVALID, field, _("%s is not a PEM file (no -----BEGIN line) (%s)"),
			 path, field);
		return NULL;
	}
	return buf;
}

void listener_tls_free(char *pem)
{
	if (!pem)
		return;
	explicit_bzero(pem, strlen(pem));
	free(pem);
}
