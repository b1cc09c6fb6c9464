# SPDX-License-Identifier: LGPL-2.1-or-later
# Drive bash completion as bash does: COMP_WORDS and COMP_CWORD set, the
# function called, COMPREPLY read. Sourced by the completion tests after
# completions/hubopsctl (HUBOPSCTL points at the build's hubopsctl).

# complete_line "hubopsctl hooks r": the words of the line (a trailing space
# starts an empty word), completed at the last one; sets $reply (one line
# per candidate, sorted).
complete_line() {
        local line=$1
        # As bash splits them: at COMP_WORDBREAKS' ":" and "=" too (the
        # completion reads COMP_LINE instead, so these are only realistic).
        read -r -a COMP_WORDS <<<"$(sed -E 's/([:=])/ \1 /g' <<<"$line")"
        [ "${line% }" != "$line" ] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE=$line
        COMP_POINT=${#line}
        COMPREPLY=()
        # As in an interactive shell: no errexit (a failing hubopsctl in a
        # pipeline is an empty answer, not an end), but unset variables
        # still fail here.
        set +e +o pipefail
        _hubopsctl
        set -e -o pipefail
        reply=$(printf '%s\n' "${COMPREPLY[@]}" | sort)
}

# A table on stdin: LINE | WANTED (all of these offered) | UNWANTED (none of
# these), words separated by spaces; "=" in WANTED: exactly these.
check_table() {
        local line want unwant w exact
        while IFS='|' read -r line want unwant; do
                [ -n "$line" ] && [ "${line#\#}" = "$line" ] || continue
                complete_line "$line"
                exact=false
                [ "${want#=}" != "$want" ] && { exact=true; want=${want#=}; }
                for w in $want; do
                        grep -qxF -- "$w" <<<"$reply" || fail "\"$line\": $w not offered (offered: $(echo $reply))"
                done
                for w in $unwant; do
                        ! grep -qxF -- "$w" <<<"$reply" || fail "\"$line\": $w offered"
                done
                if $exact; then
                        [ "$(echo $reply)" = "$(echo "$want" | tr ' ' '\n' | sort | xargs)" ] ||
                                fail "\"$line\": offered $(echo $reply), wanted exactly $want"
                fi
                ok "\"$line\" -> $(echo $reply | cut -c1-60)"
        done
}
