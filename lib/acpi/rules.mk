# lib/acpi/rules.mk: the fuzz target of the ACPI readers and its seeds.
# (The library itself is lib/acpi/*.c, built by mk/lib.mk for every world.)

FUZZ_SRCS_acpi_tables = lib/acpi/acpi.c
FUZZ_DEPS_acpi_tables = lib/acpi/acpi.h tests/host/acpi_q35_tables.h

ACPI_SEED_DIR := $(B)/acpi-seeds
FUZZ_SEEDS_acpi_tables := $(foreach f,seabios ovmf,$(foreach t,APIC MCFG DMAR platform,$(ACPI_SEED_DIR)/$(f)-$(t).bin))
$(FUZZ_SEEDS_acpi_tables) &: tests/host/acpi_q35_tables.h fuzz/acpi_seeds.py
	@mkdir -p $(ACPI_SEED_DIR)
	$(PYTHON) fuzz/acpi_seeds.py tests/host/acpi_q35_tables.h $(ACPI_SEED_DIR)
