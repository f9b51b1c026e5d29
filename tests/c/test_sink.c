/*
 * Opening the log (sink.c): a planted symbolic link is refused and its target left alone; an
 * existing regular file is replaced by a new owner-only file (never truncated or chmodded in
 * place: a hard link to it keeps its bytes and mode); a device is written as is; a relative
 * path is resolved when the session opens.
 */
#include <errno.h>
#include <sys/stat.h>

#include "argtrace/atr.h"
#include "atr_test.h"

static char g_path[512];
static char g_target[512];

static int open_session(const char *path, atr_session **s) {
    atr_writer_config cfg;
    atr_writer_config_init(&cfg);
    cfg.path = path;
    return atr_session_open(&cfg, s);
}

static void write_file(const char *path, const char *text, mode_t mode) {
    FILE *f = fopen(path, "w");
    ATR_REQUIRE(f != NULL);
    fputs(text, f);
    fclose(f);
    ATR_REQUIRE(chmod(path, mode) == 0);
}

static int file_is(const char *path, const char *text, mode_t mode) {
    struct stat st;
    size_t n = 0;
    uint8_t *b = atr_test_read_file(path, &n);
    int ok = b && n == strlen(text) && memcmp(b, text, n) == 0 && stat(path, &st) == 0 &&
             (st.st_mode & 0777) == mode;
    free(b);
    return ok;
}

static void test_symlink_refused(void) {
    atr_session *s = NULL;
    write_file(g_target, "precious", 0644);
    unlink(g_path);
    ATR_REQUIRE(symlink(g_target, g_path) == 0);
    errno = 0;
    ATR_CHECK_ERR(open_session(g_path, &s), ATR_EOPEN);
    ATR_CHECK_EQ_INT(errno, ELOOP);
    ATR_CHECK(s == NULL);
    ATR_CHECK(file_is(g_target, "precious", 0644)); /* not truncated, not chmodded */
    unlink(g_path);
    unlink(g_target);
}

static void test_existing_file_replaced(void) {
    atr_session *s = NULL;
    struct stat st;
    write_file(g_path, "old log", 0644);
    unlink(g_target);
    ATR_REQUIRE(link(g_path, g_target) == 0); /* someone else's name for the same file */
    ATR_REQUIRE(open_session(g_path, &s) == 0);
    ATR_CHECK_OK(atr_session_close(s));
    ATR_CHECK(file_is(g_target, "old log", 0644)); /* the old inode is untouched */
    ATR_CHECK(stat(g_path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_nlink == 1);
    ATR_CHECK(st.st_size > 16);
    unlink(g_path);
    unlink(g_target);
}

static void test_device_written_as_is(void) {
    atr_session *s = NULL;
    struct stat before, after;
    ATR_REQUIRE(stat("/dev/null", &before) == 0);
    ATR_REQUIRE(open_session("/dev/null", &s) == 0);
    ATR_CHECK_OK(atr_session_close(s));
    ATR_CHECK(stat("/dev/null", &after) == 0 && S_ISCHR(after.st_mode));
    ATR_CHECK_EQ_INT((int)(after.st_mode & 07777), (int)(before.st_mode & 07777));
}

static void test_directory_refused(void) {
    atr_session *s = NULL;
    errno = 0;
    ATR_CHECK_ERR(open_session("/", &s), ATR_EOPEN);
    ATR_CHECK_EQ_INT(errno, EISDIR);
}

static void test_relative_path_resolved_at_open(void) {
    atr_session *s = NULL;
    char cwd[1024], want[1100];
    const char *base = strrchr(g_path, '/') + 1;
    ATR_REQUIRE(getcwd(cwd, sizeof cwd) != NULL);
    *strrchr(g_path, '/') = '\0';
    ATR_REQUIRE(chdir(g_path) == 0);
    snprintf(want, sizeof want, "%s/%s", g_path, base);
    g_path[strlen(g_path)] = '/';
    unlink(g_path);
    ATR_REQUIRE(open_session(base, &s) == 0);
    ATR_REQUIRE(chdir("/") == 0);
    ATR_CHECK_EQ_STR(atr_session_path(s), want);
    ATR_CHECK_OK(atr_session_close(s));
    ATR_CHECK(access(g_path, F_OK) == 0);
    ATR_REQUIRE(chdir(cwd) == 0);
    unlink(g_path);
}

int main(void) {
    atr_test_tmpfile(g_path, sizeof g_path - 4, "test_sink");
    strcat(g_path, ".atr");
    atr_test_tmpfile(g_target, sizeof g_target - 7, "test_sink_target");
    test_symlink_refused();
    test_existing_file_replaced();
    test_device_written_as_is();
    test_directory_refused();
    test_relative_path_resolved_at_open();
    ATR_TEST_MAIN_END();
}
