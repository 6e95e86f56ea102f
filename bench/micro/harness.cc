/*
 * harness.cc: the C++ side of harness.h, the only C++ in cyclab.
 *
 * Each C benchmark becomes a Google Benchmark lambda that owns nothing but a
 * pointer to its Registration (kept for the life of the process). The
 * lambda builds a cy_bench_state on its stack for the calling thread, so a
 * C function sees one opaque pointer whose fields only this file reads.
 *
 * Setup and teardown. Google Benchmark's Setup() hook is a bare function
 * pointer without context, so the shim gates the threads of a run itself:
 * thread 0 runs setup, then every thread meets at setup_gate; after the C
 * function returns, every thread arrives at teardown_gate and only thread 0
 * waits there, then runs teardown. Runs of one benchmark never overlap
 * (Google Benchmark joins a run's threads before the next starts), so one
 * pair of gates per registration serves every run; setup_error is written
 * by thread 0 before setup_gate and read by the others after it.
 *
 * Loop protocol. Google Benchmark's own start and stop barriers sit inside
 * the first and last KeepRunning call of every thread; a thread that returns
 * without making them would leave the others waiting until its lambda
 * returns, and with the teardown gate holding thread 0 that could be never.
 * So each state tracks its loop (not started, running, finished) and
 * finish_loop() completes it before any gate: a run either measures every
 * thread's loop or is reported as an error.
 */
#include "bench/micro/harness.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

/*
 * Counts the threads of one run. arrive_and_wait() returns once all
 * `parties` have arrived; arrive() is counted the same but returns at once.
 * The generation number makes the gate reusable by the next run.
 */
class Gate {
public:
	void arrive_and_wait(int parties)
	{
		std::unique_lock<std::mutex> lock(mutex_);
		uint64_t generation = generation_;
		if (count_arrival(parties))
			return;
		all_arrived_.wait(lock, [&] { return generation_ != generation; });
	}

	void arrive(int parties)
	{
		std::lock_guard<std::mutex> lock(mutex_);
		count_arrival(parties);
	}

private:
	/* mutex_ held; true when this arrival completes the generation. */
	bool count_arrival(int parties)
	{
		if (++arrived_ < parties)
			return false;
		arrived_ = 0;
		generation_++;
		all_arrived_.notify_all();
		return true;
	}

	std::mutex mutex_;
	std::condition_variable all_arrived_;
	int arrived_ = 0;
	uint64_t generation_ = 0;
};

struct Registration {
	std::string name;
	cy_bench_fn run = nullptr;
	void *context = nullptr;
	cy_bench_setup_fn setup = nullptr;
	cy_bench_teardown_fn teardown = nullptr;
	unsigned arg_dims = 0; /* arguments each run has: 0 or 1 */
	Gate setup_gate;
	Gate teardown_gate;
	bool setup_failed = false;
	std::string setup_error;
};

/* Every registration, alive until exit: Google Benchmark keeps pointers to them. */
std::vector<std::unique_ptr<Registration>> registrations;

/* Set by any thread that reports an error; makes cy_bench_main fail. */
std::atomic<bool> any_error{false};

enum class Loop { not_started, running, finished };

} // namespace

struct cy_bench_state {
	benchmark::State *gb;
	const Registration *registration;
	Loop loop;
};

namespace {

/* Complete this thread's part of the start/stop protocol if the C function did not. */
void finish_loop(cy_bench_state &state)
{
	if (state.loop == Loop::finished)
		return;
	cy_bench_skip_with_error(&state, "benchmark function returned before its loop ended");
	while (state.gb->KeepRunning()) {
	}
	state.loop = Loop::finished;
}

void run_benchmark(benchmark::State &gb, Registration *r)
{
	cy_bench_state state{&gb, r, Loop::not_started};
	const bool thread0 = gb.thread_index() == 0;
	const bool gated = r->setup || r->teardown;
	if (gated) {
		if (thread0) {
			const char *error = r->setup ? r->setup(&state, r->context) : nullptr;
			r->setup_failed = error != nullptr;
			r->setup_error = error ? error : "";
		}
		r->setup_gate.arrive_and_wait(gb.threads());
	}
	if (gated && r->setup_failed)
		cy_bench_skip_with_error(&state, r->setup_error.c_str());
	else
		r->run(&state, r->context);
	finish_loop(state);
	if (!gated)
		return;
	if (!thread0) {
		r->teardown_gate.arrive(gb.threads());
		return;
	}
	r->teardown_gate.arrive_and_wait(gb.threads());
	if (!r->setup_failed && r->teardown)
		r->teardown(&state, r->context);
}

/* Why def cannot be registered, or nullptr. */
const char *invalid_def(const cy_bench_def *def)
{
	if (!def || !def->name || !*def->name)
		return "a benchmark needs a name";
	if (!def->run)
		return "a benchmark needs a function";
	if (def->arg_count > CY_BENCH_MAX_LIST || (def->arg_count && !def->args))
		return "args: at most CY_BENCH_MAX_LIST values, and a pointer to them";
	int thread_specs = (def->threads != 0) + (def->threads_min != 0 || def->threads_max != 0) +
			   (def->thread_list_count != 0);
	if (thread_specs > 1)
		return "give at most one of threads, threads_min/threads_max and thread_list";
	if (def->threads < 0)
		return "threads must be positive";
	if ((def->threads_min || def->threads_max) && (def->threads_min < 1 || def->threads_max < def->threads_min))
		return "thread range needs 1 <= threads_min <= threads_max";
	if (def->thread_list_count > CY_BENCH_MAX_LIST || (def->thread_list_count && !def->thread_list))
		return "thread_list: at most CY_BENCH_MAX_LIST counts, and a pointer to them";
	for (size_t i = 0; i < def->thread_list_count; i++) {
		if (def->thread_list[i] < 1)
			return "thread_list counts must be positive";
	}
	return nullptr;
}

/*
 * Every benchmark also reports the fastest of its repetitions (aggregate
 * "min"): a shared machine only ever slows a run down, so the fastest one is
 * the steadiest estimate of what the code itself costs.
 */
double fastest(const std::vector<double> &values)
{
	return values.empty() ? 0.0 : *std::min_element(values.begin(), values.end());
}

void register_one(const cy_bench_def *def)
{
	auto owned = std::make_unique<Registration>();
	Registration *r = owned.get();
	r->name = def->name;
	r->run = def->run;
	r->context = def->context;
	r->setup = def->setup;
	r->teardown = def->teardown;
	r->arg_dims = def->arg_count ? 1 : 0;
	registrations.push_back(std::move(owned));

	benchmark::internal::Benchmark *b =
		benchmark::RegisterBenchmark(r->name.c_str(), [r](benchmark::State &gb) { run_benchmark(gb, r); });
	for (size_t i = 0; i < def->arg_count; i++)
		b->Arg(def->args[i]);
	if (def->arg_name)
		b->ArgName(def->arg_name);
	if (def->threads)
		b->Threads(def->threads);
	if (def->threads_min)
		b->ThreadRange(def->threads_min, def->threads_max);
	for (size_t i = 0; i < def->thread_list_count; i++)
		b->Threads(def->thread_list[i]);
	if (def->use_real_time)
		b->UseRealTime();
	b->ComputeStatistics("min", fastest);
}

} // namespace

extern "C" int cy_bench_register(const cy_bench_def *def)
{
	const char *why = invalid_def(def);
	if (why) {
		std::fprintf(stderr, "cyclab: cannot register benchmark '%s': %s\n",
			     def && def->name ? def->name : "(unnamed)", why);
		return -1;
	}
	try {
		register_one(def);
	} catch (const std::exception &e) {
		std::fprintf(stderr, "cyclab: cannot register benchmark '%s': %s\n", def->name, e.what());
		return -1;
	}
	return 0;
}

extern "C" void cy_bench_add_context(const char *key, const char *value)
{
	try {
		benchmark::AddCustomContext(key, value);
	} catch (const std::exception &e) {
		std::fprintf(stderr, "cyclab: cannot record context '%s': %s\n", key, e.what());
	}
}

extern "C" int cy_bench_main(int argc, char **argv)
{
	const char *program = argc > 0 && argv[0] ? argv[0] : "cyclab";
	try {
		benchmark::Initialize(&argc, argv);
		if (argc > 1) {
			std::fprintf(stderr,
				     "%s: unknown argument '%s' (valid: Google Benchmark's --benchmark_* flags, such as "
				     "--benchmark_filter=REGEX, --benchmark_repetitions=N, --benchmark_format=json, "
				     "--benchmark_out=FILE; --help lists them)\n",
				     program, argv[1]);
			return 2;
		}
		size_t matched = benchmark::RunSpecifiedBenchmarks();
		benchmark::Shutdown();
		if (matched == 0)
			return 1; /* Google Benchmark has said the filter matched nothing */
		return any_error.load() ? 1 : 0;
	} catch (const std::exception &e) {
		std::fprintf(stderr, "%s: benchmark run failed: %s\n", program, e.what());
		return 1;
	}
}

/* ---- inside a running benchmark ---------------------------------------- */

extern "C" int cy_bench_keep_running(cy_bench_state *state)
{
	bool more = state->gb->KeepRunning();
	state->loop = more ? Loop::running : Loop::finished;
	return more;
}

extern "C" int cy_bench_keep_running_batch(cy_bench_state *state, int64_t n)
{
	bool more = state->gb->KeepRunningBatch(n > 0 ? n : 1);
	state->loop = more ? Loop::running : Loop::finished;
	return more;
}

extern "C" int cy_bench_thread_index(const cy_bench_state *state) { return state->gb->thread_index(); }

extern "C" int cy_bench_threads(const cy_bench_state *state) { return state->gb->threads(); }

extern "C" int64_t cy_bench_range(const cy_bench_state *state, unsigned i)
{
	if (i >= state->registration->arg_dims) {
		std::fprintf(stderr, "cyclab: benchmark '%s' reads argument %u but was registered with %u\n",
			     state->registration->name.c_str(), i, state->registration->arg_dims);
		std::abort();
	}
	return state->gb->range(i);
}

extern "C" int64_t cy_bench_iterations(const cy_bench_state *state) { return state->gb->iterations(); }

extern "C" void cy_bench_pause_timing(cy_bench_state *state) { state->gb->PauseTiming(); }

extern "C" void cy_bench_resume_timing(cy_bench_state *state) { state->gb->ResumeTiming(); }

extern "C" void cy_bench_set_items_processed(cy_bench_state *state, int64_t items)
{
	state->gb->SetItemsProcessed(items);
}

extern "C" void cy_bench_set_counter(cy_bench_state *state, const char *name, double value, unsigned flags)
{
	int gb_flags = benchmark::Counter::kDefaults;
	if (flags & CY_BENCH_COUNTER_RATE)
		gb_flags |= benchmark::Counter::kIsRate;
	if (flags & CY_BENCH_COUNTER_THREAD_AVERAGE)
		gb_flags |= benchmark::Counter::kAvgThreads;
	if (flags & CY_BENCH_COUNTER_PER_ITERATION)
		gb_flags |= benchmark::Counter::kAvgIterations;
	state->gb->counters[name] = benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(gb_flags));
}

extern "C" void cy_bench_skip_with_error(cy_bench_state *state, const char *message)
{
	if (state->gb->error_occurred())
		return;
	state->gb->SkipWithError(message);
	any_error.store(true);
}
