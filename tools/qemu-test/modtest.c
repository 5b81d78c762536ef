// SPDX-License-Identifier: GPL-2.0
/*
 * modtest: loads modules with init_module(2) and finit_module(2) inside the
 * test kernel and checks the exact result, printing TAP and a closing
 * "N passed, N failed" line.
 *
 * Usage: modtest CASEFILE...
 *
 * Each line of a case file is one check (blank lines and # comments skipped):
 *
 *   load   INIT FINIT PATH DESCRIPTION...
 *	INIT and FINIT are the expected results of init_module with the file's
 *	bytes and of finit_module on it: "ok", an errno name (EKEYREJECTED,
 *	EBADMSG, EPERM, ...) or "-" to skip that call. A module that loads is
 *	unloaded again, so the next line can load it once more.
 *   cload  FINIT PATH DESCRIPTION...
 *	finit_module with MODULE_INIT_COMPRESSED_FILE (the kernel decompresses).
 *   mangled FINIT PATH DESCRIPTION...
 *	finit_module with MODULE_INIT_IGNORE_VERMAGIC: the trailer must not
 *	be trusted.
 *   taint  0|1 DESCRIPTION...
 *	whether TAINT_UNSIGNED_MODULE (E) is set now.
 *   sh     STATUS COMMAND...
 *	runs COMMAND with /bin/sh -c and expects its exit status.
 *   timeload ROUNDS PATH...
 *	for the benchmark: ROUNDS times, loads every PATH in order with
 *	finit_module and unloads them in reverse order; prints the time the
 *	loads took. Every load and unload must succeed.
 *   stress PROCS ROUNDS SPEC...
 *	PROCS processes load concurrently, ROUNDS times each, every module
 *	of the SPECs that concern them, alternating init_module and
 *	finit_module. SPEC is WORKER:EXPECT:PATH[:NAME]: WORKER a process
 *	number or "*" for all; a module that loads is unloaded by NAME at
 *	once, so give each process its own good module. One result line per
 *	process: every load gave the expected result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MODULE_INIT_IGNORE_VERMAGIC
#define MODULE_INIT_IGNORE_VERMAGIC 2
#endif
#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

#define TAINT_UNSIGNED_MODULE 13
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int tests, failures;

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{ "EKEYREJECTED", EKEYREJECTED }, { "EBADMSG", EBADMSG },
	{ "EPERM", EPERM }, { "ENOKEY", ENOKEY }, { "ENOPKG", ENOPKG },
	{ "ENODATA", ENODATA }, { "ENOEXEC", ENOEXEC }, { "EEXIST", EEXIST },
	{ "EINVAL", EINVAL }, { "ENOENT", ENOENT }, { "EFAULT", EFAULT },
	{ "EKEYEXPIRED", EKEYEXPIRED }, { "ENOMEM", ENOMEM },
	{ "EOPNOTSUPP", EOPNOTSUPP }, { "EACCES", EACCES },
};

static const char *errno_name(int e)
{
	static char buf[32];
	size_t i;

	if (e == 0)
		return "ok";
	for (i = 0; i < ARRAY_SIZE(errnos); i++)
		if (errnos[i].value == e)
			return errnos[i].name;
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

/* Returns 0 for "ok", the errno for a name, -1 if unknown. */
static int parse_expect(const char *s)
{
	size_t i;

	if (!strcmp(s, "ok"))
		return 0;
	for (i = 0; i < ARRAY_SIZE(errnos); i++)
		if (!strcmp(errnos[i].name, s))
			return errnos[i].value;
	return -1;
}

static void report(int ok, const char *what, const char *desc,
		   const char *detail)
{
	tests++;
	if (!ok)
		failures++;
	printf("%sok %d - %s: %s%s%s\n", ok ? "" : "not ", tests, what, desc,
	       detail ? " # " : "", detail ? detail : "");
	fflush(stdout);
}

/* The names in /proc/modules as "\nname1\nname2\n" into buf. */
static void module_names(char *buf, size_t size)
{
	FILE *f = fopen("/proc/modules", "r");
	char line[512];
	size_t used = 1;

	buf[0] = '\n';
	buf[1] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, " ");

		if (used + n + 2 >= size)
			break;
		memcpy(buf + used, line, n);
		used += n;
		buf[used++] = '\n';
		buf[used] = '\0';
	}
	fclose(f);
}

/* Unloads every module that is in /proc/modules now but not in before. */
static void unload_new(const char *before)
{
	char now[8192], *line, *save;

	module_names(now, sizeof(now));
	for (line = strtok_r(now, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char key[300];

		snprintf(key, sizeof(key), "\n%s\n", line);
		if (!strstr(before, key) &&
		    syscall(SYS_delete_module, line, O_NONBLOCK) != 0)
			printf("# cannot unload %s: %s\n", line, strerror(errno));
	}
}

static int read_file(const char *path, void **data, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	*len = st.st_size;
	*data = malloc(*len ? *len : 1);
	if (!*data || read(fd, *data, *len) != (ssize_t)*len) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Runs one load and compares the result with the expected errno. */
static void check_load(const char *what, int expect, const char *path,
		       const char *desc, int use_finit, int flags)
{
	char before[8192], detail[256];
	int ret, err;

	module_names(before, sizeof(before));
	if (use_finit) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			snprintf(detail, sizeof(detail), "open %s: %s", path,
				 strerror(errno));
			report(0, what, desc, detail);
			return;
		}
		ret = syscall(SYS_finit_module, fd, "", flags);
		err = ret ? errno : 0;
		close(fd);
	} else {
		void *data;
		size_t len;

		if (read_file(path, &data, &len)) {
			snprintf(detail, sizeof(detail), "read %s: %s", path,
				 strerror(errno));
			report(0, what, desc, detail);
			return;
		}
		ret = syscall(SYS_init_module, data, len, "");
		err = ret ? errno : 0;
		free(data);
	}
	if (!err)
		unload_new(before);
	snprintf(detail, sizeof(detail), "expected %s, got %s",
		 errno_name(expect), errno_name(err));
	report(err == expect, what, desc, err == expect ? NULL : detail);
}

static int tainted_unsigned(void)
{
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");
	unsigned long taint = 0;

	if (f) {
		if (fscanf(f, "%lu", &taint) != 1)
			taint = 0;
		fclose(f);
	}
	return !!(taint & (1UL << TAINT_UNSIGNED_MODULE));
}

#define MAX_SPECS 16

struct stress_spec {
	int worker;	/* -1: every worker */
	int expect;
	const char *path, *name;
	void *data;
	size_t len;
};

/* One worker of a stress line; returns the number of unexpected results. */
static int stress_worker(int w, int rounds, struct stress_spec *specs,
			 int nspecs)
{
	int r, i, bad = 0;

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < nspecs; i++) {
			struct stress_spec *sp = &specs[i];
			int use_finit = (r + i + w) % 2, ret, err;

			if (sp->worker >= 0 && sp->worker != w)
				continue;
			if (use_finit) {
				int fd = open(sp->path, O_RDONLY | O_CLOEXEC);

				ret = syscall(SYS_finit_module, fd, "", 0);
				err = ret ? errno : 0;
				close(fd);
			} else {
				ret = syscall(SYS_init_module, sp->data, sp->len, "");
				err = ret ? errno : 0;
			}
			if (err != sp->expect) {
				if (bad++ < 5)
					printf("# worker %d round %d %s(%s): expected %s, got %s\n",
					       w, r, use_finit ? "finit_module" : "init_module",
					       sp->path, errno_name(sp->expect), errno_name(err));
				continue;
			}
			if (!err && syscall(SYS_delete_module, sp->name, O_NONBLOCK)) {
				if (bad++ < 5)
					printf("# worker %d round %d: cannot unload %s: %s\n",
					       w, r, sp->name, strerror(errno));
			}
		}
	}
	return bad;
}

static void run_stress(char *save)
{
	struct stress_spec specs[MAX_SPECS];
	char *procs_s = strtok_r(NULL, " \t", &save);
	char *rounds_s = strtok_r(NULL, " \t", &save);
	char *tok, detail[128];
	int procs, rounds, nspecs = 0, w, i;
	pid_t pids[64];

	if (!procs_s || !rounds_s)
		goto bad;
	procs = atoi(procs_s);
	rounds = atoi(rounds_s);
	if (procs < 1 || procs > 64 || rounds < 1)
		goto bad;
	while ((tok = strtok_r(NULL, " \t\n", &save))) {
		struct stress_spec *sp = &specs[nspecs];
		char *f_save, *worker = strtok_r(tok, ":", &f_save);
		char *expect = strtok_r(NULL, ":", &f_save);

		if (nspecs == MAX_SPECS || !worker || !expect)
			goto bad;
		sp->path = strtok_r(NULL, ":", &f_save);
		sp->name = strtok_r(NULL, ":", &f_save);
		sp->worker = strcmp(worker, "*") ? atoi(worker) : -1;
		sp->expect = parse_expect(expect);
		if (!sp->path || sp->expect < 0 || (!sp->expect && !sp->name) ||
		    read_file(sp->path, &sp->data, &sp->len))
			goto bad;
		nspecs++;
	}
	for (w = 0; w < procs; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			int bad = stress_worker(w, rounds, specs, nspecs);

			fflush(stdout);
			_exit(bad ? 1 : 0);
		}
	}
	for (w = 0; w < procs; w++) {
		int status = 0, loads = 0;

		waitpid(pids[w], &status, 0);
		for (i = 0; i < nspecs; i++)
			if (specs[i].worker < 0 || specs[i].worker == w)
				loads += rounds;
		snprintf(detail, sizeof(detail),
			 "worker %d of %d: %d loads as expected", w, procs, loads);
		report(WIFEXITED(status) && WEXITSTATUS(status) == 0, "stress",
		       detail, NULL);
	}
	return;
bad:
	report(0, "case file", "stress", "malformed line");
}

/* The module name of PATH: its file name up to the first dot, '-' as '_'. */
static void module_name_of(const char *path, char *name, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t i;

	base = base ? base + 1 : path;
	for (i = 0; i + 1 < size && base[i] && base[i] != '.'; i++)
		name[i] = base[i] == '-' ? '_' : base[i];
	name[i] = '\0';
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#define MAX_TIMED 32

static void run_timeload(char *save)
{
	char *rounds_s = strtok_r(NULL, " \t", &save), *paths[MAX_TIMED];
	char name[64], detail[160];
	long long loading = 0, t0;
	int rounds, n = 0, r, i, failed = 0;

	while (n < MAX_TIMED && (paths[n] = strtok_r(NULL, " \t\n", &save)))
		n++;
	rounds = rounds_s ? atoi(rounds_s) : 0;
	if (rounds < 1 || n == 0) {
		report(0, "case file", "timeload", "malformed line");
		return;
	}
	for (r = 0; r < rounds && !failed; r++) {
		for (i = 0; i < n && !failed; i++) {
			int fd = open(paths[i], O_RDONLY | O_CLOEXEC);

			t0 = now_ns();
			if (fd < 0 || syscall(SYS_finit_module, fd, "", 0)) {
				printf("# timeload: %s: %s\n", paths[i], strerror(errno));
				failed = 1;
			}
			loading += now_ns() - t0;
			if (fd >= 0)
				close(fd);
		}
		for (i = n - 1; i >= 0; i--) {
			module_name_of(paths[i], name, sizeof(name));
			if (syscall(SYS_delete_module, name, O_NONBLOCK) && !failed) {
				printf("# timeload: cannot unload %s: %s\n", name,
				       strerror(errno));
				failed = 1;
			}
		}
	}
	snprintf(detail, sizeof(detail),
		 "%d modules x %d rounds: %lld us loading, %lld us per load",
		 n, rounds, loading / 1000, loading / 1000 / ((long long)n * rounds));
	report(!failed, "timeload", detail, NULL);
}

static void run_line(char *line)
{
	char *save, *kind = strtok_r(line, " \t\n", &save);
	char *a, *b, *path, *desc;

	if (!kind || kind[0] == '#')
		return;
	if (!strcmp(kind, "load")) {
		a = strtok_r(NULL, " \t", &save);
		b = strtok_r(NULL, " \t", &save);
		path = strtok_r(NULL, " \t", &save);
		desc = strtok_r(NULL, "\n", &save);
		if (!a || !b || !path || !desc)
			goto bad;
		if (strcmp(a, "-")) {
			if (parse_expect(a) < 0)
				goto bad;
			check_load("init_module", parse_expect(a), path, desc,
				   0, 0);
		}
		if (strcmp(b, "-")) {
			if (parse_expect(b) < 0)
				goto bad;
			check_load("finit_module", parse_expect(b), path, desc,
				   1, 0);
		}
	} else if (!strcmp(kind, "cload") || !strcmp(kind, "mangled")) {
		int flags = kind[0] == 'c' ? MODULE_INIT_COMPRESSED_FILE :
					     MODULE_INIT_IGNORE_VERMAGIC;

		a = strtok_r(NULL, " \t", &save);
		path = strtok_r(NULL, " \t", &save);
		desc = strtok_r(NULL, "\n", &save);
		if (!a || !path || !desc || parse_expect(a) < 0)
			goto bad;
		check_load(kind[0] == 'c' ? "finit_module(COMPRESSED_FILE)" :
					    "finit_module(IGNORE_VERMAGIC)",
			   parse_expect(a), path, desc, 1, flags);
	} else if (!strcmp(kind, "taint")) {
		a = strtok_r(NULL, " \t", &save);
		desc = strtok_r(NULL, "\n", &save);
		if (!a || !desc)
			goto bad;
		report(tainted_unsigned() == atoi(a), "taint E", desc, NULL);
	} else if (!strcmp(kind, "timeload")) {
		run_timeload(save);
	} else if (!strcmp(kind, "stress")) {
		run_stress(save);
	} else if (!strcmp(kind, "sh")) {
		int status;

		a = strtok_r(NULL, " \t", &save);
		desc = strtok_r(NULL, "\n", &save);
		if (!a || !desc)
			goto bad;
		status = system(desc);
		status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		report(status == atoi(a), "sh", desc, NULL);
	} else {
		goto bad;
	}
	return;
bad:
	report(0, "case file", kind, "malformed line");
}

int main(int argc, char **argv)
{
	char line[1024];
	int i;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");

		if (!f) {
			report(0, "case file", argv[i], strerror(errno));
			continue;
		}
		while (fgets(line, sizeof(line), f))
			run_line(line);
		fclose(f);
	}
	printf("1..%d\n", tests);
	printf("%d passed, %d failed\n", tests - failures, failures);
	return failures ? 1 : 0;
}
