/* config_table.c - prints the configuration table of lib/config.c as the
 * Markdown table README.md shows (`make readme-config` puts it there;
 * t/11-readme-config.t checks it is the same). */
#include <stdio.h>

#include "config.h"

int main(void)
{
	config_print_markdown(stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}
