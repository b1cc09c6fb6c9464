/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* [Mailstore] and [Peer NAME] (helper/config-mailstore.c), and the names a
 * caller may give a move: domains and the unit instances made from them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "config-assert.h"
#include "config-parser.h"
#include "macro.h"
#include "names.h"

static void test_mailstore_parses_with_defaults(_unused_ void **state) {
        HelperConfig *c = parse_good("[Mailstore]\n"
                                     "Root=/srv/mail\n"
                                     "User=vmail\n"
                                     "FreezeUnit=pop-freeze@.service\n"
                                     "[Peer pop02]\n"
                                     "Address=vmail@pop02.example.org\n"
                                     "IdentityFile=/etc/hubops/peers/pop02.key\n"
                                     "KnownHostsFile=/etc/hubops/peers/known_hosts\n");
        const PeerConfig *peer = config_find_peer(c, "pop02");

        assert_true(c->mailstore.present);
        assert_string_equal(c->mailstore.root, "/srv/mail");
        assert_string_equal(c->mailstore.layout, "%d/%n/Maildir");
        assert_string_equal(c->mailstore.user, "vmail");
        assert_null(c->mailstore.group);
        assert_string_equal(c->mailstore.freeze_unit, "pop-freeze@.service");
        assert_null(c->mailstore.thaw_unit);
        assert_int_equal(c->mailstore.sync_timeout_usec, 12ULL * 3600 * 1000000ULL);
        assert_non_null(peer);
        assert_string_equal(peer->address, "vmail@pop02.example.org");
        assert_int_equal(peer->port, 22);
        assert_null(config_find_peer(c, "pop03"));
        config_free(c);
}

static void test_mailstore_parses_every_key(_unused_ void **state) {
        HelperConfig *c = parse_good("[Mailstore]\nRoot=/var/vmail\nLayout=%d/users/%n\nUser=vmail\nGroup=mail\n"
                                     "ThawUnit=pop-thaw@.service\nSwitchUnit=mail-route@.service\n"
                                     "RoutedUnit=mail-routed@.service\nSyncTimeoutSec=2h\n"
                                     "[Peer old]\nAddress=old\nPort=2222\nIdentityFile=/k\nKnownHostsFile=/h\n");

        assert_string_equal(c->mailstore.layout, "%d/users/%n");
        assert_string_equal(c->mailstore.group, "mail");
        assert_string_equal(c->mailstore.switch_unit, "mail-route@.service");
        assert_string_equal(c->mailstore.routed_unit, "mail-routed@.service");
        assert_int_equal(c->mailstore.sync_timeout_usec, 2ULL * 3600 * 1000000ULL);
        assert_int_equal(config_find_peer(c, "old")->port, 2222);
        config_free(c);
}

static void test_mailstore_rejects_bad_sections(_unused_ void **state) {
        static const struct {
                const char *text;
                unsigned line;
                const char *phrase;
        } cases[] = {
                { "[Mailstore]\nUser=vmail\n", 1, "[Mailstore] needs Root= and User=" },
                { "[Mailstore]\nRoot=/srv/mail\n", 1, "[Mailstore] needs Root= and User=" },
                { "[Mailstore]\nRoot=/srv/mail\nUser=root\n", 1, "User=root" },
                { "[Mailstore]\nRoot=srv/mail\n", 2, "Root= must be an absolute" },
                { "[Mailstore]\nRoot=/srv/../etc\n", 2, "Root= must be an absolute" },
                { "[Mailstore]\nLayout=%n/%d\n", 2, "invalid Layout=" },
                { "[Mailstore]\nLayout=%d\n", 2, "invalid Layout=" },
                { "[Mailstore]\nLayout=%d/Maildir\n", 2, "invalid Layout=" },
                { "[Mailstore]\nLayout=%d/%n/%n\n", 2, "invalid Layout=" },
                { "[Mailstore]\nLayout=%d/../%n\n", 2, "invalid Layout=" },
                { "[Mailstore]\nLayout=%d/%n/\n", 2, "invalid Layout=" },
                { "[Mailstore]\nLayout=%d//%n\n", 2, "invalid Layout=" },
                { "[Mailstore]\nLayout=%d/%u/%n\n", 2, "invalid Layout=" },
                { "[Mailstore]\nLayout=%d/x%n\n", 2, "invalid Layout=" },
                { "[Mailstore]\nUser=0mail\n", 2, "invalid User=" },
                { "[Mailstore]\nFreezeUnit=pop-freeze.service\n", 2, "invalid FreezeUnit=" },
                { "[Mailstore]\nThawUnit=pop@x@.service\n", 2, "invalid ThawUnit=" },
                { "[Mailstore]\nSwitchUnit=route@.socket\n", 2, "invalid SwitchUnit=" },
                { "[Mailstore]\nRoutedUnit=routed.service\n", 2, "invalid RoutedUnit=" },
                { "[Mailstore]\nSyncTimeoutSec=0\n", 2, "invalid SyncTimeoutSec=" },
                { "[Mailstore]\nSyncTimeoutSec=8d\n", 2, "invalid SyncTimeoutSec=" },
                { "[Mailstore]\nStreams=4\n", 2, "unknown key Streams= in [Mailstore]" },
                { "[Mailstore]\nColour=red\n", 2, "unknown key Colour= in [Mailstore]" },
                { "[Mailstore]\nRoot=/m\nUser=vmail\n[Mailstore]\n", 4, "duplicate section [Mailstore]" },
                { "[Peer a]\nAddress=h\nIdentityFile=/k\nKnownHostsFile=/h\n", 1, "need a [Mailstore]" },
                { "[Peer a]\nAddress=h\n", 1, "[Peer a] needs Address=, IdentityFile= and KnownHostsFile=" },
                { "[Peer a/b]\n", 1, "invalid peer name" },
                { "[Peer a]\n[Peer a]\n", 2, "duplicate peer \"a\"" },
                { "[Peer a]\nAddress=-oProxyCommand=x\n", 2, "invalid Address=" },
                { "[Peer a]\nAddress=vmail@-oProxyCommand=x\n", 2, "invalid Address=" },
                { "[Peer a]\nAddress=@host\n", 2, "invalid Address=" },
                { "[Peer a]\nAddress=a b\n", 2, "invalid Address=" },
                { "[Peer a]\nAddress=host:/srv\n", 2, "invalid Address=" },
                { "[Peer a]\nAddress=u@h@i\n", 2, "invalid Address=" },
                { "[Peer a]\nAddress=\n", 2, "invalid Address=" },
                { "[Peer a]\nPort=0\n", 2, "invalid Port=" },
                { "[Peer a]\nPort=65536\n", 2, "invalid Port=" },
                { "[Peer a]\nIdentityFile=key\n", 2, "IdentityFile= must be an absolute" },
                { "[Peer a]\nUser=x\n", 2, "unknown key User= in [Peer a]" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                assert_parse_error(cases[i].text, cases[i].line, cases[i].phrase);
}

static void test_domain_names_are_narrow(_unused_ void **state) {
        static const struct {
                const char *name;
                bool valid;
        } cases[] = {
                { "example.org", true },
                { "a", true },
                { "mail-1.example.co.uk", true },
                { "xn--bcher-kva.example", true },
                { "", false },
                { "Example.org", false },
                { "example.org.", false },
                { ".example.org", false },
                { "example..org", false },
                { "-a.org", false },
                { "a-.org", false },
                { "a_b.org", false },
                { "a/b", false },
                { "..", false },
                { ".", false },
                { "a b", false },
                { "b\xc3\xbc" "cher.de", false },
                { "a@b", false },
                { "%n", false },
        };
        char label[70], name[300];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (domain_name_is_valid(cases[i].name) != cases[i].valid)
                        fail_msg("domain_name_is_valid(\"%s\") should be %s", cases[i].name,
                                 cases[i].valid ? "true" : "false");
        assert_false(domain_name_is_valid(NULL));

        memset(label, 'a', 63);
        label[63] = '\0';
        assert_true(domain_name_is_valid(label));
        label[63] = 'a', label[64] = '\0';
        assert_false(domain_name_is_valid(label));

        /* 253 bytes is the limit: 63 + 1 + 63 + 1 + 63 + 1 + 61. */
        memset(name, 'a', 253);
        name[63] = name[127] = name[191] = '.';
        name[253] = '\0';
        assert_true(domain_name_is_valid(name));
        name[253] = 'a', name[254] = '\0';
        assert_false(domain_name_is_valid(name));
}

static void test_unit_template_instance(_unused_ void **state) {
        char *u = unit_template_instance("pop-freeze@.service", "example.org");

        assert_string_equal(u, "pop-freeze@example.org.service");
        free(u);
        assert_null(unit_template_instance("pop-freeze.service", "example.org"));
        assert_null(unit_template_instance("pop@x@.service", "example.org"));
        assert_null(unit_template_instance("pop-freeze@.service", ""));
        assert_null(unit_template_instance("pop-freeze@.service", "a/b"));
        assert_true(unit_template_is_valid("a@.service"));
        assert_false(unit_template_is_valid("@.service"));
        assert_false(unit_template_is_valid("a@.socket"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mailstore_parses_with_defaults),
                cmocka_unit_test(test_mailstore_parses_every_key),
                cmocka_unit_test(test_mailstore_rejects_bad_sections),
                cmocka_unit_test(test_domain_names_are_narrow),
                cmocka_unit_test(test_unit_template_instance),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
