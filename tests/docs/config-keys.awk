# SPDX-License-Identifier: LGPL-2.1-or-later
# The keys a strict-INI parser accepts, read from its C source, as lines
# "SECTION<TAB>KEY": every strcmp(key, "Key") and every key table entry
# ({ "Key", offsetof(...) } or { "Key", &field }) belongs to the function it
# is in; a function's section is the one its "unknown key %s= in [SECTION]"
# error names ("%s" read as NAME); a function without one lends its keys to
# the functions that call it (health_thresholds_set to parse_health_key,
# a runbook's config_key to parse_runbook_key). Used by test-man-pages.sh.
function add(list, item) { return index(" " list " ", " " item " ") ? list : list " " item }
/^[a-z][a-z_ ]*[ *]\**[a-z_]+\(.*\) *\{$/ {
        fn = $0
        sub(/\(.*/, "", fn)
        sub(/.*[ *]/, "", fn)
}
{
        line = $0
        while (match(line, /strcmp\(key, "[A-Za-z]+"\)/)) {
                keys[fn] = add(keys[fn], substr(line, RSTART + 13, RLENGTH - 15))
                line = substr(line, RSTART + RLENGTH)
        }
        line = $0
        while (match(line, /\{ "[A-Z][A-Za-z]+", (offsetof|&)/)) {
                k = substr(line, RSTART + 3)
                sub(/".*/, "", k)
                keys[fn] = add(keys[fn], k)
                line = substr(line, RSTART + RLENGTH)
        }
        if (match($0, /unknown key %s= in \[[A-Za-z]+( %s)?\]/)) {
                s = substr($0, RSTART + 20, RLENGTH - 21)
                sub(/%s/, "NAME", s)
                section[fn] = s
        }
        line = $0
        while (match(line, /[a-z_]+\(/)) {
                calls[fn] = add(calls[fn], substr(line, RSTART, RLENGTH - 1))
                line = substr(line, RSTART + RLENGTH)
        }
}
END {
        for (round = 0; round < 3; round++)
                for (f in keys)
                        if (!(f in section))
                                for (g in section)
                                        if (index(" " calls[g] " ", " " f " "))
                                                keys[g] = keys[g] " " keys[f]
        for (f in section) {
                n = split(keys[f], kk, " ")
                for (i = 1; i <= n; i++)
                        printf "%s\t%s\n", section[f], kk[i]
        }
}
