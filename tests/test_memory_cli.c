/*
 * test_memory_cli.c: `cyclab run --trace-alloc` and `cyclab memory`, run as
 * the built command. linked-cycles under --gc off leaks every ring, so a
 * run of N operations leaves exactly 2N nodes of 64 bytes traced, all made
 * during the timed part at one line of workloads/linked_cycles.c per node
 * of a ring, and --find-leaks finds 2N more nodes in each run and a ring's
 * cycle; weak observers make no cycle, and nothing grows. Bad input to
 * either command is one line and exit status 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/tracemalloc.h"
#include "tests/cyclab_binary.h"

enum { OPS = 1000, NODE_BYTES = 64 };

static char result_path[512];

/* One run of linked-cycles with tracing; the result in result_path. */
static void traced_run(void)
{
	cy_test_scratch_path(result_path, sizeof result_path, "traced.json");
	char ops[32];
	snprintf(ops, sizeof ops, "%d", OPS);
	cy_test_outcome o = cy_test_run_cyclab("run", "linked-cycles", "--ops", ops, "--gc", "off", "--repeat", "1",
					       "--warmup", "0", "--trace-alloc=4", "--quiet", "-o", result_path, NULL);
	cy_test_expect_status(&o, 0);
	cy_test_outcome_free(&o);
}

static void skip_without_tracing(void)
{
	if (!cy_tracemalloc_available()) {
		cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--trace-alloc", NULL), "libdw", NULL);
		skip();
	}
}

static void by_type_counts_every_leaked_node(void **state)
{
	(void)state;
	skip_without_tracing();
	traced_run();
	cy_test_outcome o = cy_test_run_cyclab("memory", result_path, "--by", "type", "--format", "csv", NULL);
	cy_test_expect_status(&o, 0);
	char expected[256];
	snprintf(expected, sizeof expected,
		 "type,size,size_diff,count,count_diff,average\n"
		 "\"linked_cycles.node\",%d,%d,%d,%d,%d\n",
		 2 * OPS * NODE_BYTES, 2 * OPS * NODE_BYTES, 2 * OPS, 2 * OPS, NODE_BYTES);
	assert_string_equal(o.out, expected);
	cy_test_outcome_free(&o);
}

static void by_line_in_the_familiar_form(void **state)
{
	(void)state;
	skip_without_tracing();
	traced_run();
	cy_test_outcome o = cy_test_run_cyclab("memory", result_path, NULL);
	cy_test_expect_status(&o, 0);
	/* A header, then one line per node of a ring: each line made OPS nodes. */
	assert_int_equal(cy_test_count_lines(o.out), 3);
	assert_non_null(strstr(o.out, "linked-cycles, run 1 of 1: top 2 by line (stacks of 4 frames;"));
	const char *line = strchr(o.out, '\n') + 1;
	assert_int_equal(strncmp(line, "workloads/linked_cycles.c:", 26), 0);
	assert_non_null(strstr(line, ": size=62.5 KiB (+62.5 KiB), count=1,000 (+1,000), average=64 B\n"));
	cy_test_outcome_free(&o);

	o = cy_test_run_cyclab("memory", result_path, "--by", "traceback", "--top", "1", NULL);
	cy_test_expect_status(&o, 0);
	assert_non_null(strstr(o.out, "\nsize=62.5 KiB (+62.5 KiB), count=1,000 (+1,000), average=64 B\n"
				      "  workloads/linked_cycles.c:"));
	cy_test_outcome_free(&o);
}

static void find_leaks_follows_a_ring_around(void **state)
{
	(void)state;
	char dot[512], ops[32];
	cy_test_scratch_path(dot, sizeof dot, "leak.dot");
	snprintf(ops, sizeof ops, "%d", OPS);
	char option[600];
	snprintf(option, sizeof option, "--find-leaks=%s", dot);
	cy_test_outcome o = cy_test_run_cyclab("run", "linked-cycles", "--ops", ops, "--gc", "off", "--repeat", "2",
					       "--warmup", "0", option, NULL);
	cy_test_expect_status(&o, 0);
	char expected[128];
	snprintf(expected, sizeof expected, "\n  linked_cycles.node: +%d +%d (grew in 2 of 2 runs)\n", 2 * OPS, 2 * OPS);
	assert_non_null(strstr(o.out, expected));
	assert_non_null(strstr(o.out, "\none linked_cycles.node of the last run, around its cycle:\n  linked_cycles.node 0x"));
	assert_non_null(strstr(o.out, " -> (back to the first)\n"));
	cy_test_outcome_free(&o);
	char *graph = cy_test_slurp(dot, NULL);
	assert_non_null(graph);
	assert_int_equal(strncmp(graph, "digraph leak {\n", 15), 0);
	/* Two nodes, each pointing at the other. */
	assert_non_null(strstr(graph, "\tn0 -> n1;\n\tn1 -> n0;\n}\n"));
	assert_null(strstr(graph, "n2"));
	free(graph);
}

static void weak_observers_do_not_grow(void **state)
{
	(void)state;
	char dot[512], option[600];
	cy_test_scratch_path(dot, sizeof dot, "none.dot");
	snprintf(option, sizeof option, "--find-leaks=%s", dot);
	cy_test_outcome o = cy_test_run_cyclab("run", "observers", "--param", "variant=weak", "--ops", "200", "--gc", "off",
					       "--repeat", "2", "--warmup", "0", option, NULL);
	cy_test_expect_status(&o, 0);
	assert_non_null(strstr(o.out, "change over the timed part of each measured run:\n  none grew\n"));
	cy_test_outcome_free(&o);
	char *graph = cy_test_slurp(dot, NULL);
	assert_non_null(graph);
	assert_string_equal(graph, "digraph leak {\n\tnode [shape=box, fontname=\"monospace\"];\n}\n");
	free(graph);
}

static void bad_input_is_refused(void **state)
{
	(void)state;
	cy_test_expect_refusal(cy_test_run_cyclab("memory", NULL), "which result", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("memory", "/nonexistent/result.json", NULL), "/nonexistent/result.json",
			       NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("memory", "x.json", "--by", "colour", NULL), "--by", "colour");
	cy_test_expect_refusal(cy_test_run_cyclab("memory", "x.json", "--top", "0", NULL), "--top", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("memory", "x.json", "--format", "xml", NULL), "--format", NULL);
	if (cy_tracemalloc_available()) {
		cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--trace-alloc=0", NULL), "--trace-alloc",
				       "0");
		cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--trace-alloc=many", NULL),
				       "--trace-alloc", "many");
	}
	cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--find-leaks=", NULL), "--find-leaks", NULL);
	/* A result without a trace. */
	char plain[512];
	cy_test_scratch_path(plain, sizeof plain, "plain.json");
	cy_test_outcome o = cy_test_run_cyclab("run", "linked-cycles", "--ops", "100", "--repeat", "1", "--warmup", "0",
					       "--quiet", "-o", plain, NULL);
	cy_test_expect_status(&o, 0);
	cy_test_outcome_free(&o);
	cy_test_expect_refusal(cy_test_run_cyclab("memory", plain, NULL), "--trace-alloc", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("memory", plain, "--run", "2", NULL), "1 measured runs", NULL);
}

int main(void)
{
	if (cy_test_cyclab_setup("test_memory_cli") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(by_type_counts_every_leaked_node),
		cmocka_unit_test(by_line_in_the_familiar_form),
		cmocka_unit_test(find_leaks_follows_a_ring_around),
		cmocka_unit_test(weak_observers_do_not_grow),
		cmocka_unit_test(bad_input_is_refused),
	};
	int failed = cmocka_run_group_tests_name("test_memory_cli", tests, NULL, NULL);
	cy_test_remove_tree(cy_test_scratch());
	return failed;
}
