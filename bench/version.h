/*
 * version.h: what a cyclab build is, for `cyclab --version` and for the
 * context every benchmark result carries (so a number says how it was made).
 * C only: CY_COUNTERS comes from the C flags that ./configure writes.
 */
#ifndef CY_VERSION_H
#define CY_VERSION_H

#define CY_VERSION "0.1.0"

/* Reference-count event counters (./configure --counters=on|off). */
#if CY_COUNTERS
#define CY_BUILD_COUNTERS "on"
#else
#define CY_BUILD_COUNTERS "off"
#endif

/* How the code was compiled: sanitizers and debug builds are not for timing. */
#if defined(__SANITIZE_THREAD__)
#define CY_BUILD_KIND "thread-sanitizer"
#elif defined(__SANITIZE_ADDRESS__)
#define CY_BUILD_KIND "address-sanitizer"
#elif defined(CY_DEBUG)
#define CY_BUILD_KIND "debug"
#elif defined(NDEBUG)
#define CY_BUILD_KIND "release"
#else
#define CY_BUILD_KIND "assertions"
#endif

#endif
