/* rulefiles.c — confining and bounding what rule sets read from disk. */
#include "rulefiles.h"
#include "platform.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *ref_dir;
static uint64_t max_size = RULEFILES_MAX_SIZE;

void rulefiles_set_ref_dir(const char *dir) { ref_dir = dir; }
const char *rulefiles_ref_dir(void) { return ref_dir; }
void rulefiles_set_max_size(uint64_t bytes) { max_size = bytes; }
uint64_t rulefiles_max_size(void) { return max_size; }

/* What kind of file a mode is, for a refusal: "a FIFO", "a directory", … */
static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "a special file";
}

int rulefiles_open(const char *path, char *why, size_t whylen)
{
	/* O_NONBLOCK: opening a FIFO with no writer must not wait for one */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	if (fd < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s, not a regular file", file_kind(st.st_mode));
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > max_size) {
		snprintf(why, whylen, "%llu bytes, more than --max-ref-size (%llu)",
			 (unsigned long long)st.st_size, (unsigned long long)max_size);
		close(fd);
		return -1;
	}
	return fd;
}

char *rulefiles_read(const char *path, size_t *len, char *why, size_t whylen)
{
	int fd = rulefiles_open(path, why, whylen);
	if (fd < 0)
		return NULL;
	struct buf b = {0};
	char chunk[65536];
	ssize_t n;
	buf_add(&b, "", 0);
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, whylen, "%s", strerror(errno));
			break;
		}
		if (b.len + (size_t)n > max_size) { /* it grew after it was opened */
			snprintf(why, whylen, "grew past --max-ref-size (%llu bytes) while it was read",
				 (unsigned long long)max_size);
			n = -1;
			break;
		}
		buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	if (n < 0) {
		buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return b.data;
}

/* True if path (resolved) is dir (resolved) or lies below it; a root ("/", "C:/") ends in '/'. */
static bool is_inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n > 0 && dir[n - 1] == '/')
		return strncmp(path, dir, n) == 0;
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* True if path (resolved) lies inside one of the roots. */
static bool inside_a_root(const char *path, const char *const *roots, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *dir = roots[i] ? platform_realpath(roots[i]) : NULL;
		bool inside = dir && is_inside(path, dir);
		free(dir);
		if (inside)
			return true;
	}
	return false;
}

/* Writes the list of roots into why after a lead text. */
static void name_roots(char *why, size_t whylen, const char *lead, const char *const *roots, size_t n)
{
	struct buf b = {0};
	buf_adds(&b, lead);
	for (size_t i = 0, k = 0; i < n; i++) {
		if (!roots[i])
			continue;
		buf_addf(&b, "%s%s", k == 0 ? "" : i + 1 == n ? " or " : ", ", roots[i]);
		k++;
	}
	snprintf(why, whylen, "%s", b.data);
	buf_free(&b);
}

bool rulefiles_resolve(const char *const *roots, size_t n, const char *name, struct buf *out,
		       char *why, size_t whylen)
{
	if (platform_is_absolute(name)) {
		name_roots(why, whylen, "an absolute path is not allowed: name a file inside ", roots, n);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!roots[i])
			continue;
		struct buf joined = {0};
		buf_addf(&joined, "%s/%s", roots[i], name);
		char *real = platform_realpath(joined.data);
		int err = errno;
		buf_free(&joined);
		if (!real && (err == ENOENT || err == ENOTDIR))
			continue;
		if (!real) {
			snprintf(why, whylen, "%s", strerror(err));
			return false;
		}
		bool inside = inside_a_root(real, roots, n);
		if (inside) {
			buf_reset(out);
			buf_adds(out, real);
		} else {
			name_roots(why, whylen, "leads (through '..' or a symlink) outside ", roots, n);
		}
		free(real);
		return inside;
	}
	name_roots(why, whylen, "no such file in ", roots, n);
	return false;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

long rulefiles_list(const char *dir, char ***names)
{
	*names = NULL;
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
			*names = xrealloc(*names, (n + 1) * sizeof **names);
			(*names)[n++] = xstrdup(e->d_name);
		}
	}
	closedir(d);
	sort_items(*names, n, sizeof **names, compare_names);
	return (long)n;
}
