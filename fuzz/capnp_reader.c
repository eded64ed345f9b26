/*
 * fuzz/capnp_reader: libFuzzer target for the Cap'n Proto reader.
 *
 * The first input byte picks how the rest is framed (stream, packed stream,
 * flat); the message is then read every way a program might: generated
 * readers for TestAll (every field, list and union) and SystemManifest,
 * and canonicalization, which visits every object. Errors are expected;
 * crashes, hangs and sanitizer reports are bugs. For messages that read
 * cleanly two properties must also hold, or the target aborts:
 *   - canonical bytes are a fixed point (canonicalizing them again gives
 *     the same bytes) and read back without error;
 *   - packing then unpacking the canonical bytes gives them back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capnp/capnp.h"
#include "schema/system.capnp.h"
#include "tests/capnp/test.capnp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t unpacked[1 << 16], canon[1 << 16], canon2[1 << 16], packed[1 << 17],
    back[1 << 16];
static _Alignas(8) uint8_t flat[1 << 16];
static struct capnp_segment segs[64];
static volatile uint64_t sink;

static void touch_text(struct capnp_text t)
{
    if (t.str[t.len] != 0)
        abort();
    sink += t.len;
}

static void walk_inner(Inner_R r)
{
    sink += Inner_id(r);
    touch_text(Inner_label(r));
}

static void walk_list(struct capnp_list l, unsigned esize)
{
    for (uint32_t i = 0; i < capnp_list_len(l) && i < 1024; i++) {
        switch (esize) {
        case CAPNP_ESIZE_BIT: sink += capnp_list_bool(l, i); break;
        case CAPNP_ESIZE_BYTE: sink += capnp_list_u8(l, i); break;
        case CAPNP_ESIZE_TWO: sink += capnp_list_u16(l, i); break;
        case CAPNP_ESIZE_FOUR: sink += capnp_list_u32(l, i); break;
        case CAPNP_ESIZE_EIGHT: sink += capnp_list_u64(l, i); break;
        default: break;
        }
    }
}

static void walk_testall(TestAll_R r, int depth)
{
    sink += TestAll_boolField(r) + (uint64_t)TestAll_int64Field(r) + TestAll_uint16Field(r);
    sink += capnp_f64_bits(TestAll_float64Field(r)) + capnp_f32_bits(TestAll_float32Field(r));
    touch_text(TestAll_textField(r));
    sink += TestAll_dataField(r).len + TestAll_enumField(r);
    walk_inner(TestAll_structField(r));
    walk_list(TestAll_boolList(r), CAPNP_ESIZE_BIT);
    walk_list(TestAll_int8List(r), CAPNP_ESIZE_BYTE);
    walk_list(TestAll_uint16List(r), CAPNP_ESIZE_TWO);
    walk_list(TestAll_int32List(r), CAPNP_ESIZE_FOUR);
    walk_list(TestAll_uint64List(r), CAPNP_ESIZE_EIGHT);
    walk_list(TestAll_float32List(r), CAPNP_ESIZE_FOUR);
    walk_list(TestAll_enumList(r), CAPNP_ESIZE_TWO);
    struct capnp_list l = TestAll_textList(r);
    for (uint32_t i = 0; i < capnp_list_len(l) && i < 256; i++)
        touch_text(capnp_list_text(l, i));
    l = TestAll_dataList(r);
    for (uint32_t i = 0; i < capnp_list_len(l) && i < 256; i++)
        sink += capnp_list_data(l, i).len;
    Inner_RList il = TestAll_structList(r);
    for (uint32_t i = 0; i < Inner_RList_len(il) && i < 256; i++)
        walk_inner(Inner_RList_get(il, i));
    sink += capnp_list_len(TestAll_voidList(r));
    l = TestAll_listList(r);
    for (uint32_t i = 0; i < capnp_list_len(l) && i < 64; i++)
        walk_list(capnp_list_list(l, i, CAPNP_ESIZE_FOUR), CAPNP_ESIZE_FOUR);
    l = TestAll_textListList(r);
    for (uint32_t i = 0; i < capnp_list_len(l) && i < 64; i++) {
        struct capnp_list e = capnp_list_list(l, i, CAPNP_ESIZE_POINTER);
        for (uint32_t j = 0; j < capnp_list_len(e) && j < 64; j++)
            touch_text(capnp_list_text(e, j));
    }
    l = TestAll_structListList(r);
    for (uint32_t i = 0; i < capnp_list_len(l) && i < 64; i++) {
        Inner_RList e = Inner_RList_at(l, i);
        for (uint32_t j = 0; j < Inner_RList_len(e) && j < 64; j++)
            walk_inner(Inner_RList_get(e, j));
    }
    switch (TestAll_which(r)) {
    case TestAll_which_number: sink += (uint64_t)TestAll_number(r); break;
    case TestAll_which_name: touch_text(TestAll_name(r)); break;
    case TestAll_which_point: sink += (uint64_t)TestAll_point_y(TestAll_point(r)); break;
    case TestAll_which_inner: walk_inner(TestAll_inner(r)); break;
    default: break;
    }
    TestAll_settings_R g = TestAll_settings(r);
    touch_text(TestAll_settings_tag(g));
    sink += TestAll_settings_mode_fast(TestAll_settings_mode(g));
    TestAll_Nested_R n = TestAll_nested(r);
    for (int i = 0; i < 100 && TestAll_Nested_has_child(n); i++)
        n = TestAll_Nested_child(n);
    walk_list(TestAll_int32ListDefault(r), CAPNP_ESIZE_FOUR);
    walk_inner(TestAll_structDefault(r));
    if (depth < 3)
        walk_testall(TestAll_read_ptr(TestAll_anyField(r)), depth + 1);
}

static void walk_manifest(SystemManifest_R m)
{
    SystemManifest_Service_RList s = SystemManifest_services(m);
    for (uint32_t i = 0; i < SystemManifest_Service_RList_len(s) && i < 256; i++) {
        SystemManifest_Service_R v = SystemManifest_Service_RList_get(s, i);
        touch_text(SystemManifest_Service_name(v));
        SystemManifest_Service_binary_R b = SystemManifest_Service_binary(v);
        touch_text(SystemManifest_Service_binary_module(b));
        sink += SystemManifest_CapsuleRef_vcid(SystemManifest_Service_binary_capsule(b)).len;
        SystemManifest_CapGrant_RList c = SystemManifest_Service_capabilities(v);
        for (uint32_t j = 0; j < SystemManifest_CapGrant_RList_len(c) && j < 256; j++)
            sink += SystemManifest_CapGrant_type(SystemManifest_CapGrant_RList_get(c, j));
    }
}

/* Reads the input as a message in m, per the mode byte. */
static int open_msg(struct capnp_msg *m, uint8_t mode, const uint8_t *p, size_t n)
{
    size_t len, used;
    switch (mode % 3) {
    case 0:
        return capnp_msg_init_stream(m, segs, 64, p, n, &used);
    case 1:
        if (capnp_unpack_message(p, n, unpacked, sizeof unpacked, &len, &used))
            return -1;
        return capnp_msg_init_stream(m, segs, 64, unpacked, len, &used);
    default:
        n &= ~(size_t)7;
        if (n > sizeof flat)
            return -1;
        memcpy(flat, p, n);
        return capnp_msg_init_flat(m, flat, n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct capnp_msg m;
    size_t clen, clen2, plen, blen;

    if (size < 1)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;

    if (open_msg(&m, data[0], p, n))
        return 0;
    capnp_msg_set_limits(&m, 1 << 16, 64);
    walk_testall(TestAll_read_root(&m), 0);

    open_msg(&m, data[0], p, n);
    capnp_msg_set_limits(&m, 1 << 16, 64);
    walk_manifest(SystemManifest_read_root(&m));

    open_msg(&m, data[0], p, n);
    capnp_msg_set_limits(&m, 1 << 16, 64);
    if (capnp_canonicalize(&m, canon, sizeof canon, &clen) != CAPNP_OK)
        return 0;

    /* Canonical form is a fixed point and reads cleanly. */
    if (capnp_msg_init_flat(&m, canon, clen) != CAPNP_OK)
        abort();
    capnp_msg_set_limits(&m, 1 << 20, 64);
    if (capnp_canonicalize(&m, canon2, sizeof canon2, &clen2) != CAPNP_OK)
        abort();
    if (clen2 != clen || memcmp(canon, canon2, clen) != 0)
        abort();
    /* Packing round-trips. */
    if (capnp_pack(canon, clen, packed, sizeof packed, &plen) != CAPNP_OK)
        abort();
    if (capnp_unpack(packed, plen, back, sizeof back, &blen) != CAPNP_OK || blen != clen ||
        memcmp(back, canon, clen) != 0)
        abort();
    return 0;
}
