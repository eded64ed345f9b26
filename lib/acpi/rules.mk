# lib/acpi/rules.mk: the fuzz target of the ACPI readers and its seeds.
# (The library itself is lib/acpi/*.c, built by mk/lib.mk for every world.)

FUZZ_SRCS_acpi_tables = lib/acpi/acpi.c
FUZZ_DEPS_acpi_tables = lib/acpi/acpi.h tests/host/acpi_q35_tables.h
