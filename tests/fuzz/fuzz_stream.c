/* fuzz_stream — the diagnostic-stream reader of the pipeline commands, lenient and strict. */
#include "stream.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;

	snprintf(path, sizeof path, "/tmp/qy-fuzz-stream-%d.jsonl", (int)getpid());
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	char *inputs[] = {path};
	for (int lenient = 0; lenient < 2; lenient++) {
		struct stream in;
		struct record r;
		char tmp[64];
		stream_open(&in, inputs, 1, lenient);
		while (stream_next(&in, &r) > 0)
			if (r.type == REC_DIAGNOSTIC)
				record_ruleset(&r, tmp, sizeof tmp);
		stream_close(&in);
	}
	return 0;
}
