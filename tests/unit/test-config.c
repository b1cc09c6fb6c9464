/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "audit.h"
#include "config.h"
#include "macro.h"

#include "config-assert.h"

static void test_config_parses_helper_section(_unused_ void **state) {
        HelperConfig *c = parse_good("# hubops helper\n"
                                     "[Helper]\n"
                                     "Hostname=hub-01\n"
                                     "Roles=directory mailhub\n"
                                     "SystemdAddress=unix:path=/x\n"
                                     "AuditLog=/var/log/hub/audit.jsonl\n"
                                     "StateDirectory=/var/lib/hub\n"
                                     "CPUStatSource=/srv/lab/stat\n"
                                     "UnitPrefix=hubx\n"
                                     "JobLogDirectory=/var/log/hub/jobs\n");

        assert_string_equal(c->hostname, "hub-01");
        assert_non_null(c->roles);
        assert_string_equal(c->roles[0], "directory");
        assert_string_equal(c->roles[1], "mailhub");
        assert_null(c->roles[2]);
        assert_string_equal(c->systemd_address, "unix:path=/x");
        assert_string_equal(c->audit_log, "/var/log/hub/audit.jsonl");
        assert_string_equal(c->state_directory, "/var/lib/hub");
        assert_string_equal(c->cpu_stat_source, "/srv/lab/stat");
        assert_string_equal(c->unit_prefix, "hubx");
        assert_string_equal(c->job_log_directory, "/var/log/hub/jobs");
        assert_int_equal(c->n_hooks, 0);
        config_free(c);
}

static void test_config_parses_hook_section(_unused_ void **state) {
        HelperConfig *c = parse_good("[Helper]\n"
                                     "Hostname=hub\n"
                                     "\n"
                                     "[Hook restart-mail]\n"
                                     "ExecStart=/usr/lib/hubops/restart \"mail hub\" --now\n"
                                     "User=root\n"
                                     "Group=adm\n"
                                     "Description=Restart the mail hub\n"
                                     "TimeoutSec=1h 30min\n"
                                     "CapabilityBoundingSet=CAP_KILL CAP_NET_ADMIN\n");
        const HookConfig *h;

        assert_int_equal(c->n_hooks, 1);
        h = &c->hooks[0];
        assert_string_equal(h->name, "restart-mail");
        assert_int_equal(h->line, 4);
        assert_string_equal(h->argv[0], "/usr/lib/hubops/restart");
        assert_string_equal(h->argv[1], "mail hub");
        assert_string_equal(h->argv[2], "--now");
        assert_null(h->argv[3]);
        assert_string_equal(h->user, "root");
        assert_string_equal(h->group, "adm");
        assert_string_equal(h->description, "Restart the mail hub");
        assert_int_equal(h->timeout_usec, 5400ULL * 1000000ULL);
        assert_int_equal(h->capability_mask, (1ULL << CAP_KILL) | (1ULL << CAP_NET_ADMIN));
        config_free(c);
}

static void test_config_fills_in_defaults(_unused_ void **state) {
        HelperConfig *c = parse_good("[Hook x]\nExecStart=/bin/true\nUser=nobody\n");
        const HookConfig *h = &c->hooks[0];

        assert_non_null(c->hostname);
        assert_true(c->hostname[0] != '\0');
        assert_non_null(c->roles);
        assert_null(c->roles[0]);
        assert_null(c->systemd_address);
        assert_null(c->job_log_directory);
        assert_string_equal(c->audit_log, "/var/log/hubops/audit.jsonl");
        assert_string_equal(c->state_directory, HELPER_STATE_DIRECTORY_DEFAULT);
        assert_string_equal(c->cpu_stat_source, "/proc/stat");
        assert_string_equal(c->unit_prefix, "hubops");
        assert_int_equal(c->audit_refusal_burst, AUDIT_REFUSAL_BURST_DEFAULT);
        assert_int_equal(c->audit_refusal_interval_usec, AUDIT_REFUSAL_INTERVAL_DEFAULT_USEC);
        assert_int_equal(c->audit_reserve_bytes, AUDIT_RESERVE_DEFAULT_BYTES);
        assert_int_equal(h->timeout_usec, 300ULL * 1000000ULL);
        assert_int_equal(h->capability_mask, 0);
        assert_null(h->group);
        assert_null(h->description);
        config_free(c);
}

static void test_config_parses_audit_limits(_unused_ void **state) {
        static const struct {
                const char *reserve;
                uint64_t bytes;
        } sizes[] = {
                { "0", 0 }, { "4096", 4096 }, { "64K", 64ULL << 10 }, { "2M", 2ULL << 20 },
                { "1024G", 1ULL << 40 }, { "0001", 1 },
        };
        char text[256];

        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                HelperConfig *c;

                (void) snprintf(text, sizeof(text),
                                "[Helper]\nAuditRefusalBurst=1000000\nAuditRefusalIntervalSec=1min\nAuditReserve=%s\n",
                                sizes[i].reserve);
                c = parse_good(text);
                assert_int_equal(c->audit_refusal_burst, 1000000);
                assert_int_equal(c->audit_refusal_interval_usec, 60ULL * 1000000ULL);
                assert_int_equal(c->audit_reserve_bytes, sizes[i].bytes);
                config_free(c);
        }
}

static void test_config_accepts_empty_file_and_comments(_unused_ void **state) {
        static const char *const good[] = {
                "",
                "\n\n",
                "# only a comment\n; another\n",
                "[Helper]\n",
                "[Helper]\r\nHostname=hub\r\n",
                "[Helper]\nHostname=hub", /* no final newline */
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                HelperConfig *c = parse_good(good[i]);
                assert_int_equal(c->n_hooks, 0);
                config_free(c);
        }
}

static void test_config_same_key_in_two_sections_is_no_duplicate(_unused_ void **state) {
        HelperConfig *c = parse_good("[Hook a]\nExecStart=/bin/a\nUser=root\n"
                                     "[Hook b]\nExecStart=/bin/b\nUser=root\n");

        assert_int_equal(c->n_hooks, 2);
        config_free(c);
}

static void test_config_find_hook_returns_named_hook_or_null(_unused_ void **state) {
        HelperConfig *c = parse_good("[Hook one]\nExecStart=/bin/one\nUser=root\n"
                                     "[Hook two]\nExecStart=/bin/two\nUser=nobody\n");
        const HookConfig *h;

        h = config_find_hook(c, "two");
        assert_non_null(h);
        assert_string_equal(h->argv[0], "/bin/two");
        assert_string_equal(h->user, "nobody");
        assert_ptr_equal(config_find_hook(c, "one"), &c->hooks[0]);
        assert_null(config_find_hook(c, "three"));
        assert_null(config_find_hook(c, "ONE"));
        assert_null(config_find_hook(NULL, "one"));
        config_free(c);
}

static void test_config_rejects_bad_files(_unused_ void **state) {
        static const struct {
                const char *text;
                unsigned line;
                const char *phrase;
        } cases[] = {
                { "[Helper]\nHostname=a\n[Frobnicate]\n", 3, "unknown section [Frobnicate]" },
                { "[Hook]\n", 1, "unknown section [Hook]" },
                { "[Helper]\nColour=blue\n", 2, "unknown key Colour= in [Helper]" },
                { "[Hook x]\nExecStart=/bin/true\nUser=root\nNice=5\n", 4, "unknown key Nice= in [Hook x]" },
                { "[Hook x]\nExecStart=/bin/a\nUser=root\n\n[Hook x]\n", 5, "duplicate hook \"x\"" },
                { "[Helper]\nHostname=a\n[Helper]\n", 3, "duplicate section [Helper]" },
                { "[Helper]\nHostname=a\n#\nHostname=b\n", 4, "duplicate key Hostname=" },
                { "[Hook x]\nUser=root\nExecStart=/bin/a\nUser=nobody\n", 4, "duplicate key User=" },
                { "[Helper]\n\n[Hook x]\nUser=root\n", 3, "[Hook x] has no ExecStart=" },
                { "[Hook x]\n[Hook y]\nExecStart=/bin/y\nUser=root\n", 1, "[Hook x] has no ExecStart=" },
                { "[Hook x]\nExecStart=/bin/true\n", 1, "[Hook x] has no User=" },
                { "[Hook x]\nExecStart=bin/true\n", 2, "invalid ExecStart=: the program must be an absolute" },
                { "[Hook x]\nExecStart=/bin/echo $HOME\n", 2, "'$' and '%' are not allowed" },
                { "[Hook x]\nExecStart=/bin/echo 100%\n", 2, "'$' and '%' are not allowed" },
                { "[Hook x]\nExecStart=-/bin/true\n", 2, "prefixes are not supported" },
                { "[Hook x]\nExecStart=\n", 2, "empty command" },
                { "[Hook ../etc]\n", 1, "invalid hook name \"../etc\"" },
                { "[Hook ]\n", 1, "invalid hook name \"\"" },
                { "[Hook -x]\n", 1, "invalid hook name" },
                { "[Hook x]\nTimeoutSec=soon\n", 2, "invalid TimeoutSec= \"soon\"" },
                { "[Hook x]\nTimeoutSec=0\n", 2, "invalid TimeoutSec=" },
                { "[Hook x]\nTimeoutSec=8d\n", 2, "invalid TimeoutSec=" },
                { "[Hook x]\nTimeoutSec=500us\n", 2, "invalid TimeoutSec=" },
                { "[Directory]\nUnit=eddy.service\n", 1, "needs RootProcess= and MainProcess=" },
                { "[Directory]\nRootProcess=/x -D r\nMainProcess=/x -D m\n", 1, "needs either Unit= or" },
                { "[Directory]\nUnit=eddy.service\nStopCommand=/etc/init.d/eddy stop\n", 1, "needs either Unit= or" },
                { "[Directory]\nStopCommand=/e stop\nStartCommand=/e start\nRootProcess=/x\nMainProcess=/y\n", 1,
                  "needs StopCommand=, StartCommand= and User=" },
                { "[Directory]\nUnit=eddy\n", 2, "invalid Unit= \"eddy\"" },
                { "[Directory]\nUnit=../x.service\n", 2, "invalid Unit=" },
                { "[Directory]\nKillTimeoutSec=never\n", 2, "invalid KillTimeoutSec=" },
                { "[Directory]\nReadySocket=run/eddy.sock\n", 2, "ReadySocket= must be an absolute" },
                { "[Directory]\nNice=1\n", 2, "unknown key Nice= in [Directory]" },
                { "[Directory]\nUnit=a.service\nRootProcess=/r\nMainProcess=/m\n[Directory]\n", 5,
                  "duplicate section [Directory]" },
                { "[Service regclient]\n", 1, "[Service regclient] has no Unit=" },
                { "[Service a]\nUnit=a.service\n[Service a]\nUnit=b.service\n", 3, "duplicate service \"a\"" },
                { "[Service a/b]\nUnit=a.service\n", 1, "invalid service name" },
                { "[Service a]\nUnit=a.service\nUser=root\n", 3, "unknown key User= in [Service a]" },
                { "[Hook x]\nExecStart=/bin/echo a ; /bin/echo b\n", 2, "inline comments" },
                { "[Helper]\nHostname=a\t; note\n", 2, "inline comments" },
                { "[Hook x]\nCapabilityBoundingSet=CAP_KILL CAP_FROB\n", 2, "unknown capability \"CAP_FROB\"" },
                { "[Hook x]\nCapabilityBoundingSet=12\n", 2, "unknown capability \"12\"" },
                { "[Hook x]\nUser=0day\n", 2, "invalid User= \"0day\"" },
                { "[Hook x]\nGroup=a:b\n", 2, "invalid Group=" },
                { "[Hook x]\nDescription=bell\a\n", 2, "invalid Description=" },
                { "[Hook x]\nExecStart=/bin/echo\n  more\n", 3, "indented lines (continuations)" },
                { "[Helper]\n\tHostname=a\n", 2, "indented lines" },
                { "[Helper\nHostname=a\n", 1, "section header without ']'" },
                { "[Helper]\nHostname=a\njunk\n", 3, "syntax error" },
                /* inih's syntax error on line 2 comes before our error on line 3. */
                { "[Helper]\njunk\nColour=blue\n", 2, "syntax error" },
                { "[Helper]\nAuditLog=var/log/audit\n", 2, "AuditLog= must be an absolute, normalized path" },
                { "[Helper]\nStateDirectory=/var/lib/../etc\n", 2, "StateDirectory= must be an absolute" },
                { "[Helper]\nJobLogDirectory=/var//log\n", 2, "JobLogDirectory= must be an absolute" },
                { "[Helper]\nCPUStatSource=/proc/./stat\n", 2, "CPUStatSource= must be an absolute" },
                { "[Helper]\nHostname=hub 1\n", 2, "invalid Hostname=" },
                { "[Helper]\nHostname=\n", 2, "invalid Hostname=" },
                { "[Helper]\nRoles=mail hub/x\n", 2, "invalid role \"hub/x\"" },
                { "[Helper]\nRoles=a b c d e f g h i j k l m n o p q\n", 2, "too many roles" },
                { "[Helper]\nSystemdAddress=\n", 2, "invalid SystemdAddress=" },
                { "[Helper]\nUnitPrefix=a-very-long-unit-prefix-over-32-bytes\n", 2, "invalid UnitPrefix=" },
                { "[Helper]\nAuditRefusalBurst=0\n", 2, "invalid AuditRefusalBurst= \"0\" (1 to 1000000" },
                { "[Helper]\nAuditRefusalBurst=1000001\n", 2, "invalid AuditRefusalBurst=" },
                { "[Helper]\nAuditRefusalBurst=64K\n", 2, "invalid AuditRefusalBurst=" },
                { "[Helper]\nAuditRefusalBurst=-1\n", 2, "invalid AuditRefusalBurst=" },
                { "[Helper]\nAuditRefusalBurst=\n", 2, "invalid AuditRefusalBurst=" },
                { "[Helper]\nAuditRefusalIntervalSec=0\n", 2, "invalid AuditRefusalIntervalSec=" },
                { "[Helper]\nAuditRefusalIntervalSec=8d\n", 2, "invalid AuditRefusalIntervalSec=" },
                { "[Helper]\nAuditReserve=\n", 2, "invalid AuditReserve= \"\" (bytes, or with K, M, G" },
                { "[Helper]\nAuditReserve=1T\n", 2, "invalid AuditReserve=" },
                { "[Helper]\nAuditReserve=1025G\n", 2, "invalid AuditReserve=" },
                { "[Helper]\nAuditReserve=1MB\n", 2, "invalid AuditReserve=" },
                { "[Helper]\nAuditReserve=1 M\n", 2, "invalid AuditReserve=" },
                { "[Helper]\nAuditReserve=1.5M\n", 2, "invalid AuditReserve=" },
                { "[Helper]\nAuditReserve=m\n", 2, "invalid AuditReserve=" },
                { "[Helper]\nAuditReserve=+1\n", 2, "invalid AuditReserve=" },
                { "[Helper]\nAuditReserve=99999999999999\n", 2, "invalid AuditReserve=" },
                { "[Helper]\nAuditRefusals=1\n", 2, "unknown key AuditRefusals= in [Helper]" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                assert_parse_error(cases[i].text, cases[i].line, cases[i].phrase);
}

/* Separate from the table: this input used to crash the parser. */
static void test_config_rejects_key_outside_section(_unused_ void **state) {
        assert_parse_error("Hostname=hub\n[Helper]\n", 1, "Hostname= outside of any section");
        assert_parse_error("# comment\n\nUser=root\n", 3, "User= outside of any section");
}

/* cap_from_name() stops at the first character that cannot be part of a
 * name, so "CAP_KILL,CAP_NET_ADMIN" would silently mean CAP_KILL alone. */
static void test_config_rejects_capability_with_trailing_garbage(_unused_ void **state) {
        static const char *const values[] = { "CAP_KILL,CAP_NET_ADMIN", "CAP_KILL9", "CAP_KILL-x", "CAP_KILL=ep" };

        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                char text[256];

                (void) snprintf(text, sizeof(text),
                                "[Hook x]\nExecStart=/bin/true\nUser=root\nCapabilityBoundingSet=%s\n", values[i]);
                assert_parse_error(text, 4, "unknown capability");
        }
}

static void test_config_line_length_limit_is_exact(_unused_ void **state) {
        /* inih's INI_MAX_LINE is 200: 198 bytes + '\n' + NUL fit, 199 do not. */
        static const char head[] = "[Helper]\nStateDirectory=/";
        char text[512];

        for (size_t line_len = 190; line_len <= 260; line_len++) {
                size_t n = strlen(head) + line_len - strlen("StateDirectory=/");

                memcpy(text, head, strlen(head));
                memset(text + strlen(head), 'a', n - strlen(head));
                memcpy(text + n, "\n", 2);
                if (line_len <= 198) {
                        HelperConfig *c = parse_good(text);
                        assert_int_equal(strlen("StateDirectory=") + strlen(c->state_directory), line_len);
                        config_free(c);
                } else
                        assert_parse_error(text, 2, "line too long (at most 198 bytes)");
        }
}

static void test_config_hook_count_is_limited(_unused_ void **state) {
        size_t size = 257 * 64, n = 0;
        char *text = malloc(size);
        HelperConfig *c;

        assert_non_null(text);
        for (unsigned i = 0; i < 256; i++)
                n += (size_t) snprintf(text + n, size - n, "[Hook h%u]\nExecStart=/bin/h\nUser=root\n", i);
        c = parse_good(text);
        assert_int_equal(c->n_hooks, 256);
        assert_non_null(config_find_hook(c, "h255"));
        config_free(c);

        (void) snprintf(text + n, size - n, "[Hook h256]\nExecStart=/bin/h\nUser=root\n");
        assert_parse_error(text, 256 * 3 + 1, "too many hooks (at most 256)");
        free(text);
}

/* config_check_file_safe: a fresh file in a private directory per test. */
typedef struct SafeFixture {
        char dir[64];
        char path[96];
        int fd;
} SafeFixture;

static int safe_setup(void **state) {
        SafeFixture *f = calloc(1, sizeof(SafeFixture));

        if (!f)
                return -1;
        (void) snprintf(f->dir, sizeof(f->dir), "/tmp/hubops-test-config.XXXXXX");
        if (!mkdtemp(f->dir)) {
                free(f);
                return -1;
        }
        (void) snprintf(f->path, sizeof(f->path), "%s/helper.conf", f->dir);
        f->fd = open(f->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (f->fd < 0 || fchmod(f->fd, 0644) < 0) {
                free(f); /* the directory stays behind in /tmp for a look */
                return -1;
        }
        *state = f;
        return 0;
}

static int safe_teardown(void **state) {
        SafeFixture *f = *state;

        close(f->fd);
        (void) unlink(f->path);
        (void) rmdir(f->dir);
        free(f);
        return 0;
}

static void test_config_check_file_safe_by_mode(void **state) {
        static const struct {
                mode_t mode;
                int expected;
        } cases[] = {
                { 0644, 0 }, { 0600, 0 }, { 0400, 0 }, { 0444, 0 }, { 0755, 0 },
                { 0666, -EPERM }, { 0620, -EPERM }, { 0602, -EPERM }, { 0660, -EPERM }, { 0646, -EPERM },
        };
        SafeFixture *f = *state;

        if (geteuid() != 0)
                skip(); /* a root-owned file needs root */
        assert_int_equal(fchown(f->fd, 0, 0), 0);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *error = NULL;
                int r;

                assert_int_equal(fchmod(f->fd, cases[i].mode), 0);
                r = config_check_file_safe(f->fd, f->path, &error);
                if (r != cases[i].expected)
                        fail_msg("mode %04o: expected %d, got %d (%s)", (unsigned) cases[i].mode,
                                 cases[i].expected, r, error ? error : "-");
                if (r == 0)
                        assert_null(error);
                else {
                        assert_non_null(error);
                        assert_true(strncmp(error, f->path, strlen(f->path)) == 0);
                        assert_non_null(strstr(error, "writable"));
                }
                free(error);
        }
}

static void test_config_check_file_safe_refuses_other_owner(void **state) {
        SafeFixture *f = *state;
        char *error = NULL;

        if (geteuid() != 0)
                skip();
        assert_int_equal(fchown(f->fd, 65534, 0), 0);
        assert_int_equal(config_check_file_safe(f->fd, f->path, &error), -EPERM);
        assert_non_null(error);
        assert_non_null(strstr(error, "not owned by root"));
        assert_non_null(strstr(error, "65534"));
        free(error);
}

static void test_config_check_file_safe_refuses_directory(void **state) {
        SafeFixture *f = *state;
        char *error = NULL;
        int dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        assert_true(dfd >= 0);
        assert_int_equal(config_check_file_safe(dfd, f->dir, &error), -EINVAL);
        assert_non_null(error);
        assert_non_null(strstr(error, "not a regular file"));
        free(error);
        close(dfd);
}

/* The directory's processes are matched by uid on every /proc look:
 * config_load() resolves User= once; without it no user counts. */
static void test_config_load_resolves_directory_user(void **state) {
        static const char *const texts[] = {
                "[Directory]\nStopCommand=/e stop\nStartCommand=/e start\nUser=root\nRootProcess=/x -D r\n"
                "MainProcess=/x -D m\n",
                "[Directory]\nUnit=eddy.service\nRootProcess=/x -D r\nMainProcess=/x -D m\n",
        };
        SafeFixture *f = *state;

        if (geteuid() != 0)
                skip(); /* a root-owned file needs root */
        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                HelperConfig *c = NULL;
                char *error = NULL;

                assert_int_equal(ftruncate(f->fd, 0), 0);
                assert_int_equal(pwrite(f->fd, texts[i], strlen(texts[i]), 0), (ssize_t) strlen(texts[i]));
                if (config_load(f->path, &c, &error) < 0)
                        fail_msg("config_load: %s", error);
                assert_int_equal(c->directory.uid, i == 0 ? 0 : (uid_t) -1);
                config_free(c);
        }
}

static void test_config_check_file_safe_reports_bad_fd(_unused_ void **state) {
        char *error = NULL;

        assert_int_equal(config_check_file_safe(-1, "/nowhere", &error), -EBADF);
        assert_non_null(error);
        assert_non_null(strstr(error, "/nowhere: cannot stat"));
        free(error);
}

#define SAFE_TEST(t) cmocka_unit_test_setup_teardown(t, safe_setup, safe_teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_config_parses_helper_section),
                cmocka_unit_test(test_config_parses_hook_section),
                cmocka_unit_test(test_config_fills_in_defaults),
                cmocka_unit_test(test_config_parses_audit_limits),
                cmocka_unit_test(test_config_accepts_empty_file_and_comments),
                cmocka_unit_test(test_config_same_key_in_two_sections_is_no_duplicate),
                cmocka_unit_test(test_config_find_hook_returns_named_hook_or_null),
                cmocka_unit_test(test_config_rejects_bad_files),
                cmocka_unit_test(test_config_rejects_key_outside_section),
                cmocka_unit_test(test_config_rejects_capability_with_trailing_garbage),
                cmocka_unit_test(test_config_line_length_limit_is_exact),
                cmocka_unit_test(test_config_hook_count_is_limited),
                SAFE_TEST(test_config_check_file_safe_by_mode),
                SAFE_TEST(test_config_check_file_safe_refuses_other_owner),
                SAFE_TEST(test_config_check_file_safe_refuses_directory),
                cmocka_unit_test(test_config_check_file_safe_reports_bad_fd),
                SAFE_TEST(test_config_load_resolves_directory_user),
        };

        return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
