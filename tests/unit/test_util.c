/* SPDX-License-Identifier: MIT */
/*
 * The bounded whole-file reader: a regular file's bytes up to the limit, and a clear
 * reason for everything else (missing, not regular, too large, shrank).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "testutil.h"

static char dir[] = "/tmp/hvkvm-test-util-XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/tmp/hvkvm-test-util-XXXXXX");
}

/* dir/name with len bytes 0, 1, 2, ... (mod 251); its path in a static buffer. */
static const char *make_file(const char *name, size_t len)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < len; i++)
		fputc((int)(i % 251), f);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

START_TEST(reads_whole_file_up_to_the_limit)
{
	const size_t sizes[] = { 0, 1, 4095, 4096, 65537, 1u << 20 };
	char err[128];

	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		const char *path = make_file("f", sizes[s]);
		uint8_t *buf = NULL;
		size_t len = 12345;

		/* At exactly the limit, and far below it. */
		ck_assert_int_eq(util_read_file(path, sizes[s], &buf, &len, err, sizeof(err)), 0);
		ck_assert_uint_eq(len, sizes[s]);
		for (size_t i = 0; i < len; i++)
			ck_assert_uint_eq(buf[i], i % 251);
		ck_assert_uint_eq(buf[len], 0);	/* the terminating 0 past the data */
		free(buf);
		buf = NULL;
		ck_assert_int_eq(util_read_file(path, 64u << 20, &buf, &len, err, sizeof(err)), 0);
		ck_assert_uint_eq(len, sizes[s]);
		free(buf);
	}
}
END_TEST

START_TEST(too_large_by_one_byte)
{
	const char *path = make_file("big", 4097);
	uint8_t *buf = (uint8_t *)"untouched";
	size_t len = 7;
	char err[128];

	ck_assert_int_eq(util_read_file(path, 4096, &buf, &len, err, sizeof(err)), -EFBIG);
	ck_assert_str_eq(err, "larger than 4 KiB");
	ck_assert_str_eq((char *)buf, "untouched");
	ck_assert_uint_eq(len, 7);
	path = make_file("big", (2u << 20) + 1);
	ck_assert_int_eq(util_read_file(path, 2u << 20, &buf, &len, err, sizeof(err)), -EFBIG);
	ck_assert_str_eq(err, "larger than 2 MiB");
	ck_assert_int_eq(util_read_file(path, 1000, &buf, &len, err, sizeof(err)), -EFBIG);
	ck_assert_str_eq(err, "larger than 1000 bytes");
}
END_TEST

START_TEST(missing_and_not_regular)
{
	char path[300], err[128];
	uint8_t *buf = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/none", dir);
	ck_assert_int_eq(util_read_file(path, 4096, &buf, &len, err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, strerror(ENOENT));
	ck_assert_int_eq(util_read_file(dir, 4096, &buf, &len, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "not a regular file");
	/* A FIFO without a writer: refused at once, not waited on. */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(util_read_file(path, 4096, &buf, &len, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "not a regular file");
	ck_assert_ptr_null(buf);
}
END_TEST

/* From a descriptor: from offset 0 whatever its position, which stays as it was. */
START_TEST(from_fd_into_callers_buffer)
{
	const char *path = make_file("fd", 3000);
	uint8_t buf[4096], *abuf;
	size_t len;
	char err[128];
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(lseek(fd, 100, SEEK_SET), 100);
	memset(buf, 0xee, sizeof(buf));
	ck_assert_int_eq(util_read_fd(fd, buf, sizeof(buf), &len, err, sizeof(err)), 0);
	ck_assert_uint_eq(len, 3000);
	ck_assert_uint_eq(buf[0], 0);
	ck_assert_uint_eq(buf[2999], 2999 % 251);
	ck_assert_uint_eq(buf[3000], 0xee);	/* nothing past the file */
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 100);
	ck_assert_int_eq(util_read_fd(fd, buf, 2999, &len, err, sizeof(err)), -EFBIG);
	ck_assert_int_eq(util_read_fd_alloc(fd, 3000, &abuf, &len, err, sizeof(err)), 0);
	ck_assert_uint_eq(len, 3000);
	ck_assert_int_eq(memcmp(abuf, buf, 3000), 0);
	free(abuf);
	/* A descriptor that cannot be read: the read's own error. */
	close(fd);
	fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(util_read_fd(fd, buf, sizeof(buf), &len, err, sizeof(err)), -EBADF);
	ck_assert_str_eq(err, strerror(EBADF));
	close(fd);
	ck_assert_int_eq(util_read_fd(-1, buf, sizeof(buf), &len, err, sizeof(err)), -EBADF);
}
END_TEST

/* No room for a message: the error code alone. */
START_TEST(empty_error_buffer_is_fine)
{
	uint8_t *buf;
	size_t len;

	ck_assert_int_eq(util_read_file(dir, 4096, &buf, &len, NULL, 0), -EINVAL);
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("read_file");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, reads_whole_file_up_to_the_limit);
	tcase_add_test(tc, too_large_by_one_byte);
	tcase_add_test(tc, missing_and_not_regular);
	tcase_add_test(tc, from_fd_into_callers_buffer);
	tcase_add_test(tc, empty_error_buffer_is_fine);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(util_suite());
}
