# lib/virtio/rules.mk: host tests and fuzz target of the virtio library.
# (The library itself is lib/virtio/*.c, built by mk/lib.mk for every world.)

# test_virtq races a simulated device on a second thread.
TEST_LIBS_test_virtq := -lpthread

# fuzz/virtq_device: the split virtqueue driven by a fuzzer-chosen device.
FUZZ_SRCS_virtq_device = lib/virtio/virtq.c
FUZZ_DEPS_virtq_device = $(wildcard lib/virtio/*.h)

# fuzz/netpool: the pool ledger of virtio-net and the stack, with a hostile peer.
FUZZ_SRCS_netpool = lib/virtio/netpool.c
FUZZ_DEPS_netpool = lib/virtio/netpool.h
