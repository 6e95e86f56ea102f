/*
 * figures.c: the table of main figures (figures.h says what each column means).
 */
#include "bench/results/figures.h"

const cy_figure cy_figures[CY_FIGURE_COUNT] = {
#define CY_FIGURE_ROW(id, name_, path, field, direction_, unit_, scope_) \
	[CY_FIGURE_##id] = {.name = name_, .run_path = path, .direction = direction_, .unit = unit_, .scope = scope_},
	CY_FIGURES(CY_FIGURE_ROW)
#undef CY_FIGURE_ROW
};

const char *cy_figure_direction_name(cy_figure_direction direction)
{
	switch (direction) {
	case CY_BETTER_HIGHER: return "higher";
	case CY_BETTER_LOWER: return "lower";
	case CY_BETTER_NEITHER: break;
	}
	return "neither";
}
