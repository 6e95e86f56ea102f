/*
 * suite_command.h: `cyclab suite`, the command over the suite room
 * (bench/cli/suite_command.c says how it goes about it).
 */
#ifndef CY_BENCH_SUITE_COMMAND_H
#define CY_BENCH_SUITE_COMMAND_H

/* The command (argv[0] reads "cyclab suite"). */
int cy_suite_main(int argc, char **argv);

#endif
