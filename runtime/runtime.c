/*
 * runtime.c: choosing the counting mode and allocator for a run.
 */
#include "runtime.h"

int cy_runtime_init(cy_rc_mode mode, cy_alloc_kind alloc)
{
	if ((unsigned)mode >= CY_RC_MODE_COUNT)
		return CY_RUNTIME_BAD_MODE;
	if (cy_thread_count(CY_ROLE_MUTATOR) + cy_thread_count(CY_ROLE_SERVICE) > 0 || cy_objects_live() != 0)
		return CY_RUNTIME_BUSY;
	if (cy_alloc_select(alloc) != 0)
		return CY_RUNTIME_BAD_ALLOC;
	cy_rc_mode_running = mode;
	return CY_RUNTIME_OK;
}

const char *cy_runtime_strerror(int error)
{
	switch (error) {
	case CY_RUNTIME_OK: return "ok";
	case CY_RUNTIME_BUSY: return "the runtime is in use (threads registered or objects live)";
	case CY_RUNTIME_BAD_MODE: return "unknown reference-counting mode";
	case CY_RUNTIME_BAD_ALLOC: return "allocator not available in this build";
	}
	return "unknown runtime error";
}
