/*
 * memory_command.h: `cyclab memory RESULT`, the allocation sites of a
 * result written by `cyclab run --trace-alloc` (memory_command.c).
 */
#ifndef CY_BENCH_MEMORY_COMMAND_H
#define CY_BENCH_MEMORY_COMMAND_H

int cy_memory_main(int argc, char **argv);

#endif
