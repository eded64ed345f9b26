# bench/rules.mk: `make bench` — Vectra's primitives in guest instructions
# under QEMU TCG icount, side by side with a Linux guest in the same QEMU
# (bench/README.md, docs/BENCHMARKS.md).
#
# The bench image (user/kbench as the root Task, user/kbpeer as the child it
# spawns) is part of `make`, so `make test` builds it and it cannot rot;
# only `make bench` boots it. The Linux baseline's programs come from
# bench/linux/rules.mk. boot_to_prompt boots the system image (sys/rules.mk)
# when the tree declares one.

include bench/linux/rules.mk

$(eval $(call image,bench,$(B)/user/kbench.elf $(B)/user/kbpeer.elf,test quiet))

# make bench BENCH_FLAGS=--write-doc   also rewrites docs/BENCHMARKS.md's figures
# make bench BENCH_FLAGS=--no-linux    Vectra's figures only
BENCH_FLAGS ?=

bench: $(B)/.setup-done
	@$(MAKE) --no-print-directory $(B)/images/bench.img $(B)/bench/linux-bench \
	    $(B)/bench/linux-tiny $(filter $(B)/images/system.img,$(IMAGES))
	@$(PYTHON) scripts/bench --build $(B) $(BENCH_FLAGS)
