/* cli.c - the shared command line of bakery-api and bakery-worker (cli.h). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#ifndef BAKERY_VERSION
#define BAKERY_VERSION "0.1.0"
#endif

int cli_bad_argument(const struct cli *cli, const char *arg)
{
	fprintf(stderr, "%s: unknown argument %s\n%s", cli->program, arg, cli->usage);
	return 2;
}

/* Stores one option's value: 0, or -1 after saying what is wrong. */
static int set_value(const struct cli *cli, const struct cli_option *o, const char *value)
{
	char *end;
	long n;

	if (o->type == CLI_STRING && value && *value) {
		*(const char **)o->dest = value;
		return 0;
	}
	n = value ? strtol(value, &end, 10) : 0;
	if (o->type == CLI_INT && value && *value >= '0' && *value <= '9' && *end == '\0' &&
	    n >= o->min && n <= o->max) {
		*(int *)o->dest = (int)n;
		return 0;
	}
	if (o->type == CLI_INT)
		fprintf(stderr, "%s: %s needs a number from %d to %d\n%s", cli->program, o->name,
			o->min, o->max, cli->usage);
	else
		fprintf(stderr, "%s: %s needs a value\n%s", cli->program, o->name, cli->usage);
	return -1;
}

/* The option argv[*i] names, reading its value (advancing *i past a
 * separate one): 1 stored, 0 not an option of cli, -1 a bad value. */
static int take_option(const struct cli *cli, int argc, char **argv, int *i)
{
	const char *a = argv[*i];

	for (int k = 0; k < cli->noptions; k++) {
		const struct cli_option *o = &cli->options[k];
		size_t len = strlen(o->name);
		const char *value = NULL;

		if (strncmp(a, o->name, len) != 0 || (a[len] != '\0' && a[len] != '='))
			continue;
		if (a[len] == '=')
			value = a + len + 1;
		else if (*i + 1 < argc)
			value = argv[++*i];
		if (set_value(cli, o, value) < 0)
			return -1;
		if (o->given)
			*o->given = 1;
		return 1;
	}
	return 0;
}

int cli_parse(const struct cli *cli, int argc, char **argv, int *next)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		int rc;

		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("%s\nEnvironment (current values):\n", cli->usage);
			config_print(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("%s %s\n", cli->program, BAKERY_VERSION);
			return 0;
		}
		if (strcmp(argv[i], "--config") == 0) {
			config_print(stdout);
			return 0;
		}
		rc = take_option(cli, argc, argv, &i);
		if (rc < 0)
			return 2;
		if (rc == 0)
			return cli_bad_argument(cli, argv[i]);
	}
	*next = i;
	return -1;
}
