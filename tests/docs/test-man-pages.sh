#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The manual pages hold what the code does, read from the code itself:
#   - every command and option `hubopsctl --help` lists is in hubopsctl(1)
#     (a command as `.It Cm WORDS`, an option as `.It Fl ...`), and each
#     command answers `hubopsctl COMMAND --help` with exit 0;
#   - every option of `hubopsd --help` is in hubopsd(8);
#   - every exit code of client/exit-codes.h is in EXIT STATUS of
#     hubopsctl(1), every one of hubopsd's (helper/main.c) in hubopsd(8);
#   - every section the helper's and the site config's parsers accept is a
#     subsection of hubopsd.conf(5) or hubops-site.conf(5), and every key
#     they accept (config-keys.awk reads the parsers) is an `.It Cm KEY Ns =`
#     entry of its section's subsection.
#
#   tests/docs/test-man-pages.sh [BUILD_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
docs=${HUBOPS_DOCS_DIR:-$top/docs}
ctl=$build/client/hubopsctl
helperd=$build/helper/hubopsd
failures=0
checked=0

miss() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { checked=$((checked + 1)); }

# The text of section NAME (.Sh) or subsection (.Ss) of a page, to the next
# heading of the same or a higher level.
sh_section() { awk -v want="$2" '/^\.Sh /{ on = (substr($0, 5) == want) ; next } on' "$1"; }
ss_section() {
        awk -v want="$2" '/^\.S[hs] /{ on = (index($0, ".Ss The [" want "] section") == 1); next } on' "$1"
}
has_line() { grep -qE "$1" <<<"$2"; }

# --- hubopsctl(1): commands, options, exit status ----------------------------
page=$docs/hubopsctl.1
help=$("$ctl" --help)
# Command rows: two spaces, then lowercase words up to the summary column
# (two spaces); the arguments start at the first word that is not one
# (NAME, [HOST...], --from).
mapfile -t commands < <(sed -n '/^Commands:/,/^Options:/p' <<<"$help" |
        awk '/^  [a-z]/ { sub(/^  /, ""); sub(/  .*/, ""); c = ""
                for (i = 1; i <= NF && $i ~ /^[a-z][a-z-]*$/; i++) c = c (c ? " " : "") $i; print c }')
[ ${#commands[@]} -gt 20 ] || miss "hubopsctl --help listed only ${#commands[@]} commands"
for c in "${commands[@]}"; do
        if has_line "^\.It Cm $c( |$)" "$(cat "$page")"; then ok; else miss "hubopsctl(1) lacks the command \"$c\" (.It Cm $c)"; fi
        # shellcheck disable=SC2086 # the command's words
        if out=$("$ctl" $c --help 2>&1) && grep -q "^Usage: hubopsctl \[OPTIONS\] $c" <<<"$out"; then
                ok
        else
                miss "hubopsctl $c --help: no usage, or not exit 0: $out"
        fi
done

# Option rows start with their options: "  -H, --host ...", "      --json ...".
options_of() { grep -E '^ +-' <<<"$1" | sed -E 's/ [^-, ].*//' | grep -oE -- '--?[a-zA-Z][a-z-]*' | sort -u; }
mapfile -t options < <(options_of "$help")
[ ${#options[@]} -gt 15 ] || miss "hubopsctl --help listed only ${#options[@]} options"
for o in "${options[@]}"; do
        if grep -qE "^\.It .*Fl ${o#-}( |$)" "$page"; then ok; else miss "hubopsctl(1) lacks the option $o (.It Fl ${o#-})"; fi
done

# And --help lists every option the parser takes (its getopt_long table).
for o in $(sed -n '/struct option options\[\]/,/{ 0 }/p' "$top/client/main.c" | sed -nE 's/.*\{ "([a-z-]+)",.*/\1/p'); do
        if printf '%s\n' "${options[@]}" | grep -qx -- "--$o"; then ok; else miss "hubopsctl --help lacks the option --$o"; fi
done

exit_status=$(sh_section "$page" "EXIT STATUS")
for code in $(sed -nE 's/^[[:space:]]*EXIT_[A-Z_]+ = ([0-9]+),.*/\1/p' "$top/client/exit-codes.h"); do
        if has_line "^\.It ([0-9]+ , )*$code( |$)" "$exit_status"; then ok; else miss "hubopsctl(1) EXIT STATUS lacks $code"; fi
done

# --- hubopsd(8) ----------------------------------------------------------------
page=$docs/hubopsd.8
mapfile -t options < <(options_of "$("$helperd" --help)")
[ ${#options[@]} -ge 4 ] || miss "hubopsd --help listed only ${#options[@]} options"
for o in "${options[@]}"; do
        if grep -qE "^\.It .*Fl ${o#-}( |$)" "$page"; then ok; else miss "hubopsd(8) lacks the option $o"; fi
done
exit_status=$(sh_section "$page" "EXIT STATUS")
codes=$(sed -n '/^enum {/,/^};/p' "$top/helper/main.c" | sed -nE 's/^[[:space:]]*EXIT_[A-Z_]+ = ([0-9]+),.*/\1/p')
[ -n "$codes" ] || miss "no exit codes found in helper/main.c"
for code in $codes; do
        if has_line "^\.It $code( |$)" "$exit_status"; then ok; else miss "hubopsd(8) EXIT STATUS lacks $code"; fi
done

# --- the two config files: sections and keys, from the parsers -------------
# Sections: begin_section's strcmp(name, "X") and strncmp(name, "X ", n).
sections_of() {
        sed -n '/^static int begin_section/,/^}/p' "$1" |
                sed -nE 's/.*strcmp\(name, "([A-Za-z]+)"\).*/\1/p; s/.*strncmp\(name, "([A-Za-z]+) ", [0-9]+\).*/\1 NAME/p; s/.*strncmp\(name, "([A-Za-z]+)", [0-9]+\).*/\1/p'
}
check_config() {
        local page=$1 parser=$2 s k n=0
        shift 2
        while read -r s; do
                if grep -q "^\.Ss The \[$s\] section" "$page"; then ok; else miss "$(basename "$page") lacks the section [$s]"; fi
        done < <(sections_of "$parser")
        while IFS=$'\t' read -r s k; do
                n=$((n + 1))
                if has_line "^\.It Cm $k Ns =" "$(ss_section "$page" "$s")"; then
                        ok
                else
                        miss "$(basename "$page"): [$s] lacks the key $k= (.It Cm $k Ns =)"
                fi
        done < <(awk -f "$top/tests/docs/config-keys.awk" "$@" | sort -u)
        [ "$n" -gt 5 ] || miss "only $n keys read from $*"
}
check_config "$docs/hubopsd.conf.5" "$top/helper/config.c" \
        "$top"/helper/config-keys.c "$top"/helper/config-health.c "$top"/helper/config-mailstore.c "$top"/common/health.c
check_config "$docs/hubops-site.conf.5" "$top/client/site-config.c" \
        "$top"/client/site-config.c "$top"/client/site-values.c "$top"/client/site-health.c \
        "$top"/client/runbooks/*.c "$top"/common/health.c

# --- hubops.polkit(7): every action of the policy ------------------------------
for a in $(grep -ohE 'action id="[^"]+"' "$top"/polkit/*.policy* | sed -E 's/action id="(.*)"/\1/'); do
        if grep -q "^\.It Li $a\$" "$docs/hubops.polkit.7"; then ok; else miss "hubops.polkit(7) lacks the action $a"; fi
done

# --- the unit's Documentation= names pages that exist ---------------------------
for m in $(sed -nE 's/^Documentation=//p' "$top"/systemd/*.service*); do
        name=${m#man:}
        file="$docs/${name%(*}.${name##*(}"
        file=${file%)}
        if [ -f "$file" ]; then ok; else miss "Documentation=$m: no $file"; fi
done

if [ "$failures" -gt 0 ]; then
        echo "# $failures missing, $checked present" >&2
        exit 1
fi
echo "ok - the manual pages hold all $checked commands, options, exit codes, sections, keys and actions"
