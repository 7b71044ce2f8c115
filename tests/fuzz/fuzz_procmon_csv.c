/* libFuzzer target for diagkit.trace's procmon_csv parser (the driver: fuzz_trace_driver.h). */
#define FUZZ_TRACE_PARSER dkt_parse_procmon_csv
#include "fuzz_trace_driver.h"
