/* loopscope check: not built yet (see README.md, "What works today"). */
#include "cli/cli.h"

int cmd_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("'check' is not built yet in this version (README.md: what works today)");
	return EXIT_USAGE;
}
