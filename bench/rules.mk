# bench/rules.mk: `make bench` — Vectra's primitives in guest instructions
# under QEMU TCG icount, side by side with a Linux guest in the same QEMU
# (bench/README.md, docs/BENCHMARKS.md).
#
# The bench image (user/bench/kbench as the root Task, user/bench/kbpeer as the child it
# spawns) and the capbench image (init with "capbench" on its command line,
# the bench manifest, two 64 KiB capsules and user/bench/capbench: the capsule_*
# figures; defined in sys/capsules.mk, which owns the capsule keys) are part
# of `make`, so `make test` builds them and they cannot rot; only
# `make bench` boots them under icount (tests/scenarios/capbench.scn boots
# capbench_quick, two samples a figure, without icount). The Linux baseline's programs come from
# bench/linux/rules.mk. boot_to_prompt boots the system image (sys/rules.mk)
# when the tree declares one and it builds; otherwise that figure is
# reported as not measured, and the rest still runs.

include bench/linux/rules.mk

$(eval $(call image,bench,$(B)/user/kbench.elf $(B)/user/kbpeer.elf $(B)/user/kbipc.elf $(B)/user/timerd.elf $(B)/user/serial.elf,test quiet))
# The identity figures (issue 17): user/bench/identbench as the root Task.
$(eval $(call image,identbench,$(B)/user/identbench.elf,test quiet))

# make bench BENCH_FLAGS=--write-doc   also rewrites docs/BENCHMARKS.md's figures
# make bench BENCH_FLAGS=--no-linux    Vectra's figures only
BENCH_FLAGS ?=
BENCH_SYSTEM = $(filter $(B)/images/system.img,$(IMAGES))

bench: $(B)/.setup-done
	@$(MAKE) --no-print-directory $(B)/images/bench.img $(B)/images/capbench.img $(B)/images/capsules_trust.img $(B)/images/blkbench.img \
	    $(B)/images/identbench.img $(B)/bench/linux-bench $(B)/bench/linux-tiny
	@mkdir -p $(B)/bench; prompt=; \
	if [ -z "$(BENCH_SYSTEM)" ]; then \
	    prompt="--no-prompt=the tree declares no system image"; \
	elif ! $(MAKE) --no-print-directory $(BENCH_SYSTEM) $(B)/images/system20.img > $(B)/bench/system-build.log 2>&1; then \
	    echo "bench: the system image does not build now (see $(B)/bench/system-build.log)" >&2; \
	    prompt="--no-prompt=the system image did not build"; \
	fi; \
	$(PYTHON) scripts/bench --build $(B) $${prompt:+"$$prompt"} $(BENCH_FLAGS)
