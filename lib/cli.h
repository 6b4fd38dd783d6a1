/* cli.h - the command line both binaries share: --help (the usage and the
 * current configuration, secrets masked), --version, --config, and their
 * own options as "--name VALUE" or "--name=VALUE". A bad argument prints
 * the problem and the usage only, never the configuration: stderr is the
 * log. */
#ifndef BAKERY_CLI_H
#define BAKERY_CLI_H

enum cli_type {
	CLI_STRING, /* *(const char **)dest = the value */
	CLI_INT,    /* *(int *)dest = a whole number in [min, max] */
};

struct cli_option {
	const char *name; /* "--listen" */
	enum cli_type type;
	int min, max;     /* CLI_INT only */
	void *dest;
	int *given;       /* set to 1 when the option appears; may be NULL */
};

struct cli {
	const char *program; /* "bakery-api" */
	const char *usage;   /* the usage lines and what the program does */
	const struct cli_option *options;
	int noptions;
};

/* Parses argv[1..argc) up to the first argument that is no option (its
 * index goes to *next; argc when none), storing the options. Returns -1 to
 * run on, or the status to exit with: 0 once --help, --version or --config
 * is answered, 2 after reporting a bad argument with the usage. */
int cli_parse(const struct cli *cli, int argc, char **argv, int *next);

/* Reports an argument the program does not take: the problem and the usage
 * on stderr. Returns 2, the exit status. */
int cli_bad_argument(const struct cli *cli, const char *arg);

#endif
