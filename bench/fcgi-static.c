/* fcgi-static.c - ceiling B of make bench (SPEC §9): the least a libfcgi
 * responder can do per request. N pre-forked processes accept on one
 * FastCGI socket, as bakery-api's pool does, and answer every request with
 * the bytes of one file, read once at start and held in memory, with the
 * headers bakery-api sends for the listing.
 *
 *   fcgi-static SOCKET FILE PROCESSES
 *
 * It runs until SIGTERM or SIGINT; the children die with the parent. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#define MAX_PROCESSES 256
#define BODY_MAX (16 * 1024 * 1024)

/* The whole file, malloc'd (never freed: it lives as long as the process). */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (f == NULL)
		return NULL;
	buf = malloc(BODY_MAX);
	*len = buf ? fread(buf, 1, BODY_MAX, f) : 0;
	fclose(f);
	return buf;
}

static int serve(int fd, const char *head, size_t head_len, const char *body, size_t len)
{
	FCGX_Request req;

	if (FCGX_InitRequest(&req, fd, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(head, (int)head_len, req.out);
		FCGX_PutStr(body, (int)len, req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}

int main(int argc, char **argv)
{
	char head[256];
	size_t len;
	int n, fd, head_len;
	char *body;

	if (argc != 4 || (n = atoi(argv[3])) < 1 || n > MAX_PROCESSES) {
		fprintf(stderr, "usage: fcgi-static SOCKET FILE PROCESSES(1-%d)\n", MAX_PROCESSES);
		return 2;
	}
	body = read_file(argv[2], &len);
	if (body == NULL) {
		fprintf(stderr, "fcgi-static: cannot read %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	head_len = snprintf(head, sizeof(head),
			    "Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
			    "Cache-Control: no-cache\r\nContent-Length: %zu\r\n\r\n", len);
	unlink(argv[1]);
	if (FCGX_Init() != 0 || (fd = FCGX_OpenSocket(argv[1], 1024)) < 0) {
		fprintf(stderr, "fcgi-static: cannot listen on %s\n", argv[1]);
		return 1;
	}
	chmod(argv[1], 0666);
	/* libfcgi catches SIGTERM to end its accept loop politely; this one
	 * just goes, children (PR_SET_PDEATHSIG) with the parent. */
	signal(SIGTERM, SIG_DFL);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			return serve(fd, head, (size_t)head_len, body, len);
		}
		if (pid < 0)
			perror("fcgi-static: fork");
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
