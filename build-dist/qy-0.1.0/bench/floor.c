/*
 * floor — the throughput floor: libcsv parsing a file in 1 MiB chunks with
 * empty callbacks.  qy-check's speed is reported as a ratio to this.
 */
#include <csv.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void on_field(void *s, size_t len, void *data) { (void)s, (void)len, (void)data; }
static void on_row(int c, void *data) { (void)c, (void)data; }

int main(int argc, char **argv)
{
	static char chunk[1 << 20];
	struct csv_parser p;
	int fd = argc > 1 ? open(argv[1], O_RDONLY) : 0;
	if (fd < 0 || csv_init(&p, 0) != 0)
		return 2;
	ssize_t n;
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		if (csv_parse(&p, chunk, (size_t)n, on_field, on_row, NULL) != (size_t)n)
			return 2;
	csv_fini(&p, on_field, on_row, NULL);
	csv_free(&p);
	return 0;
}
