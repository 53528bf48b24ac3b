/* fuzz_stream — the diagnostic-stream reader of the pipeline commands, lenient and strict. */
#include "stream.h"
#include "fuzz_file.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_file_init("stream", "jsonl");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = fuzz_file_write(data, size);
	if (!path)
		return 0;
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
