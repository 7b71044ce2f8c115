/* libFuzzer target for diagkit.trace's strace parser (the driver: fuzz_trace_driver.h). */
#define FUZZ_TRACE_PARSER dkt_parse_strace
#include "fuzz_trace_driver.h"
