/*
 * test_capnp_interop: messages Debian's capnp made at build time from
 * tests/capnp/<case>.json (lib/capnp/rules.mk lists the files) read with
 * our runtime and generated readers, field by field; our canonical bytes
 * against capnp's; and a real CodeGeneratorRequest read with readers
 * generated from capnp's own schema.capnp, cross-checked against the
 * generator's hand-written bootstrap readers. The other direction (capnp
 * reading what we build) is tests/tools/capnp_interop.sh.
 */
#include "vtest.h"
#include "tests/capnp/cases.h"
#include "capnp/schema.capnp.h"
#include "tools/capnpc-c/schema_boot.h"

#include <stdlib.h>

static uint8_t *load(const char *name, const char *ext, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.%s", CAPNP_IO_DIR, name, ext);
    FILE *f = fopen(path, "rb");
    if (!f)
        vtest_fail(__FILE__, __LINE__, "cannot open %s", path);
    static uint8_t *buf;
    buf = realloc(buf, 1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static struct capnp_segment segs[512];
static struct capnp_msg msg;
static uint8_t unpacked[1 << 20], canon[1 << 20];

/* Reads case `name` from file ext, checks its fields, and checks that our
 * canonical form of it equals capnp's. */
static void check_file(const char *name, const char *ext)
{
    size_t len, used, clen, want_len;
    uint8_t *p = load(name, ext, &len);
    if (strcmp(ext, "packed") == 0) {
        CHECK_EQ(capnp_unpack_message(p, len, unpacked, sizeof unpacked, &len, &used), CAPNP_OK);
        p = unpacked;
    }
    CHECK_EQ(capnp_msg_init_stream(&msg, segs, 512, p, len, &used), CAPNP_OK);
    CHECK_EQ(used, len);
    const char *why = capnp_case_check(name, TestAll_read_root(&msg));
    if (why)
        vtest_fail(__FILE__, __LINE__, "%s.%s: %s", name, ext, why);

    CHECK_EQ(capnp_msg_init_stream(&msg, segs, 512, p, len, &used), CAPNP_OK);
    CHECK_EQ(capnp_canonicalize(&msg, canon, sizeof canon, &clen), CAPNP_OK);
    uint8_t *want = load(name, "canon", &want_len);
    if (clen != want_len || memcmp(canon, want, clen) != 0)
        vtest_fail(__FILE__, __LINE__, "%s.%s: canonical bytes differ from capnp's (%zu vs %zu)",
                   name, ext, clen, want_len);
}

static void check_case(const char *name)
{
    check_file(name, "bin");
    check_file(name, "segs");
    check_file(name, "packed");
    /* capnp's canonical bytes are themselves a flat message of the case. */
    size_t len;
    uint8_t *p = load(name, "canon", &len);
    CHECK_EQ(capnp_msg_init_flat(&msg, p, len), CAPNP_OK);
    const char *why = capnp_case_check(name, TestAll_read_root(&msg));
    if (why)
        vtest_fail(__FILE__, __LINE__, "%s.canon: %s", name, why);
}

TEST(reads_capnp_all) { check_case("all"); }
TEST(reads_capnp_defaults) { check_case("defaults"); }
TEST(reads_capnp_union_name) { check_case("union_name"); }
TEST(reads_capnp_union_inner) { check_case("union_inner"); }
TEST(reads_capnp_union_number) { check_case("union_number"); }

TEST(multi_segment_files_really_use_far_pointers)
{
    size_t len, used;
    uint8_t *p = load("all", "segs", &len);
    CHECK_EQ(capnp_msg_init_stream(&msg, segs, 512, p, len, &used), CAPNP_OK);
    CHECK(msg.nsegs > 10);
}

TEST(our_canonical_bytes_equal_capnps_for_every_case)
{
    static uint8_t buf[1 << 16];
    for (int i = 0; capnp_case_names[i]; i++) {
        const char *name = capnp_case_names[i];
        struct capnp_builder b;
        size_t len, clen, want_len;
        capnp_builder_init(&b, buf, sizeof buf);
        CHECK_EQ(capnp_case_build(name, &b), 0);
        CHECK_EQ(capnp_builder_error(&b), CAPNP_OK);
        const uint8_t *p = capnp_builder_bytes(&b, &len);
        CHECK_EQ(capnp_msg_init_flat(&msg, p, len), CAPNP_OK);
        CHECK_EQ(capnp_canonicalize(&msg, canon, sizeof canon, &clen), CAPNP_OK);
        uint8_t *want = load(name, "canon", &want_len);
        if (clen != want_len || memcmp(canon, want, clen) != 0)
            vtest_fail(__FILE__, __LINE__, "%s: canonical bytes differ (%zu vs %zu)", name, clen,
                       want_len);
    }
}

TEST(what_if_a_capnp_message_is_cut_at_every_length)
{
    /* Every prefix of a real message is an error or a valid message,
     * never a crash; framing catches all of them. */
    size_t len, used;
    uint8_t *full = load("all", "segs", &len);
    uint8_t *copy = malloc(len);
    for (size_t n = 0; n < len; n++) {
        memcpy(copy, full, n);
        int err = capnp_msg_init_stream(&msg, segs, 512, copy, n, &used);
        CHECK(err == CAPNP_ETRUNC);
    }
    free(copy);
}

TEST(what_if_bytes_of_a_capnp_message_are_corrupted)
{
    /* Flip each byte of a real multi-segment message in turn and read
     * everything: errors are fine, crashes and hangs are not. */
    size_t len, used, clen;
    uint8_t *full = load("all", "segs", &len);
    uint8_t *copy = malloc(len);
    int errors = 0;
    for (size_t i = 0; i < len; i++) {
        memcpy(copy, full, len);
        copy[i] ^= (uint8_t)(0x5a + i);
        if (capnp_msg_init_stream(&msg, segs, 512, copy, len, &used) != CAPNP_OK) {
            errors++;
            continue;
        }
        (void)capnp_case_check("all", TestAll_read_root(&msg));
        capnp_msg_init_stream(&msg, segs, 512, copy, len, &used);
        if (capnp_canonicalize(&msg, canon, sizeof canon, &clen) != CAPNP_OK)
            errors++;
    }
    free(copy);
    CHECK(errors > 0);
}

/* ---- a real CodeGeneratorRequest, read by generated readers ----------------- */

static bool text_eq(struct capnp_text a, struct capnp_text b)
{
    return a.len == b.len && memcmp(a.str, b.str, a.len) == 0;
}

TEST(generated_schema_readers_agree_with_the_bootstrap_readers)
{
    size_t len, used;
    uint8_t *p = load("request", "bin", &len);
    CHECK_EQ(capnp_msg_init_stream(&msg, segs, 512, p, len, &used), CAPNP_OK);
    capnp_msg_set_limits(&msg, UINT64_MAX, 64);
    CodeGeneratorRequest_R req = CodeGeneratorRequest_read_root(&msg);
    struct capnp_struct raw = req.s;
    Node_RList nodes = CodeGeneratorRequest_nodes(req);
    CHECK_EQ(Node_RList_len(nodes), REQ_nodes(raw).len);
    bool saw_testall = false, saw_manifest = false;
    int fields = 0;
    for (uint32_t i = 0; i < Node_RList_len(nodes); i++) {
        Node_R n = Node_RList_get(nodes, i);
        struct capnp_struct rn = n.s;
        CHECK(Node_id(n) == NODE_id(rn));
        CHECK(text_eq(Node_displayName(n), NODE_displayName(rn)));
        CHECK_EQ(Node_displayNamePrefixLength(n), NODE_prefixLen(rn));
        CHECK(Node_scopeId(n) == NODE_scopeId(rn));
        CHECK_EQ(Node_which(n), NODE_which(rn));
        saw_testall |= strcmp(Node_displayName(n).str, "tests/capnp/test.capnp:TestAll") == 0;
        saw_manifest |= strcmp(Node_displayName(n).str, "schema/system.capnp:SystemManifest") == 0;
        if (Node_which(n) != Node_which_struct)
            continue;
        Node_struct_R st = Node_struct(n);
        CHECK_EQ(Node_struct_dataWordCount(st), NODE_struct_dataWords(rn));
        CHECK_EQ(Node_struct_pointerCount(st), NODE_struct_ptrCount(rn));
        CHECK_EQ(Node_struct_isGroup(st), NODE_struct_isGroup(rn));
        CHECK_EQ(Node_struct_discriminantCount(st), NODE_struct_discCount(rn));
        CHECK_EQ(Node_struct_discriminantOffset(st), NODE_struct_discOffset(rn));
        Field_RList fl = Node_struct_fields(st);
        for (uint32_t j = 0; j < Field_RList_len(fl); j++, fields++) {
            Field_R f = Field_RList_get(fl, j);
            struct capnp_struct rf = f.s;
            CHECK(text_eq(Field_name(f), FIELD_name(rf)));
            CHECK_EQ(Field_codeOrder(f), FIELD_codeOrder(rf));
            CHECK_EQ(Field_discriminantValue(f), FIELD_discValue(rf));
            CHECK_EQ(Field_which(f), FIELD_which(rf));
            if (Field_which(f) == Field_which_group) {
                CHECK(Field_group_typeId(Field_group(f)) == FIELD_group_typeId(rf));
                continue;
            }
            Field_slot_R sl = Field_slot(f);
            CHECK_EQ(Field_slot_offset(sl), FIELD_slot_offset(rf));
            CHECK_EQ(Field_slot_hadExplicitDefault(sl), FIELD_slot_hadDefault(rf));
            Type_R t = Field_slot_type(sl);
            CHECK_EQ(Type_which(t), TYPE_which(FIELD_slot_type(rf)));
            Value_R v = Field_slot_defaultValue(sl);
            struct capnp_struct rv = FIELD_slot_default(rf);
            CHECK_EQ(Value_which(v), VALUE_which(rv));
            if (Value_which(v) == Value_which_uint64)
                CHECK(Value_uint64(v) == VALUE_u64(rv));
            if (Value_which(v) == Value_which_int8)
                CHECK_EQ(Value_int8(v), (int8_t)VALUE_u8(rv));
            if (Value_which(v) == Value_which_float32)
                CHECK(capnp_f32_bits(Value_float32(v)) == VALUE_u32(rv));
            if (Type_which(t) == Type_which_struct)
                CHECK(Type_struct_typeId(Type_struct(t)) == TYPE_typeId(FIELD_slot_type(rf)));
            if (Type_which(t) == Type_which_list)
                CHECK_EQ(Type_which(Type_list_elementType(Type_list(t))),
                         TYPE_which(TYPE_list_elementType(FIELD_slot_type(rf))));
        }
    }
    CHECK(saw_testall && saw_manifest);
    CHECK(fields > 60);
    CodeGeneratorRequest_RequestedFile_RList files = CodeGeneratorRequest_requestedFiles(req);
    CHECK_EQ(CodeGeneratorRequest_RequestedFile_RList_len(files), 2);
    CHECK_STR(CodeGeneratorRequest_RequestedFile_filename(
                  CodeGeneratorRequest_RequestedFile_RList_get(files, 0)).str,
              "tests/capnp/test.capnp");
    CHECK_EQ(Field_noDiscriminant, 0xffff);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_OK);
}
