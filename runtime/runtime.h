/*
 * runtime.h: starting and stopping the object runtime, and the public
 * headers a user of the runtime includes.
 */
#ifndef CY_RUNTIME_H
#define CY_RUNTIME_H

#include "alloc.h"
#include "counters.h"
#include "lock.h"
#include "object.h"
#include "refcount.h"
#include "thread.h"
#include "weakref.h"

enum cy_runtime_error {
	CY_RUNTIME_OK = 0,
	CY_RUNTIME_BUSY = -1,        /* threads are registered or objects are live */
	CY_RUNTIME_BAD_MODE = -2,    /* not a cy_rc_mode */
	CY_RUNTIME_BAD_ALLOC = -3,   /* allocator not available in this build */
};

/*
 * Choose how objects are counted and allocated. Allowed only while no
 * thread is registered and no object is live (a process may re-initialise
 * between experiments, as the tests do).
 */
int cy_runtime_init(cy_rc_mode mode, cy_alloc_kind alloc);
const char *cy_runtime_strerror(int error);

#endif
