#include "config_save.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "buf.h"
#include "config_ini.h"
#include "i18n.h"
#include "util.h"

/* What kassa's own reader (config_ini.c) takes on one line. */
#define INI_LINE_MAX CONFIG_INI_LINE_MAX
#define CHANGES_MAX 32

enum line_kind { L_BLANK, L_COMMENT, L_HEADER, L_KEY, L_CONT, L_OTHER };

struct line {
	const char *s; /* text without the line end */
	size_t len;
	const char *eol; /* "\n", "\r\n" or "" */
	enum line_kind kind;
	char name[128];	   /* section of a header, key of a key line */
	size_t value_at;   /* key line: where the value starts */
	size_t comment_at; /* key line: where an inline comment's space run starts, or len */
	int key_line;	   /* L_CONT: index of the key line it continues */
	bool in_section;   /* inside the target section */
	int drop;	   /* removed from the output */
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static bool valid_word(const char *s, size_t max)
{
	size_t len = strlen(s);
	return len > 0 && len <= max &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
		   len;
}

static kstatus check_value(const char *key, const char *v, struct kerr *err)
{
	size_t len = strlen(v);
	if (!utf8_valid(v, len))
		return kerr_set(err, K_INVALID, key, "%s", _("is not valid UTF-8 text"));
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f)
			return kerr_set(err, K_INVALID, key, "%s",
					_("contains a control character or a line break"));
		if (c == ';' && (i == 0 || is_ws(v[i - 1])))
			return kerr_set(err, K_INVALID, key, "%s",
					_("has a ';' that would start a comment in the config; "
					  "remove the space before it"));
	}
	if (len && (is_ws(v[0]) || is_ws(v[len - 1])))
		return kerr_set(err, K_INVALID, key, "%s",
				_("starts or ends with a space, which the config would drop"));
	if (strlen(key) + 3 + len > INI_LINE_MAX)
		return kerr_set(err, K_INVALID, key,
				_("is too long for one config line (%d characters)"), INI_LINE_MAX);
	return K_OK;
}

/* Classifies a line the way libinih reads it (multi-line values on). */
static void classify(struct line *l, bool *prev_key, int *last_key, int index)
{
	size_t i = 0;
	while (i < l->len && is_ws(l->s[i]))
		i++;
	l->kind = L_OTHER;
	l->name[0] = '\0';
	if (i == l->len) {
		l->kind = L_BLANK;
		return;
	}
	char c = l->s[i];
	if (c == ';' || c == '#') {
		l->kind = L_COMMENT;
		return;
	}
	if (*prev_key && i > 0) {
		l->kind = L_CONT;
		l->key_line = *last_key;
		return;
	}
	if (c == '[') {
		const char *end = memchr(l->s + i, ']', l->len - i);
		if (end) {
			size_t n = (size_t)(end - (l->s + i + 1));
			if (n >= sizeof l->name)
				n = sizeof l->name - 1;
			memcpy(l->name, l->s + i + 1, n);
			l->name[n] = '\0';
			l->kind = L_HEADER;
			*prev_key = false;
		}
		return;
	}
	size_t sep = i;
	while (sep < l->len && l->s[sep] != '=' && l->s[sep] != ':')
		sep++;
	if (sep == l->len)
		return;
	size_t kend = sep;
	while (kend > i && is_ws(l->s[kend - 1]))
		kend--;
	size_t n = kend - i;
	if (n >= sizeof l->name)
		n = sizeof l->name - 1;
	memcpy(l->name, l->s + i, n);
	l->name[n] = '\0';
	size_t v = sep + 1;
	while (v < l->len && is_ws(l->s[v]))
		v++;
	l->value_at = v;
	l->comment_at = l->len;
	for (size_t k = sep + 1; k < l->len; k++)
		if (l->s[k] == ';' && is_ws(l->s[k - 1])) {
			size_t w = k;
			while (w > v && is_ws(l->s[w - 1]))
				w--;
			l->comment_at = w;
			break;
		}
	l->kind = L_KEY;
	*prev_key = true;
	*last_key = index;
}

static size_t split_lines(const char *text, size_t len, struct line **out)
{
	size_t n = 0, cap = 64;
	struct line *ls = xcalloc(cap, sizeof *ls);
	size_t i = 0;
	while (i < len) {
		size_t start = i;
		while (i < len && text[i] != '\n')
			i++;
		if (n == cap) {
			cap *= 2;
			ls = xrealloc(ls, cap * sizeof *ls);
		}
		struct line *l = &ls[n++];
		memset(l, 0, sizeof *l);
		l->s = text + start;
		l->len = i - start;
		if (i < len) {
			if (l->len && l->s[l->len - 1] == '\r') {
				l->len--;
				l->eol = "\r\n";
			} else {
				l->eol = "\n";
			}
			i++;
		} else {
			l->eol = "";
		}
	}
	*out = ls;
	return n;
}

static void put_pair(struct buf *t, const char *key, const char *value, const char *eol)
{
	buf_str(t, key);
	buf_str(t, " = ");
	buf_str(t, value);
	buf_str(t, eol);
}

static kstatus check_changes(const char *section, const struct config_change *changes, size_t n,
			     struct kerr *err)
{
	if (!section || !valid_word(section, 100))
		return kerr_set(err, K_INVALID, "section", "%s",
				_("a section name is letters, digits, '.', '_' or '-'"));
	if (n > CHANGES_MAX)
		return kerr_set(err, K_INVALID, "section", _("at most %d changes at a time"),
				CHANGES_MAX);
	for (size_t i = 0; i < n; i++) {
		if (!changes[i].key || !valid_word(changes[i].key, 63))
			return kerr_set(err, K_INVALID, "key", "%s",
					_("a key is 1-63 letters, digits, '.', '_' or '-'"));
		for (size_t j = 0; j < i; j++)
			if (strcmp(changes[i].key, changes[j].key) == 0)
				return kerr_set(err, K_INVALID, changes[i].key, "%s",
						_("is changed twice in one save"));
		if (changes[i].value) {
			kstatus st = check_value(changes[i].key, changes[i].value, err);
			if (st != K_OK)
				return st;
		}
	}
	return K_OK;
}

char *config_save_apply(const char *text, size_t len, const char *section,
			const struct config_change *changes, size_t n, struct kerr *err)
{
	if (check_changes(section, changes, n, err) != K_OK)
		return NULL;

	/* A byte order mark stays in front, outside the lines. */
	size_t bom = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	struct line *ls;
	size_t nl = split_lines(text + bom, len - bom, &ls);
	const char *eol = nl && strcmp(ls[0].eol, "\r\n") == 0 ? "\r\n" : "\n";

	bool prev_key = false, inside = false;
	int last_key = -1;
	int insert_after = -1; /* last line of the section's keys (last occurrence) */
	bool found = false;
	bool done[CHANGES_MAX] = {false};
	for (size_t i = 0; i < nl; i++) {
		classify(&ls[i], &prev_key, &last_key, (int)i);
		if (ls[i].kind == L_HEADER) {
			inside = strcmp(ls[i].name, section) == 0;
			if (inside) {
				found = true;
				insert_after = (int)i;
			}
			continue;
		}
		ls[i].in_section = inside;
		if (!inside)
			continue;
		if (ls[i].kind == L_KEY || ls[i].kind == L_CONT)
			insert_after = (int)i;
		if (ls[i].kind == L_CONT && ls[ls[i].key_line].drop)
			ls[i].drop = 1; /* the continued value is replaced too */
		if (ls[i].kind != L_KEY)
			continue;
		for (size_t c = 0; c < n; c++)
			if (strcmp(ls[i].name, changes[c].key) == 0) {
				ls[i].drop = changes[c].value ? 2 : 1; /* 2: rewritten */
				done[c] = true;
			}
	}

	struct buf out = {0};
	if (bom)
		buf_add(&out, text, bom);
	for (size_t i = 0; i < nl; i++) {
		const struct line *l = &ls[i];
		/* A last line without a line end gets one only when something follows it. */
		const char *end = *l->eol				   ? l->eol
				  : (i + 1 < nl || (int)i == insert_after) ? eol
									   : "";
		if (l->drop == 2) {
			const char *value = "";
			for (size_t c = 0; c < n; c++)
				if (strcmp(l->name, changes[c].key) == 0)
					value = changes[c].value;
			struct buf nline = {0};
			buf_add(&nline, l->s, l->value_at);
			if (l->value_at && !is_ws(l->s[l->value_at - 1]))
				buf_str(&nline, " ");
			buf_str(&nline, value);
			buf_add(&nline, l->s + l->comment_at, l->len - l->comment_at);
			if (nline.len > INI_LINE_MAX) {
				kerr_set(err, K_INVALID, l->name,
					 _("with its comment is longer than %d characters; shorten "
					   "the comment"),
					 INI_LINE_MAX);
				buf_free(&nline);
				buf_free(&out);
				free(ls);
				return NULL;
			}
			buf_add(&out, nline.p, nline.len);
			buf_str(&out, end);
			buf_free(&nline);
		} else if (l->drop == 0) {
			buf_add(&out, l->s, l->len);
			buf_str(&out, end);
		}
		if ((int)i == insert_after)
			for (size_t c = 0; c < n; c++)
				if (!done[c] && changes[c].value) {
					put_pair(&out, changes[c].key, changes[c].value, eol);
					done[c] = true;
				}
	}
	if (!found) {
		bool any = false;
		for (size_t c = 0; c < n; c++)
			any = any || changes[c].value;
		if (any) {
			if (out.len && out.p[out.len - 1] != '\n')
				buf_str(&out, eol);
			if (out.len > bom)
				buf_str(&out, eol);
			buf_str(&out, "[");
			buf_str(&out, section);
			buf_str(&out, "]");
			buf_str(&out, eol);
			for (size_t c = 0; c < n; c++)
				if (changes[c].value)
					put_pair(&out, changes[c].key, changes[c].value, eol);
		}
	}
	free(ls);
	return buf_take(&out);
}

/* ---- the file --------------------------------------------------------------- */

static kstatus make_parent(const char *path, struct kerr *err)
{
	char dir[PATH_MAX];
	if (!str_copy(dir, path, sizeof dir))
		return kerr_set(err, K_INVALID, "path", _("path too long: %s"), path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return K_OK;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return kerr_set(err, K_IO, "path", _("cannot create folder %s: %s"), dir,
					strerror(errno));
		*p = c;
		if (c == '\0')
			break;
	}
	return K_OK;
}

static kstatus read_all(const char *path, char **text, size_t *len, struct kerr *err)
{
	*text = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (errno == ENOENT)
			return K_NOTFOUND;
		return kerr_set(err, K_IO, "config", _("cannot read %s: %s"), path,
				strerror(errno));
	}
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			if (cap >= 16u * 1024u * 1024u) {
				fclose(f);
				free(buf);
				return kerr_set(
				    err, K_INVALID, "config",
				    _("%s is larger than 16 MiB; is it the right file?"), path);
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		return kerr_set(err, K_IO, "config", _("cannot read %s"), path);
	}
	*text = buf;
	*len = n;
	return K_OK;
}

static kstatus write_atomic(const char *path, const char *text, size_t len, struct kerr *err)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp)
		return kerr_set(err, K_INVALID, "path", _("path too long: %s"), path);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return kerr_set(err, K_IO, "config", _("cannot write next to %s: %s"), path,
				strerror(errno));
	bool ok = fchmod(fd, 0600) == 0;
	for (size_t off = 0; ok && off < len;) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			ok = false;
		else
			off += (size_t)w;
	}
	int saved = errno;
	if (ok && fsync(fd) != 0) {
		ok = false;
		saved = errno;
	}
	if (close(fd) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	if (ok && rename(tmp, path) != 0) {
		ok = false;
		saved = errno;
	}
	if (!ok) {
		unlink(tmp);
		return kerr_set(err, K_IO, "config", _("cannot write %s: %s"), path,
				strerror(saved));
	}
	/* The rename itself must survive a power cut. */
	char dir[PATH_MAX];
	str_copy(dir, path, sizeof dir);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		str_copy(dir, ".", sizeof dir);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return K_OK;
}

kstatus config_save_set(const char *path, const char *section, const struct config_change *changes,
			size_t n, struct kerr *err)
{
	char own[CONFIG_PATH_MAX];
	if (!path) {
		kstatus st = config_path(own, sizeof own, err);
		if (st != K_OK)
			return st;
		path = own;
	}
	/* Write through a symbolic link, so the link stays a link. */
	char real[PATH_MAX];
	if (realpath(path, real))
		path = real;
	char *text;
	size_t len;
	kstatus st = read_all(path, &text, &len, err);
	if (st == K_NOTFOUND) {
		st = make_parent(path, err);
		if (st != K_OK)
			return st;
	} else if (st != K_OK) {
		return st;
	}
	char *out = config_save_apply(text ? text : "", len, section, changes, n, err);
	if (text)
		explicit_bzero(text, len);
	free(text);
	if (!out)
		return K_INVALID;
	st = write_atomic(path, out, strlen(out), err);
	explicit_bzero(out, strlen(out));
	free(out);
	return st;
}

kstatus config_save_profile(const char *path, const char *profile,
			    const struct config_change *changes, size_t n, struct kerr *err)
{
	if (!profile || !valid_word(profile, CONFIG_NAME_MAX - 1) ||
	    strcmp(profile, "training") == 0)
		return kerr_set(err, K_INVALID, "profile", "%s",
				_("a profile name is 1-63 letters, digits, '.', '_' or '-' (not "
				  "\"training\")"));
	char section[CONFIG_NAME_MAX + 16];
	snprintf(section, sizeof section, "profile.%s", profile);
	return config_save_set(path, section, changes, n, err);
}

kstatus config_save_default_profile(const char *path, const char *profile, struct kerr *err)
{
	if (!profile || !valid_word(profile, CONFIG_NAME_MAX - 1))
		return kerr_set(err, K_INVALID, "default_profile", "%s",
				_("a profile name is 1-63 letters, digits, '.', '_' or '-'"));
	struct config_change c = {"default_profile", profile};
	return config_save_set(path, "kassa", &c, 1, err);
}
