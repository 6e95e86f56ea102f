/*
 * json_schema.c: a JSON Schema checker for the subset json_schema.h lists.
 *
 * A recursive walk of schema and document together. The place in the
 * document is kept as text ("runs[2].pauses") in a buffer the recursion
 * extends and truncates, so an error names where it is without allocating.
 * $ref is resolved against the root schema each time it is met; a
 * reference that leads back to itself without consuming any document would
 * recurse forever, so the depth is bounded (CHECK_DEPTH_MAX).
 */
#include "bench/results/json_schema.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define CHECK_DEPTH_MAX 64

typedef struct checker {
	const json_t *root;
	char place[512];
	char *why;
	size_t len;
	int depth;
} checker;

static int fail(checker *c, const char *what)
{
	snprintf(c->why, c->len, "%s: %s", c->place[0] ? c->place : "(document)", what);
	return -1;
}

static const char *type_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

static int is_type(const json_t *v, const char *name)
{
	if (strcmp(name, "number") == 0)
		return json_is_number(v);
	return strcmp(type_of(v), name) == 0;
}

/* Numbers compare by value (1 equals 1.0), everything else as jansson's json_equal. */
static int same_value(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_equal((json_t *)a, (json_t *)b);
}

static int check(checker *c, const json_t *schema, const json_t *v);

static const json_t *resolve(checker *c, const char *ref)
{
	static const char prefix[] = "#/$defs/";
	if (strncmp(ref, prefix, sizeof prefix - 1) != 0)
		return NULL;
	return json_object_get(json_object_get(c->root, "$defs"), ref + sizeof prefix - 1);
}

/* Check v against schema with place extended by suffix (".key" or "[i]"). */
static int check_below(checker *c, const json_t *schema, const json_t *v, const char *suffix)
{
	size_t at = strlen(c->place);
	snprintf(c->place + at, sizeof c->place - at, "%s", suffix);
	int err = check(c, schema, v);
	if (!err)
		c->place[at] = '\0';
	return err;
}

static int check_type(checker *c, const json_t *type, const json_t *v)
{
	char expected[128] = "";
	if (json_is_string(type)) {
		if (is_type(v, json_string_value(type)))
			return 0;
		snprintf(expected, sizeof expected, "%s", json_string_value(type));
	} else if (json_is_array(type)) {
		size_t i;
		const json_t *t;
		json_array_foreach(type, i, t) {
			if (json_is_string(t) && is_type(v, json_string_value(t)))
				return 0;
			size_t used = strlen(expected);
			snprintf(expected + used, sizeof expected - used, "%s%s", i ? " or " : "",
				json_is_string(t) ? json_string_value(t) : "?");
		}
	} else {
		return fail(c, "the schema's \"type\" is neither a name nor a list of names");
	}
	char what[256];
	snprintf(what, sizeof what, "expected %s, found %s", expected, type_of(v));
	return fail(c, what);
}

static int check_object(checker *c, const json_t *schema, const json_t *v)
{
	const json_t *required = json_object_get(schema, "required");
	const json_t *properties = json_object_get(schema, "properties");
	const json_t *additional = json_object_get(schema, "additionalProperties");
	if (!json_is_object(v))
		return 0; /* these keywords constrain objects only */
	size_t i;
	const json_t *name;
	json_array_foreach(required, i, name) {
		if (!json_object_get(v, json_string_value(name))) {
			char what[256];
			snprintf(what, sizeof what, "required key \"%s\" is missing", json_string_value(name));
			return fail(c, what);
		}
	}
	const char *key;
	const json_t *value;
	json_object_foreach((json_t *)v, key, value) {
		const json_t *sub = json_object_get(properties, key);
		if (!sub && additional) {
			if (json_is_false(additional)) {
				char what[256];
				snprintf(what, sizeof what, "key \"%s\" is not allowed here", key);
				return fail(c, what);
			}
			if (json_is_object(additional))
				sub = additional;
		}
		if (!sub)
			continue;
		char suffix[160];
		snprintf(suffix, sizeof suffix, ".%s", key);
		if (check_below(c, sub, value, suffix) != 0)
			return -1;
	}
	return 0;
}

static int check(checker *c, const json_t *schema, const json_t *v)
{
	if (json_is_true(schema))
		return 0;
	if (!json_is_object(schema))
		return fail(c, "the schema here is not an object");
	if (++c->depth > CHECK_DEPTH_MAX)
		return fail(c, "the schema's references nest too deep");
	int err = 0;
	const char *keyword;
	const json_t *arg;
	json_object_foreach((json_t *)schema, keyword, arg) {
		if (err)
			break;
		if (strcmp(keyword, "$ref") == 0) {
			const json_t *target = json_is_string(arg) ? resolve(c, json_string_value(arg)) : NULL;
			err = target ? check(c, target, v) : fail(c, "a $ref other than \"#/$defs/NAME\", or to no definition");
		} else if (strcmp(keyword, "type") == 0) {
			err = check_type(c, arg, v);
		} else if (strcmp(keyword, "const") == 0) {
			if (!same_value(arg, v))
				err = fail(c, "not the value the schema requires");
		} else if (strcmp(keyword, "enum") == 0) {
			size_t i;
			const json_t *option;
			int found = 0;
			json_array_foreach(arg, i, option) {
				found |= same_value(option, v);
			}
			if (!found) {
				char what[256];
				snprintf(what, sizeof what, "%s%s%s is not one of the values allowed", json_is_string(v) ? "\"" : "",
					json_is_string(v) ? json_string_value(v) : type_of(v), json_is_string(v) ? "\"" : "");
				err = fail(c, what);
			}
		} else if (strcmp(keyword, "minimum") == 0 || strcmp(keyword, "maximum") == 0) {
			if (json_is_number(v) && json_is_number(arg)) {
				double x = json_number_value(v), bound = json_number_value(arg);
				if (keyword[1] == 'i' ? x < bound : x > bound) {
					char what[128];
					snprintf(what, sizeof what, "%.15g is %s %.15g", x, keyword[1] == 'i' ? "below the minimum" :
						"above the maximum", bound);
					err = fail(c, what);
				}
			}
		} else if (strcmp(keyword, "items") == 0) {
			size_t i;
			const json_t *item;
			if (json_is_array(v)) {
				json_array_foreach(v, i, item) {
					char suffix[32];
					snprintf(suffix, sizeof suffix, "[%zu]", i);
					if ((err = check_below(c, arg, item, suffix)) != 0)
						break;
				}
			}
		} else if (strcmp(keyword, "required") == 0 || strcmp(keyword, "properties") == 0 ||
			   strcmp(keyword, "additionalProperties") == 0) {
			/* All three at once, when the first of them is met. */
			if (strcmp(keyword, "required") == 0 ||
				(strcmp(keyword, "properties") == 0 && !json_object_get(schema, "required")) ||
				(strcmp(keyword, "additionalProperties") == 0 && !json_object_get(schema, "required") &&
					!json_object_get(schema, "properties")))
				err = check_object(c, schema, v);
		} else if (strcmp(keyword, "$schema") == 0 || strcmp(keyword, "$id") == 0 || strcmp(keyword, "title") == 0 ||
			   strcmp(keyword, "description") == 0 || strcmp(keyword, "$defs") == 0) {
			continue;
		} else {
			char what[160];
			snprintf(what, sizeof what, "the schema uses \"%s\", which this checker does not understand", keyword);
			err = fail(c, what);
		}
	}
	c->depth--;
	return err;
}

int cy_json_schema_check(const json_t *schema, const json_t *document, char *why, size_t len)
{
	checker c = {.root = schema, .why = why, .len = len};
	return check(&c, schema, document);
}
