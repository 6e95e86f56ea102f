/*
 * value_parse.c: strict numbers, and the names of the pin policies
 * (value_parse.h).
 *
 * The text is checked against the grammar character by character first;
 * only then is it converted, integers digit by digit with an overflow check
 * before each step (so no strtol quirk, such as skipped blanks or a wrapped
 * negative, can let a value through), numbers with strtod, which on text
 * of this grammar reads exactly what the grammar says.
 */
#include "bench/harness/value_parse.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cy_value_refuse(char *why, size_t len, const char *name, const char *valid, const char *text)
{
	snprintf(why, len, "%s=%.64s%s: not valid (valid: %s)", name, text, strlen(text) > 64 ? "..." : "", valid);
	return -1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Digits of text into *out (at most limit); the first character not a digit into *end. -1 past limit or without digits. */
static int read_digits(const char *text, uint64_t limit, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	const char *p = text;
	for (; is_digit(*p); p++) {
		uint64_t d = (uint64_t)(*p - '0');
		if (v > (limit - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*end = p;
	*out = v;
	return p == text ? -1 : 0;
}

int cy_value_int(const char *name, const char *text, int64_t min, int64_t max, cy_value_suffix suffix, int64_t *out,
	char *why, size_t len)
{
	char valid[160];
	snprintf(valid, sizeof valid, "an integer in %" PRId64 "..%" PRId64 "%s", min, max,
		suffix == CY_VALUE_DECIMAL_SUFFIX ? "; K, M, G = 1000^1..3"
		: suffix == CY_VALUE_BINARY_SUFFIX ? "; K, M, G = 1024^1..3"
						   : "");
	const char *p = text;
	int negative = *p == '-' && min < 0;
	p += negative;
	uint64_t magnitude;
	const char *end;
	if (read_digits(p, UINT64_MAX, &magnitude, &end) != 0)
		return cy_value_refuse(why, len, name, valid, text);
	uint64_t scale = 1, k = suffix == CY_VALUE_BINARY_SUFFIX ? 1024 : 1000;
	if (suffix != CY_VALUE_NO_SUFFIX && *end) {
		switch (*end) {
		case 'k': case 'K': scale = k; end++; break;
		case 'm': case 'M': scale = k * k; end++; break;
		case 'g': case 'G': scale = k * k * k; end++; break;
		}
	}
	if (*end || magnitude > UINT64_MAX / scale)
		return cy_value_refuse(why, len, name, valid, text);
	magnitude *= scale;
	/* In range as a magnitude first, so the conversion to int64_t is exact. */
	int64_t v;
	if (negative) {
		if (magnitude > (uint64_t)INT64_MAX + 1)
			return cy_value_refuse(why, len, name, valid, text);
		v = magnitude == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)magnitude;
	} else {
		if (magnitude > (uint64_t)INT64_MAX)
			return cy_value_refuse(why, len, name, valid, text);
		v = (int64_t)magnitude;
	}
	if (v < min || v > max)
		return cy_value_refuse(why, len, name, valid, text);
	*out = v;
	return 0;
}

int cy_value_uint64(const char *name, const char *text, uint64_t *out, char *why, size_t len)
{
	uint64_t v;
	const char *end;
	if (read_digits(text, UINT64_MAX, &v, &end) != 0 || *end)
		return cy_value_refuse(why, len, name, "an integer in 0..18446744073709551615", text);
	*out = v;
	return 0;
}

/* Does text follow the number grammar of value_parse.h? */
static int is_number(const char *p)
{
	if (*p == '-')
		p++;
	size_t whole = strspn(p, "0123456789");
	p += whole;
	size_t fraction = 0;
	if (*p == '.') {
		p++;
		fraction = strspn(p, "0123456789");
		p += fraction;
	}
	if (!whole && !fraction)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		size_t exponent = strspn(p, "0123456789");
		if (!exponent)
			return 0;
		p += exponent;
	}
	return *p == '\0';
}

int cy_value_double(const char *name, const char *text, double min, int min_open, double max, const char *unit,
	double *out, char *why, size_t len)
{
	char valid[160];
	if (min_open)
		snprintf(valid, sizeof valid, "%s above %g, up to %g", unit, min, max);
	else
		snprintf(valid, sizeof valid, "%s in %g..%g", unit, min, max);
	if (!is_number(text))
		return cy_value_refuse(why, len, name, valid, text);
	double v = strtod(text, NULL);
	if (!isfinite(v) || (min_open ? v <= min : v < min) || v > max)
		return cy_value_refuse(why, len, name, valid, text);
	*out = v;
	return 0;
}

static const char *const pin_policy_names[] = {
	[CY_PIN_NONE] = "none",
	[CY_PIN_COMPACT] = "compact",
	[CY_PIN_SCATTER] = "scatter",
};

int cy_pin_policy_parse(const char *text, cy_pin_policy *out)
{
	for (size_t i = 0; text && i < sizeof pin_policy_names / sizeof pin_policy_names[0]; i++) {
		if (strcmp(text, pin_policy_names[i]) == 0) {
			*out = (cy_pin_policy)i;
			return 0;
		}
	}
	return -1;
}

const char *cy_pin_policy_name(cy_pin_policy policy)
{
	if ((unsigned)policy < sizeof pin_policy_names / sizeof pin_policy_names[0])
		return pin_policy_names[policy];
	return "unknown";
}
