/* fuzz_ruleset — the rule-set loader on arbitrary JSON (written to a file, as it is read). */
#include "ruleset.h"
#include "fuzz_file.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_file_init("rules", "json");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file_write(data, size);
	if (path)
		ruleset_free(ruleset_load(path));
	return 0;
}
