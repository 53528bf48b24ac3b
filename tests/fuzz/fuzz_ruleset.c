/* fuzz_ruleset — the rule-set loader on arbitrary JSON (written to a file, as it is read). */
#include "ruleset.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;

	snprintf(path, sizeof path, "/tmp/qy-fuzz-rules-%d.json", (int)getpid());
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	ruleset_free(ruleset_load(path));
	return 0;
}
