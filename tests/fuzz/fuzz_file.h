/* fuzz_file.h — for harnesses whose code under test reads a path: the input goes
 * to a temporary file named once per process. */
#ifndef FUZZ_FILE_H
#define FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static char fuzz_path[64];

/* Names the per-process file, e.g. fuzz_file_init("rules", "json"). */
static void fuzz_file_init(const char *name, const char *extension)
{
	snprintf(fuzz_path, sizeof fuzz_path, "/tmp/qy-fuzz-%s-%d.%s", name, (int)getpid(), extension);
}

/* Writes the input to the file and returns its path, or NULL when it cannot be written. */
static char *fuzz_file_write(const uint8_t *data, size_t size)
{
	FILE *f = fopen(fuzz_path, "wb");
	if (!f)
		return NULL;
	size_t written = fwrite(data, 1, size, f);
	if (fclose(f) != 0 || written != size)
		return NULL;
	return fuzz_path;
}

#endif
