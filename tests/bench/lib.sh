# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the bench scripts (sourced): time in ms, and the median of
# numbers on stdin, one per line.
ms() { date +%s%3N; }
p50() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
