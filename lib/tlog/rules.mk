# lib/tlog/rules.mk: the fuzz target for lib/tlog's parsers (fuzz/tlog_parse;
# byte 0 of a seed picks the mode, see the target). The host tests and the
# vlog tool are in tools/vlog/rules.mk.

FUZZ_SRCS_tlog_parse = $(wildcard lib/tlog/*.c) lib/string/vstring.c
FUZZ_DEPS_tlog_parse = $(wildcard lib/tlog/*.h)
FUZZ_SEEDS_tlog_parse = $(wildcard tests/tlog/fuzz-seeds/*)
