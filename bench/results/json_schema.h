/*
 * json_schema.h: checking a JSON document against a JSON Schema, for the
 * subset of the 2020-12 vocabulary that cyclab's own schemas use
 * (docs/cyclab-result-1.schema.json), so that the tests can hold every
 * result they produce to the documented format.
 *
 * Keywords understood: type (a name or a list of names; "number" admits
 * integers, "integer" only integers as jansson reads them), const, enum,
 * minimum, maximum, required, properties, additionalProperties (false or
 * a schema), items (one schema for every element), and $ref to
 * "#/$defs/NAME" within the same schema. Annotations ($schema, $id, title,
 * description) are ignored. Any other keyword is refused, rather than
 * silently passing what it would constrain: a schema that uses one needs
 * this checker extended first.
 */
#ifndef CY_BENCH_JSON_SCHEMA_H
#define CY_BENCH_JSON_SCHEMA_H

#include <stddef.h>

#include <jansson.h>

/*
 * 0 if document satisfies schema; -1 with why naming the first place that
 * does not ("runs[2].noise.disturbed: expected boolean, found null") or the
 * keyword this checker does not understand.
 */
int cy_json_schema_check(const json_t *schema, const json_t *document, char *why, size_t len);

#endif
