/*
 * noise.c: CPU time, context switches, load average and run-queue wait of
 * a repetition, and whether it was disturbed (noise.h says what each is
 * and the rule).
 *
 * Nothing here runs inside the timed part but the two schedstat reads each
 * workload thread makes, one just before the start gate opens and one
 * after its share of the work, so the figures cost the measured workload
 * nothing it would notice.
 */
#include "bench/harness/noise.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

static double seconds_of(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

void cy_noise_mark_now(cy_noise_mark *mark)
{
	struct rusage u;
	if (getrusage(RUSAGE_SELF, &u) != 0) {
		*mark = (cy_noise_mark){0};
		return;
	}
	mark->user_s = seconds_of(u.ru_utime);
	mark->system_s = seconds_of(u.ru_stime);
	mark->voluntary_switches = u.ru_nvcsw;
	mark->involuntary_switches = u.ru_nivcsw;
}

int64_t cy_noise_thread_runqueue_ns(void)
{
	int fd = open("/proc/thread-self/schedstat", O_RDONLY);
	if (fd < 0)
		return -1;
	char text[128];
	ssize_t got = read(fd, text, sizeof text - 1);
	close(fd);
	if (got <= 0)
		return -1;
	text[got] = '\0';
	/* "time on a CPU" "time runnable on a run queue" "timeslices", all since the thread began. */
	unsigned long long on_cpu, waiting;
	if (sscanf(text, "%llu %llu", &on_cpu, &waiting) != 2)
		return -1;
	return (int64_t)waiting;
}

void cy_noise_load_average(double out[3])
{
	if (getloadavg(out, 3) != 3)
		out[0] = out[1] = out[2] = -1;
}

void cy_noise_finish(cy_run_noise *out, const cy_noise_mark *before, const cy_noise_mark *after,
	const double load_average[3], unsigned threads, double seconds, int64_t runqueue_wait_ns)
{
	out->user_s = after->user_s - before->user_s;
	out->system_s = after->system_s - before->system_s;
	out->voluntary_switches = after->voluntary_switches - before->voluntary_switches;
	out->involuntary_switches = after->involuntary_switches - before->involuntary_switches;
	for (int i = 0; i < 3; i++)
		out->load_average[i] = load_average[i];
	out->cpu_asked_s = (double)threads * seconds;
	out->runqueue_wait_s = runqueue_wait_ns >= 0 ? (double)runqueue_wait_ns / 1e9 : -1;
	if (out->runqueue_wait_s >= 0) {
		out->disturbed = out->runqueue_wait_s > CY_RUN_DISTURBED_FRACTION * out->cpu_asked_s;
	} else {
		long online = sysconf(_SC_NPROCESSORS_ONLN);
		double usable = (double)(online > 0 && (unsigned long)online < threads ? (unsigned)online : threads);
		out->disturbed = out->user_s + out->system_s < (1 - CY_RUN_DISTURBED_FRACTION) * usable * seconds;
	}
}
