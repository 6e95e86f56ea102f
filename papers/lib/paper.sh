# papers/lib/paper.sh: what every papers/*/run script shares, sourced by it.
#
# A run script reproduces one published claim with cyclab's own tools: it
# prepares one or more suite files (its folder's, shortened for --smoke),
# announces how long the whole run will take, runs each suite interleaved
# (`cyclab suite --interleave`), reads the results back through cyclab's
# outputs (summary.csv, the result JSON's "summary", `cyclab compare
# --json`), draws them (`cyclab plot`), and writes RESULT.md, whose table and
# verdicts are computed here from the measurements, never typed.
#
# Conventions the run scripts rely on:
#  - paper_start parses the command line (--smoke, -o DIR, --estimate,
#    --report, --help) and sets
#    paper_name, paper_dir (the claim's folder), paper_top (the tree's
#    top), paper_out (results directory), paper_mode (full or smoke) and
#    cyclab (the command; CYCLAB=PATH overrides build/release/cyclab);
#  - a suite line "#smoke LINE" stands for the line after it in a smoke
#    run (LINE replaces it) and is a comment in a full run, so the smoke run
#    goes through the same cells with fewer sizes and shorter runs;
#  - every failure is one line on standard error naming the script, and a
#    non-zero exit: 2 for bad input, 1 for a failed measurement.
#
# POSIX sh and awk only: a fresh machine has both, and nothing else is
# needed to read cyclab's outputs, which keep one JSON key per line.

paper_usage() {
	echo "usage: papers/$paper_name/run [--smoke] [-o DIR] [--estimate | --report]" >&2
	echo "  --smoke   seconds-long run of the same path (suite, table, verdicts; no plots); figures are not measurements" >&2
	echo "  -o DIR    results directory (default results/papers/$paper_name)" >&2
	echo "  --estimate   print the expected duration and run nothing" >&2
	echo "  --report     measure nothing: rewrite RESULT.md from the results already in DIR" >&2
}

paper_fail() {
	echo "papers/$paper_name: $*" >&2
	exit 1
}

paper_bad_input() {
	echo "papers/$paper_name: $*" >&2
	exit 2
}

# paper_start NAME "$@": parse the command line and find cyclab.
paper_start() {
	paper_name=$1
	shift
	paper_dir=$(cd "$(dirname "$0")" && pwd) || exit 2
	paper_top=$(cd "$paper_dir/../.." && pwd) || exit 2
	paper_mode=full
	paper_estimate_only=0
	paper_report_only=0
	paper_out=
	while [ $# -gt 0 ]; do
		case $1 in
		--smoke) paper_mode=smoke ;;
		-o)
			[ $# -ge 2 ] && [ -n "$2" ] || paper_bad_input "-o needs a directory (valid: -o DIR)"
			paper_out=$2
			shift
			;;
		--estimate) paper_estimate_only=1 ;;
		--report) paper_report_only=1 ;;
		-h | --help) paper_usage; exit 0 ;;
		*) paper_bad_input "unknown argument '$1' (valid: --smoke, -o DIR, --estimate, --report, --help)" ;;
		esac
		shift
	done
	[ -n "$paper_out" ] || paper_out=$paper_top/results/papers/$paper_name
	cyclab=${CYCLAB:-$paper_top/build/release/cyclab}
	[ -x "$cyclab" ] || paper_bad_input "$cyclab is missing: build it first (./configure && ninja)"
	if [ "$paper_estimate_only" = 1 ]; then
		# The suites are expanded in a scratch directory: results stay untouched.
		paper_out=$(mktemp -d) || exit 1
		trap 'rm -rf "$paper_out"' EXIT
	fi
	mkdir -p "$paper_out" || paper_bad_input "cannot create results directory $paper_out"
	paper_out=$(cd "$paper_out" && pwd)
	# How RESULT.md names the results directory: from the tree's top when inside it.
	case $paper_out in
	"$paper_top"/*) paper_shown=${paper_out#"$paper_top"/} ;;
	*) paper_shown=$paper_out ;;
	esac
	paper_suites=
	paper_started=$(date +%s)
	# One seed per run: the interleaved order is repeatable from the result
	# files. (Not a CYCLAB_ variable: cyclab run warns about those it does
	# not know.)
	paper_seed=${PAPERS_SEED:-$paper_started}
	case $paper_seed in '' | *[!0-9]*) paper_bad_input "PAPERS_SEED must be a non-negative integer, not '$paper_seed'" ;; esac
}

# paper_measuring: true unless --report asked for the table alone (a run
# script's own measurements, beside its suites, go under it).
paper_measuring() {
	[ "$paper_report_only" = 0 ]
}

# paper_prepare SUITE TAG: write the suite this mode runs to $paper_out/TAG.suite.
paper_prepare() {
	[ -f "$1" ] || paper_fail "suite file $1 is missing"
	if ! paper_measuring; then
		[ -f "$paper_out/$2/summary.csv" ] || paper_bad_input "--report: $paper_out/$2 holds no results: run without --report first"
		paper_suites="$paper_suites $2"
		return
	fi
	awk -v smoke="$([ "$paper_mode" = smoke ] && echo 1 || echo 0)" '
		pending != "" { print (smoke ? pending : $0); pending = ""; next }
		/^#smoke / { pending = substr($0, 8); if (!smoke) print; next }
		{ print }
		END { if (pending != "") { print "a #smoke line ends the file" > "/dev/stderr"; exit 1 } }
	' "$1" >"$paper_out/$2.suite" || paper_fail "cannot prepare $1"
	rm -rf "${paper_out:?}/$2"
	"$cyclab" suite "$paper_out/$2.suite" -o "$paper_out/$2" --list >"$paper_out/$2.cells" ||
		paper_fail "cyclab refused $paper_out/$2.suite"
	paper_suites="$paper_suites $2"
}

# Seconds the prepared suites will take: per cell (warm-up + repetitions) x
# duration, plus a quarter of a second of start-up and set-up per run (what
# a run of this machine's quick suite costs beyond its duration). Runs given
# in --ops are counted at 2 s.
paper_suite_seconds() {
	for tag in $paper_suites; do cat "$paper_out/$tag.cells"; done | awk '
		{
			d = 1; w = 1; r = 5; ops = 0
			for (i = 1; i < NF; i++) {
				if ($i == "--duration") d = $(i + 1)
				else if ($i == "--warmup") w = $(i + 1)
				else if ($i == "--repeat") r = $(i + 1)
				else if ($i == "--ops") ops = 1
			}
			total += (w + r) * ((ops ? 2 : d) + 0.25)
		}
		END { printf "%d\n", total + 0.5 }'
}

# paper_announce EXTRA_SECONDS: say how long the run will take, before it starts.
paper_announce() {
	if ! paper_measuring; then
		echo "papers/$paper_name: rewriting RESULT.md from the results in $paper_out"
		return
	fi
	seconds=$(($(paper_suite_seconds) + $1))
	if [ "$paper_estimate_only" = 1 ]; then
		printf 'papers/%s: %s run: about %s s\n' "$paper_name" "$paper_mode" "$seconds"
		exit 0
	fi
	printf 'papers/%s: %s run, expected to take about %s (%s s), estimated from its cells; results in %s\n' \
		"$paper_name" "$paper_mode" "$(paper_minutes "$seconds")" "$seconds" "$paper_out"
}

paper_minutes() {
	awk -v s="$1" 'BEGIN { if (s < 90) printf "%d s", s; else printf "%.0f min", s / 60 }'
}

# paper_run TAG: run a prepared suite, interleaved.
paper_run() {
	paper_measuring || return 0
	echo "papers/$paper_name: suite $1 ($(wc -l <"$paper_out/$1.cells" | tr -d ' ') cells)"
	"$cyclab" suite "$paper_out/$1.suite" -o "$paper_out/$1" --interleave --seed "$paper_seed" ||
		paper_fail "suite $1 failed (see the cyclab suite output above)"
	# The machine's load as the measurements ended, for the result's header.
	cut -d' ' -f1-3 /proc/loadavg >"$paper_out/load" 2>/dev/null || echo unknown >"$paper_out/load"
}

# paper_plot TAG: the suite's figures in $paper_out/plots/TAG, gnuplot's
# remarks in plots/TAG.log (a missing gnuplot costs the figures, not the
# result). Smoke runs draw nothing: a dozen gnuplot runs per suite would
# cost more than the smoke run's measurements, and figures of seconds-long
# runs show nothing.
paper_plot() {
	paper_measuring || return 0
	[ "$paper_mode" = full ] || return 0
	mkdir -p "$paper_out/plots"
	"$cyclab" plot "$paper_out/$1" -o "$paper_out/plots/$1" --quiet 2>"$paper_out/plots/$1.log" ||
		echo "papers/$paper_name: no figures for $1 (cyclab plot failed: $paper_out/plots/$1.log); the table stands" >&2
}

# paper_rows TAG: summary.csv as tab-separated fields, in this order:
#  1 file  2 workload  3 threads  4 rc  5 gc  6 threshold  7 alloc  8 duration_s
#  9 ops  10 warmup  11 repeat  12 params  13 status  14 ops_per_s_median
#  15 pause_p99_us_median  16 pause_max_us  17 peak_rss_bytes  18 leaked_objects
# (fields quoted in the CSV, such as thresholds, lose their quotes and keep
# their commas; an empty field reads "-", since `read` merges adjacent tabs).
paper_rows() {
	[ -f "$paper_out/$1/summary.csv" ] || paper_fail "$paper_out/$1/summary.csv is missing"
	awk '
		NR == 1 { next }
		{
			line = $0; out = ""; field = ""; quoted = 0
			for (i = 1; i <= length(line); i++) {
				c = substr(line, i, 1)
				if (quoted) {
					if (c == "\"" && substr(line, i + 1, 1) == "\"") { field = field c; i++ }
					else if (c == "\"") quoted = 0
					else field = field c
				} else if (c == "\"") quoted = 1
				else if (c == ",") { out = out (field == "" ? "-" : field) "\t"; field = "" }
				else field = field c
			}
			print out (field == "" ? "-" : field)
		}' "$paper_out/$1/summary.csv"
}

# paper_pairs TAG COLUMN A B: cells that differ only in COLUMN (a paper_rows
# field number), A against B, one line each, tab-separated: workload,
# threads, params, A's result file, B's result file; in summary order.
paper_pairs() {
	paper_rows "$1" | awk -F '\t' -v col="$2" -v a="$3" -v b="$4" -v dir="$paper_out/$1" '
		{
			key = ""
			for (i = 2; i <= 12; i++) if (i != col) key = key "\t" $i
			if ($col == a) fa[key] = $1
			else if ($col == b) fb[key] = $1
			else next
			if (!(key in seen)) { seen[key] = 1; order[++n] = key; wl[key] = $2; th[key] = $3; pa[key] = $12 }
		}
		END {
			for (i = 1; i <= n; i++) {
				k = order[i]
				if ((k in fa) && (k in fb)) printf "%s\t%s\t%s\t%s/%s\t%s/%s\n", wl[k], th[k], pa[k], dir, fa[k], dir, fb[k]
			}
		}'
}

# paper_param PARAMS KEY: a workload parameter's value from summary.csv's
# params field (key=value;key=value).
paper_param() {
	printf '%s\n' "$1" | tr ';' '\n' | sed -n "s/^$2=//p"
}

# paper_median RESULT FIGURE: the median of FIGURE over the result's runs
# (its "summary" object: ops_per_s, pause_total_ms, gc_collected, ...).
paper_median() {
	awk -v figure="\"$2\": {" '
		/^  "summary": \{/ { in_summary = 1; next }
		in_summary && /^  [}]/ { in_summary = 0 }
		in_summary && index($0, figure) == 5 { in_figure = 1; next }
		in_figure && /"median":/ { sub(/.*"median": */, ""); sub(/,$/, ""); print; found = 1; exit }
		END { if (!found) exit 1 }
	' "$1" || paper_fail "$1 has no summary median for $2"
}

# paper_live_peak RESULT: the median over runs of each run's largest sampled
# count of live tracked objects (the series cyclab samples while a run goes).
paper_live_peak() {
	awk '
		/"live_objects": \[/ {
			s = $0; sub(/.*\[/, "", s); sub(/\].*/, "", s)
			k = split(s, v, /, */); m = 0
			for (i = 1; i <= k; i++) if (v[i] + 0 > m) m = v[i] + 0
			peaks[++n] = m
		}
		END {
			if (n == 0) exit 1
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (peaks[j] < peaks[i]) { t = peaks[i]; peaks[i] = peaks[j]; peaks[j] = t }
			print (n % 2 ? peaks[(n + 1) / 2] : (peaks[n / 2] + peaks[n / 2 + 1]) / 2)
		}' "$1" || echo 0
}

# paper_gc_cost RESULT: "US_PER_OBJECT EXAMINED_PER_OBJECT COLLECTED
# MS_PER_OP", medians over runs of the collector's work (the sum of its phase
# times, on whichever thread ran them: the concurrent collector's marking
# included) per object it collected, of the objects it examined per object
# collected, of the objects collected, and of the collector's work per
# workload operation. A run that collected nothing counts as 0 for the first
# two.
paper_gc_cost() {
	awk '
		function median(a, n,    i, j, t) {
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		/^      "ops": / { v = $2; sub(/,$/, "", v); ops = v + 0 }
		/^      "gc": \{/ { in_gc = 1; ms = 0; next }
		in_gc && /^        "collected":/ { v = $2; sub(/,$/, "", v); collected = v + 0 }
		in_gc && /^        "examined":/ { v = $2; sub(/,$/, "", v); examined = v + 0 }
		in_gc && /^          "[a-z_]+": [0-9.e+-]+,?$/ { v = $2; sub(/,$/, "", v); ms += v }
		in_gc && /^      [}]/ {
			in_gc = 0; n++
			cost[n] = collected ? ms * 1000 / collected : 0
			ratio[n] = collected ? examined / collected : 0
			got[n] = collected
			per_op[n] = ops ? ms / ops : 0
		}
		END {
			if (n == 0) exit 1
			printf "%.6g %.6g %.6g %.6g\n", median(cost, n), median(ratio, n), median(got, n), median(per_op, n)
		}' "$1" || paper_fail "$1 has no collector records"
}

# paper_compare A B FIGURE: "ratio p verdict" for FIGURE, B against A, from
# `cyclab compare --json` (ratio = B median / A median; verdict one word:
# better, worse, same or few, for too few runs to tell).
paper_compare() {
	"$cyclab" compare "$1" "$2" --json 2>/dev/null | awk -v figure="\"$3\"" '
		/"figure":/ { in_figure = index($0, figure) > 0; next }
		in_figure && /"ratio":/ { v = $2; sub(/,$/, "", v); ratio = v }
		in_figure && /"p":/ { v = $2; sub(/,$/, "", v); p = v }
		in_figure && /"verdict":/ {
			v = $0; sub(/.*"verdict": *"/, "", v); sub(/".*/, "", v)
			word = v ~ /better/ ? "better" : v ~ /worse/ ? "worse" : v ~ /few/ ? "few" : "same"
			print ratio, p, word; found = 1; exit
		}
		END { if (!found) exit 1 }
	' || paper_fail "cyclab compare found no $3 for $1 against $2"
}

# paper_micro_median JSON BENCHMARK FIELD: FIELD (cpu_time, real_time or a
# counter) of BENCHMARK's median aggregate in Google Benchmark JSON, as
# `cyclab micro --benchmark_out=JSON` writes it.
paper_micro_median() {
	awk -v name="\"$2_median\"" -v field="\"$3\":" '
		/"name":/ { current = index($0, name) > 0; next }
		current && index($0, field) { v = $2; sub(/,$/, "", v); print v + 0; found = 1; exit }
		END { if (!found) exit 1 }
	' "$1" || paper_fail "$1 has no median $3 for $2"
}

# paper_verdict MEASURED CLAIM FLOOR BETTER: the verdict for a figure whose
# claimed value is CLAIM, higher or lower being better (BETTER). Reproduced:
# MEASURED reaches CLAIM. In direction only: MEASURED is past FLOOR (the
# value that means "no effect" plus the noise allowance the caller states)
# without reaching CLAIM. Otherwise not reproduced.
paper_verdict() {
	awk -v m="$1" -v c="$2" -v f="$3" -v b="$4" 'BEGIN {
		if (b == "higher") v = m >= c ? 2 : m > f ? 1 : 0
		else v = m <= c ? 2 : m < f ? 1 : 0
		print (v == 2 ? "reproduced" : v == 1 ? "reproduced in direction only" : "not reproduced")
	}'
}

# paper_gate VERDICT AGREEING TOTAL: VERDICT, unless fewer than half of the
# TOTAL comparisons behind it were significant at 5% in the claimed
# direction (AGREEING, from paper_compare's verdict word): a figure that
# noise could have made is not evidence either way.
paper_gate() {
	if [ "$1" != "not reproduced" ] && [ $(($2 * 2)) -lt "$3" ]; then
		echo "not reproduced: only $2 of $3 differences significant at 5% in the claimed direction"
	else
		echo "$1"
	fi
}

# paper_geomean: the geometric mean of the numbers on standard input.
paper_geomean() {
	awk '$1 > 0 { s += log($1); n++ } END { if (n == 0) exit 1; printf "%.6g\n", exp(s / n) }'
}

# paper_fmt VALUE FORMAT: printf VALUE with an awk format.
paper_fmt() {
	awk -v v="$1" -v f="$2" 'BEGIN { printf f, v }'
}

# paper_header TITLE: the start of RESULT.md: what ran, where and when.
paper_header() {
	first=$(ls "$paper_out"/*/cell-*.json 2>/dev/null | head -n 1)
	cpu=unknown version=unknown
	[ -n "$first" ] && cpu=$(sed -n 's/^    "cpu_model": "\(.*\)",$/\1/p' "$first" | head -n 1)
	[ -n "$first" ] && version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$first" | head -n 1)
	[ -n "$first" ] && paper_seed=$(awk '/^  "interleave": \{/ { getline; sub(/.*"seed": */, ""); sub(/,$/, ""); print; exit }' "$first")
	cat <<EOF
# $1: result

- Command: \`papers/$paper_name/run$([ "$paper_mode" = smoke ] && echo " --smoke")\` (cyclab $version)
- Finished: $(paper_finished)
- Machine: $cpu, $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs online, load average as the measurements ended $(cat "$paper_out/load" 2>/dev/null || echo unknown)
- Interleave seed: $paper_seed (\`PAPERS_SEED=$paper_seed\` repeats the order)
EOF
	if [ "$paper_mode" = smoke ]; then
		echo "- SMOKE RUN: seconds-long runs on small sizes to check the path; the figures below are not measurements."
	fi
	echo
}

# When the measurements ended: now, or for --report the newest result's time.
paper_finished() {
	if paper_measuring; then
		echo "$(date -u '+%Y-%m-%d %H:%M UTC'), after $(paper_minutes $(($(date +%s) - paper_started)))"
	else
		newest=$(ls -t "$paper_out"/*/summary.csv | head -n 1)
		echo "$(date -u -r "$newest" '+%Y-%m-%d %H:%M UTC') (table rewritten by --report $(date -u '+%Y-%m-%d %H:%M UTC'))"
	fi
}

# paper_finish: say where everything is.
paper_finish() {
	echo "papers/$paper_name: done in $(paper_minutes $(($(date +%s) - paper_started))); table and verdicts in $paper_out/RESULT.md, figures in $paper_out/plots"
}
