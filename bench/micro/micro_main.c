/*
 * micro_main.c: main() of the micro_* programs, which run the suite of
 * micro.c standalone (bench/micro/run-micro runs each of them).
 */
#include "bench/micro/micro.h"

int main(int argc, char **argv) { return cy_micro_main(argc, argv); }
