/*
 * value_parse.h: the one parser of every number cyclab is given, wherever
 * it comes from: an option, a CYCLAB_* variable, a suite file (whose values
 * become options), a workload parameter, --seed, --shard; and of the one
 * knob whose named values belong to the harness, --pin.
 *
 * The grammar is strict and the same everywhere, so a value means one thing
 * in every place it can be written:
 *   integer:  -?[0-9]+ then, where the value allows it, one of k K m M g G
 *             (powers of 1000, or of 1024 for byte sizes); a minus sign only
 *             where the range has negative values;
 *   unsigned: [0-9]+, 0 .. 2^64 - 1 (seeds);
 *   number:   -?([0-9]+(.[0-9]*)?|.[0-9]+)([eE][+-]?[0-9]+)?, finite.
 * No blanks, no '+', no hexadecimal or octal, no "inf" or "nan", nothing
 * after the number; out of range is refused, never wrapped or clamped.
 *
 * Every refusal has the same shape, in why: "NAME=TEXT: not valid (valid:
 * VALID)" (such as "--threads=0x2: not valid (valid: an integer in 1..64;
 * K, M, G = 1000^1..3)"), which the caller prefixes with where the value
 * came from (a suite's file and line, a variable's name).
 */
#ifndef CY_BENCH_VALUE_PARSE_H
#define CY_BENCH_VALUE_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Which multiplier suffixes an integer may carry. */
typedef enum cy_value_suffix {
	CY_VALUE_NO_SUFFIX,
	CY_VALUE_DECIMAL_SUFFIX, /* K M G = 1000^1..3 */
	CY_VALUE_BINARY_SUFFIX,  /* K M G = 1024^1..3 (byte sizes) */
} cy_value_suffix;

/* An integer in min..max into *out; -1 with why. name: what the value is for ("--threads"). */
int cy_value_int(const char *name, const char *text, int64_t min, int64_t max, cy_value_suffix suffix, int64_t *out,
	char *why, size_t len);

/* An unsigned 64-bit integer, the whole range, no suffix; -1 with why. */
int cy_value_uint64(const char *name, const char *text, uint64_t *out, char *why, size_t len);

/*
 * A number in [min, max] into *out, or in (min, max] when min_open; -1 with
 * why. unit names what it counts ("seconds", or "a number").
 */
int cy_value_double(const char *name, const char *text, double min, int min_open, double max, const char *unit,
	double *out, char *why, size_t len);

/* The common refusal: why = "NAME=TEXT: not valid (valid: VALID)"; returns -1. */
int cy_value_refuse(char *why, size_t len, const char *name, const char *valid, const char *text);

/*
 * The values of --pin (bench/harness/placement.h places threads by them).
 * The other named knobs' values are parsed beside what they name:
 * cy_rc_mode_parse, cy_gc_mode_parse, cy_alloc_parse.
 */
typedef enum cy_pin_policy { CY_PIN_NONE, CY_PIN_COMPACT, CY_PIN_SCATTER } cy_pin_policy;

/* "none", "compact", "scatter": 0 and *out set; anything else: -1, *out untouched. */
int cy_pin_policy_parse(const char *text, cy_pin_policy *out);
const char *cy_pin_policy_name(cy_pin_policy policy);

#endif
