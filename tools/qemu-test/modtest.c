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
	{ "EOPNOTSUPP", EOPNOTSUPP },
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
