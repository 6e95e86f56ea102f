/*
 * scalar.c: the leaf types: boxed int64, boxed double, and bytes.
 *
 * None of them owns a reference, so none is a container and the collector
 * never traverses them. Ints and floats are immutable, like Python's; a
 * bytes object keeps its data inline after the header (a variable-size
 * object of item size 1), so one allocation holds a payload of any size.
 * Its bytes are written by its creator before it is shared and only read
 * afterwards, so no lock guards them.
 */
#include "types.h"

typedef struct int_object {
	cy_object base;
	int64_t value;
} int_object;

typedef struct float_object {
	cy_object base;
	double value;
} float_object;

typedef struct bytes_object {
	cy_varobject base;
	unsigned char data[];
} bytes_object;

const cy_type cy_int_type = {
	.name = "int",
	.basic_size = sizeof(int_object),
};

const cy_type cy_float_type = {
	.name = "float",
	.basic_size = sizeof(float_object),
};

const cy_type cy_bytes_type = {
	.name = "bytes",
	.basic_size = sizeof(bytes_object),
	.item_size = 1,
};

cy_object *cy_int_new(int64_t value)
{
	cy_object *o = cy_object_new(&cy_int_type, 0);
	if (o)
		((int_object *)o)->value = value;
	return o;
}

int64_t cy_int_value(const cy_object *o)
{
	return o->ob_type == &cy_int_type ? ((const int_object *)o)->value : 0;
}

cy_object *cy_float_new(double value)
{
	cy_object *o = cy_object_new(&cy_float_type, 0);
	if (o)
		((float_object *)o)->value = value;
	return o;
}

double cy_float_value(const cy_object *o)
{
	return o->ob_type == &cy_float_type ? ((const float_object *)o)->value : 0.0;
}

cy_object *cy_bytes_new(size_t size)
{
	return cy_object_new(&cy_bytes_type, size);
}

unsigned char *cy_bytes_data(cy_object *o)
{
	return o->ob_type == &cy_bytes_type ? ((bytes_object *)o)->data : NULL;
}

size_t cy_bytes_len(const cy_object *o)
{
	return o->ob_type == &cy_bytes_type ? ((const cy_varobject *)o)->ob_size : 0;
}
