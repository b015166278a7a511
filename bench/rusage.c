/*
 * rusage — run a command, then write its CPU time and peak RSS to a file.
 *
 *   rusage OUT CMD [ARG...]
 *
 * OUT gets one line, from wait4() on CMD's process:
 *   cpu_user_s=U cpu_sys_s=S peak_rss_kb=R exit=E
 * U and S are the user and system CPU of the whole process (and of any
 * children it waited for); R is its ru_maxrss. Linux counts in ru_maxrss the
 * memory the child had before exec(), a copy of this launcher's, which is why
 * the launcher is this small C program and not a script: its few hundred KiB
 * are below any client's own peak. SIGINT and SIGTERM are passed on to CMD.
 *
 * Exit status: CMD's (128 + the signal's number when a signal ended it),
 * 127 when CMD cannot be run, 2 on bad arguments, 1 when OUT cannot be
 * written.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct rusage ru;
	int status, rc;
	FILE *f;

	if (argc < 3) {
		fputs("usage: rusage OUT CMD [ARG...]\n", stderr);
		return 2;
	}
	child = fork();
	if (child < 0) {
		fprintf(stderr, "rusage: fork: %s\n", strerror(errno));
		return 1;
	}
	if (child == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "rusage: cannot run %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = forward;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (wait4(child, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "rusage: wait4: %s\n", strerror(errno));
			return 1;
		}
	}
	rc = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	f = fopen(argv[1], "w");
	if (!f) {
		fprintf(stderr, "rusage: cannot write %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	fprintf(f, "cpu_user_s=%.6f cpu_sys_s=%.6f peak_rss_kb=%ld exit=%d\n",
		(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
		ru.ru_maxrss, rc);
	if (fclose(f)) {
		fprintf(stderr, "rusage: cannot write %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	return rc;
}
