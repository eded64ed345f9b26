/*
 * cases.c: TestAll values matching tests/capnp/<name>.json (see cases.h).
 * Keep each builder and checker in step with its JSON file.
 */
#include "tests/capnp/cases.h"

#include <stdio.h>
#include <string.h>

const char *const capnp_case_names[] = {"all", "defaults", "union_name", "union_inner",
                                        "union_number", 0};

#define S(s) s, sizeof(s) - 1

/* ---- building ------------------------------------------------------------- */

static void set_inner(Inner_B b, uint32_t id, const char *label)
{
    Inner_set_id(b, id);
    if (label)
        Inner_set_label(b, label, strlen(label));
}

static void build_all(TestAll_B t)
{
    TestAll_set_boolField(t, false);
    TestAll_set_int8Field(t, -128);
    TestAll_set_int16Field(t, 32767);
    TestAll_set_int32Field(t, INT32_MIN);
    TestAll_set_int64Field(t, INT64_MIN);
    TestAll_set_uint8Field(t, 255);
    TestAll_set_uint16Field(t, 0);
    TestAll_set_uint32Field(t, UINT32_MAX);
    TestAll_set_uint64Field(t, UINT64_MAX);
    TestAll_set_float32Field(t, -0.25f);
    TestAll_set_float64Field(t, 1e300);
    TestAll_set_textField(t, S("héllo, wörld"));
    TestAll_set_dataField(t, "\x00\x01\x02\xfe\xff", 5);
    TestAll_set_enumField(t, Color_blue);
    set_inner(TestAll_init_structField(t), 17, "inner");
    TestAll_init_emptyField(t);

    static const int bools[] = {1, 0, 1, 1, 0, 0, 0, 0, 1};
    struct capnp_lbuilder l = TestAll_init_boolList(t, 9);
    for (uint32_t i = 0; i < 9; i++)
        capnp_lset_bool(l, i, bools[i]);
    static const int8_t i8[] = {-1, 0, 127, -128};
    l = TestAll_init_int8List(t, 4);
    for (uint32_t i = 0; i < 4; i++)
        capnp_lset_u8(l, i, (uint8_t)i8[i]);
    l = TestAll_init_int16List(t, 2);
    capnp_lset_u16(l, 0, (uint16_t)-300);
    capnp_lset_u16(l, 1, 300);
    static const int32_t i32[] = {1, -2, 3, -4, 5};
    l = TestAll_init_int32List(t, 5);
    for (uint32_t i = 0; i < 5; i++)
        capnp_lset_u32(l, i, (uint32_t)i32[i]);
    l = TestAll_init_int64List(t, 2);
    capnp_lset_u64(l, 0, (uint64_t)-1);
    capnp_lset_u64(l, 1, INT64_MAX);
    static const uint8_t u8[] = {1, 2, 3, 250};
    l = TestAll_init_uint8List(t, 4);
    for (uint32_t i = 0; i < 4; i++)
        capnp_lset_u8(l, i, u8[i]);
    l = TestAll_init_uint16List(t, 2);
    capnp_lset_u16(l, 0, 65535);
    capnp_lset_u16(l, 1, 1);
    l = TestAll_init_uint32List(t, 2);
    capnp_lset_u32(l, 0, 0);
    capnp_lset_u32(l, 1, UINT32_MAX);
    l = TestAll_init_uint64List(t, 3);
    capnp_lset_u64(l, 0, 0);
    capnp_lset_u64(l, 1, 1);
    capnp_lset_u64(l, 2, UINT64_MAX);
    l = TestAll_init_float32List(t, 3);
    capnp_lset_u32(l, 0, capnp_f32_bits(0.5f));
    capnp_lset_u32(l, 1, capnp_f32_bits(-1.5f));
    capnp_lset_u32(l, 2, capnp_f32_bits(3.25f));
    l = TestAll_init_float64List(t, 2);
    capnp_lset_u64(l, 0, capnp_f64_bits(0.125));
    capnp_lset_u64(l, 1, capnp_f64_bits(-1e-300));

    l = TestAll_init_textList(t, 3);
    capnp_slot_set_text(capnp_lslot(l, 0), S("one"));
    capnp_slot_set_text(capnp_lslot(l, 1), S(""));
    capnp_slot_set_text(capnp_lslot(l, 2), S("three"));
    l = TestAll_init_dataList(t, 3);
    capnp_slot_set_data(capnp_lslot(l, 0), "\x01", 1);
    capnp_slot_set_data(capnp_lslot(l, 1), "", 0);
    capnp_slot_set_data(capnp_lslot(l, 2), "\x02\x03", 2);
    static const enum Color colors[] = {Color_red, Color_green, Color_blue, Color_blue};
    l = TestAll_init_enumList(t, 4);
    for (uint32_t i = 0; i < 4; i++)
        capnp_lset_u16(l, i, colors[i]);

    Inner_BList sl = TestAll_init_structList(t, 3);
    set_inner(Inner_BList_get(sl, 0), 1, "a");
    set_inner(Inner_BList_get(sl, 1), 2, 0);
    set_inner(Inner_BList_get(sl, 2), 0, "c");
    TestAll_init_voidList(t, 3);

    l = TestAll_init_listList(t, 3);
    struct capnp_lbuilder e = capnp_slot_init_list(capnp_lslot(l, 0), CAPNP_ESIZE_FOUR, 2);
    capnp_lset_u32(e, 0, 1);
    capnp_lset_u32(e, 1, 2);
    capnp_slot_init_list(capnp_lslot(l, 1), CAPNP_ESIZE_FOUR, 0);
    e = capnp_slot_init_list(capnp_lslot(l, 2), CAPNP_ESIZE_FOUR, 1);
    capnp_lset_u32(e, 0, 3);

    l = TestAll_init_textListList(t, 2);
    e = capnp_slot_init_list(capnp_lslot(l, 0), CAPNP_ESIZE_POINTER, 2);
    capnp_slot_set_text(capnp_lslot(e, 0), S("x"));
    capnp_slot_set_text(capnp_lslot(e, 1), S("y"));
    e = capnp_slot_init_list(capnp_lslot(l, 1), CAPNP_ESIZE_POINTER, 1);
    capnp_slot_set_text(capnp_lslot(e, 0), S("z"));

    l = TestAll_init_structListList(t, 2);
    Inner_BList il = Inner_BList_init_at(l, 0, 1);
    set_inner(Inner_BList_get(il, 0), 5, 0);
    il = Inner_BList_init_at(l, 1, 2);
    set_inner(Inner_BList_get(il, 0), 6, "six");
    set_inner(Inner_BList_get(il, 1), 7, 0);
    TestAll_init_emptyList(t, 2);

    TestAll_point_B p = TestAll_init_point(t);
    TestAll_point_set_x(p, 10);
    TestAll_point_set_y(p, 20);

    TestAll_settings_B g = TestAll_init_settings(t);
    TestAll_settings_set_level(g, 9);
    TestAll_settings_set_tag(g, S("t"));
    TestAll_settings_mode_set_fast(TestAll_settings_init_mode(g), true);

    TestAll_Nested_B n = TestAll_init_nested(t);
    TestAll_Nested_set_mode(n, TestAll_Nested_Mode_auto);
    TestAll_Nested_set_value(n, 42);
    TestAll_Nested_B c = TestAll_Nested_init_child(n);
    TestAll_Nested_set_mode(c, TestAll_Nested_Mode_off);
    TestAll_Nested_set_value(TestAll_Nested_init_child(c), -1);

    l = TestAll_init_int32ListDefault(t, 1);
    capnp_lset_u32(l, 0, 9);
    Inner_set_id(TestAll_init_structDefault(t), 8);
}

int capnp_case_build(const char *name, struct capnp_builder *b)
{
    TestAll_B t;
    if (strcmp(name, "all") == 0) {
        t = TestAll_build_root(b);
        build_all(t);
    } else if (strcmp(name, "defaults") == 0) {
        TestAll_build_root(b);
    } else if (strcmp(name, "union_name") == 0) {
        t = TestAll_build_root(b);
        TestAll_set_name(t, S("a name"));
        TestAll_settings_B g = TestAll_init_settings(t);
        TestAll_settings_mode_set_ratio(TestAll_settings_init_mode(g), 0.75f);
        TestAll_settings_set_tag(g, S(""));
        TestAll_init_textListDefault(t, 0);
    } else if (strcmp(name, "union_inner") == 0) {
        t = TestAll_build_root(b);
        set_inner(TestAll_init_inner(t), 3, "three");
        TestAll_settings_mode_set_off(TestAll_settings_init_mode(TestAll_init_settings(t)));
        TestAll_init_structList(t, 2);
    } else if (strcmp(name, "union_number") == 0) {
        t = TestAll_build_root(b);
        TestAll_set_number(t, -5);
        TestAll_set_textField(t, S(""));
        TestAll_set_dataField(t, "", 0);
    } else {
        return -1;
    }
    return 0;
}

/* ---- checking ------------------------------------------------------------- */

static char why[256];

#define EXPECT(cond)                                                                \
    do {                                                                            \
        if (!(cond)) {                                                              \
            snprintf(why, sizeof why, "cases.c:%d: %s", __LINE__, #cond);           \
            return why;                                                             \
        }                                                                           \
    } while (0)

static bool text_is(struct capnp_text t, const char *want)
{
    return t.len == strlen(want) && memcmp(t.str, want, t.len) == 0 && t.str[t.len] == 0;
}

static bool data_is(struct capnp_data d, const void *want, size_t len)
{
    return d.len == len && (len == 0 || memcmp(d.ptr, want, len) == 0);
}

/* The schema's defaults for the scalar fields the JSON cases leave unset. */
static const char *check_scalar_defaults(TestAll_R r)
{
    EXPECT(TestAll_boolField(r) == true);
    EXPECT(TestAll_int8Field(r) == -7);
    EXPECT(TestAll_int16Field(r) == -1234);
    EXPECT(TestAll_int32Field(r) == -123456);
    EXPECT(TestAll_int64Field(r) == -1234567890123);
    EXPECT(TestAll_uint8Field(r) == 200);
    EXPECT(TestAll_uint16Field(r) == 60000);
    EXPECT(TestAll_uint32Field(r) == 4000000000u);
    EXPECT(TestAll_uint64Field(r) == 12345678901234567890ull);
    EXPECT(TestAll_float32Field(r) == 1.5f);
    EXPECT(TestAll_float64Field(r) == -2.25);
    EXPECT(TestAll_enumField(r) == Color_green);
    return 0;
}

/* Pointer fields the cases leave unset read as their defaults. */
static const char *check_pointer_defaults(TestAll_R r, bool text_data_set)
{
    if (!text_data_set) {
        EXPECT(!TestAll_has_textField(r));
        EXPECT(text_is(TestAll_textField(r), "dflt"));
        EXPECT(data_is(TestAll_dataField(r), "\xde\xad\x00\xbe\xef", 5));
    }
    EXPECT(!TestAll_has_structField(r));
    EXPECT(Inner_id(TestAll_structField(r)) == 0);
    EXPECT(text_is(Inner_label(TestAll_structField(r)), ""));
    EXPECT(capnp_list_len(TestAll_int32List(r)) == 0);
    struct capnp_list d = TestAll_int32ListDefault(r);
    EXPECT(capnp_list_len(d) == 3);
    EXPECT(capnp_list_u32(d, 0) == 1 && capnp_list_u32(d, 1) == 2 && capnp_list_u32(d, 2) == 3);
    Inner_R sd = TestAll_structDefault(r);
    EXPECT(Inner_id(sd) == 7);
    EXPECT(text_is(Inner_label(sd), "seven"));
    EXPECT(TestAll_Nested_mode(TestAll_nested(r)) == TestAll_Nested_Mode_on);
    EXPECT(capnp_ptr_is_null(TestAll_anyField(r)));
    return 0;
}

static const char *check_all(TestAll_R r)
{
    EXPECT(TestAll_boolField(r) == false);
    EXPECT(TestAll_int8Field(r) == -128);
    EXPECT(TestAll_int16Field(r) == 32767);
    EXPECT(TestAll_int32Field(r) == INT32_MIN);
    EXPECT(TestAll_int64Field(r) == INT64_MIN);
    EXPECT(TestAll_uint8Field(r) == 255);
    EXPECT(TestAll_uint16Field(r) == 0);
    EXPECT(TestAll_uint32Field(r) == UINT32_MAX);
    EXPECT(TestAll_uint64Field(r) == UINT64_MAX);
    EXPECT(TestAll_float32Field(r) == -0.25f);
    EXPECT(TestAll_float64Field(r) == 1e300);
    EXPECT(text_is(TestAll_textField(r), "héllo, wörld"));
    EXPECT(data_is(TestAll_dataField(r), "\x00\x01\x02\xfe\xff", 5));
    EXPECT(TestAll_enumField(r) == Color_blue);
    EXPECT(Inner_id(TestAll_structField(r)) == 17);
    EXPECT(text_is(Inner_label(TestAll_structField(r)), "inner"));
    EXPECT(TestAll_has_emptyField(r));

    static const int bools[] = {1, 0, 1, 1, 0, 0, 0, 0, 1};
    struct capnp_list l = TestAll_boolList(r);
    EXPECT(capnp_list_len(l) == 9);
    for (uint32_t i = 0; i < 9; i++)
        EXPECT(capnp_list_bool(l, i) == bools[i]);
    static const int8_t i8[] = {-1, 0, 127, -128};
    l = TestAll_int8List(r);
    EXPECT(capnp_list_len(l) == 4);
    for (uint32_t i = 0; i < 4; i++)
        EXPECT((int8_t)capnp_list_u8(l, i) == i8[i]);
    l = TestAll_int16List(r);
    EXPECT(capnp_list_len(l) == 2);
    EXPECT((int16_t)capnp_list_u16(l, 0) == -300 && capnp_list_u16(l, 1) == 300);
    static const int32_t i32[] = {1, -2, 3, -4, 5};
    l = TestAll_int32List(r);
    EXPECT(capnp_list_len(l) == 5);
    for (uint32_t i = 0; i < 5; i++)
        EXPECT((int32_t)capnp_list_u32(l, i) == i32[i]);
    l = TestAll_int64List(r);
    EXPECT(capnp_list_len(l) == 2);
    EXPECT((int64_t)capnp_list_u64(l, 0) == -1 && capnp_list_u64(l, 1) == INT64_MAX);
    static const uint8_t u8[] = {1, 2, 3, 250};
    l = TestAll_uint8List(r);
    EXPECT(capnp_list_len(l) == 4);
    for (uint32_t i = 0; i < 4; i++)
        EXPECT(capnp_list_u8(l, i) == u8[i]);
    l = TestAll_uint16List(r);
    EXPECT(capnp_list_len(l) == 2 && capnp_list_u16(l, 0) == 65535 && capnp_list_u16(l, 1) == 1);
    l = TestAll_uint32List(r);
    EXPECT(capnp_list_len(l) == 2 && capnp_list_u32(l, 0) == 0 &&
           capnp_list_u32(l, 1) == UINT32_MAX);
    l = TestAll_uint64List(r);
    EXPECT(capnp_list_len(l) == 3 && capnp_list_u64(l, 0) == 0 && capnp_list_u64(l, 1) == 1 &&
           capnp_list_u64(l, 2) == UINT64_MAX);
    l = TestAll_float32List(r);
    EXPECT(capnp_list_len(l) == 3);
    EXPECT(capnp_f32_from_bits(capnp_list_u32(l, 0)) == 0.5f);
    EXPECT(capnp_f32_from_bits(capnp_list_u32(l, 1)) == -1.5f);
    EXPECT(capnp_f32_from_bits(capnp_list_u32(l, 2)) == 3.25f);
    l = TestAll_float64List(r);
    EXPECT(capnp_list_len(l) == 2);
    EXPECT(capnp_f64_from_bits(capnp_list_u64(l, 0)) == 0.125);
    EXPECT(capnp_f64_from_bits(capnp_list_u64(l, 1)) == -1e-300);

    l = TestAll_textList(r);
    EXPECT(capnp_list_len(l) == 3);
    EXPECT(text_is(capnp_list_text(l, 0), "one"));
    EXPECT(text_is(capnp_list_text(l, 1), ""));
    EXPECT(text_is(capnp_list_text(l, 2), "three"));
    l = TestAll_dataList(r);
    EXPECT(capnp_list_len(l) == 3);
    EXPECT(data_is(capnp_list_data(l, 0), "\x01", 1));
    EXPECT(data_is(capnp_list_data(l, 1), "", 0));
    EXPECT(data_is(capnp_list_data(l, 2), "\x02\x03", 2));
    l = TestAll_enumList(r);
    EXPECT(capnp_list_len(l) == 4);
    EXPECT(capnp_list_u16(l, 0) == Color_red && capnp_list_u16(l, 1) == Color_green &&
           capnp_list_u16(l, 2) == Color_blue && capnp_list_u16(l, 3) == Color_blue);

    Inner_RList sl = TestAll_structList(r);
    EXPECT(Inner_RList_len(sl) == 3);
    EXPECT(Inner_id(Inner_RList_get(sl, 0)) == 1);
    EXPECT(text_is(Inner_label(Inner_RList_get(sl, 0)), "a"));
    EXPECT(Inner_id(Inner_RList_get(sl, 1)) == 2);
    EXPECT(!Inner_has_label(Inner_RList_get(sl, 1)));
    EXPECT(Inner_id(Inner_RList_get(sl, 2)) == 0);
    EXPECT(text_is(Inner_label(Inner_RList_get(sl, 2)), "c"));
    EXPECT(capnp_list_len(TestAll_voidList(r)) == 3);

    l = TestAll_listList(r);
    EXPECT(capnp_list_len(l) == 3);
    struct capnp_list e = capnp_list_list(l, 0, CAPNP_ESIZE_FOUR);
    EXPECT(capnp_list_len(e) == 2 && capnp_list_u32(e, 0) == 1 && capnp_list_u32(e, 1) == 2);
    EXPECT(capnp_list_len(capnp_list_list(l, 1, CAPNP_ESIZE_FOUR)) == 0);
    e = capnp_list_list(l, 2, CAPNP_ESIZE_FOUR);
    EXPECT(capnp_list_len(e) == 1 && capnp_list_u32(e, 0) == 3);

    l = TestAll_textListList(r);
    EXPECT(capnp_list_len(l) == 2);
    e = capnp_list_list(l, 0, CAPNP_ESIZE_POINTER);
    EXPECT(capnp_list_len(e) == 2);
    EXPECT(text_is(capnp_list_text(e, 0), "x") && text_is(capnp_list_text(e, 1), "y"));
    e = capnp_list_list(l, 1, CAPNP_ESIZE_POINTER);
    EXPECT(capnp_list_len(e) == 1 && text_is(capnp_list_text(e, 0), "z"));

    l = TestAll_structListList(r);
    EXPECT(capnp_list_len(l) == 2);
    Inner_RList il = Inner_RList_at(l, 0);
    EXPECT(Inner_RList_len(il) == 1 && Inner_id(Inner_RList_get(il, 0)) == 5);
    il = Inner_RList_at(l, 1);
    EXPECT(Inner_RList_len(il) == 2);
    EXPECT(Inner_id(Inner_RList_get(il, 0)) == 6);
    EXPECT(text_is(Inner_label(Inner_RList_get(il, 0)), "six"));
    EXPECT(Inner_id(Inner_RList_get(il, 1)) == 7);
    EXPECT(Empty_RList_len(TestAll_emptyList(r)) == 2);

    EXPECT(TestAll_which(r) == TestAll_which_point);
    EXPECT(TestAll_point_x(TestAll_point(r)) == 10);
    EXPECT(TestAll_point_y(TestAll_point(r)) == 20);
    EXPECT(TestAll_number(r) == 99);                 /* not the active member */
    EXPECT(text_is(TestAll_name(r), ""));

    TestAll_settings_R g = TestAll_settings(r);
    EXPECT(TestAll_settings_level(g) == 9);
    EXPECT(text_is(TestAll_settings_tag(g), "t"));
    TestAll_settings_mode_R m = TestAll_settings_mode(g);
    EXPECT(TestAll_settings_mode_which(m) == TestAll_settings_mode_which_fast);
    EXPECT(TestAll_settings_mode_fast(m) == true);

    TestAll_Nested_R n = TestAll_nested(r);
    EXPECT(TestAll_Nested_mode(n) == TestAll_Nested_Mode_auto);
    EXPECT(TestAll_Nested_value(n) == 42);
    TestAll_Nested_R c = TestAll_Nested_child(n);
    EXPECT(TestAll_Nested_mode(c) == TestAll_Nested_Mode_off);
    EXPECT(TestAll_Nested_value(c) == 0);
    TestAll_Nested_R cc = TestAll_Nested_child(c);
    EXPECT(TestAll_Nested_mode(cc) == TestAll_Nested_Mode_on);
    EXPECT(TestAll_Nested_value(cc) == -1);
    EXPECT(!TestAll_Nested_has_child(cc));

    l = TestAll_int32ListDefault(r);
    EXPECT(capnp_list_len(l) == 1 && capnp_list_u32(l, 0) == 9);
    EXPECT(Inner_id(TestAll_structDefault(r)) == 8);
    EXPECT(text_is(Inner_label(TestAll_structDefault(r)), ""));
    l = TestAll_textListDefault(r);
    EXPECT(capnp_list_len(l) == 2);
    EXPECT(text_is(capnp_list_text(l, 0), "a") && text_is(capnp_list_text(l, 1), "bc"));
    return 0;
}

static const char *check_defaults(TestAll_R r)
{
    const char *e;
    if ((e = check_scalar_defaults(r)) || (e = check_pointer_defaults(r, false)))
        return e;
    EXPECT(TestAll_which(r) == TestAll_which_none);
    EXPECT(TestAll_number(r) == 99);
    EXPECT(TestAll_point_y(TestAll_point(r)) == -1);
    TestAll_settings_R g = TestAll_settings(r);
    EXPECT(TestAll_settings_level(g) == 5);
    EXPECT(text_is(TestAll_settings_tag(g), "grp"));
    EXPECT(TestAll_settings_mode_which(TestAll_settings_mode(g)) ==
           TestAll_settings_mode_which_off);
    struct capnp_list l = TestAll_textListDefault(r);
    EXPECT(capnp_list_len(l) == 2 && text_is(capnp_list_text(l, 1), "bc"));
    EXPECT(capnp_list_len(TestAll_listList(r)) == 0);
    EXPECT(Inner_RList_len(TestAll_structList(r)) == 0);
    return 0;
}

const char *capnp_case_check(const char *name, TestAll_R r)
{
    const char *e = 0;
    if (strcmp(name, "all") == 0) {
        e = check_all(r);
    } else if (strcmp(name, "defaults") == 0) {
        e = check_defaults(r);
    } else if (strcmp(name, "union_name") == 0) {
        if ((e = check_scalar_defaults(r)) || (e = check_pointer_defaults(r, false)))
            return e;
        EXPECT(TestAll_which(r) == TestAll_which_name);
        EXPECT(text_is(TestAll_name(r), "a name"));
        EXPECT(TestAll_number(r) == 99);
        TestAll_settings_R g = TestAll_settings(r);
        EXPECT(TestAll_settings_level(g) == 5);
        EXPECT(TestAll_settings_has_tag(g) && text_is(TestAll_settings_tag(g), ""));
        TestAll_settings_mode_R m = TestAll_settings_mode(g);
        EXPECT(TestAll_settings_mode_which(m) == TestAll_settings_mode_which_ratio);
        EXPECT(TestAll_settings_mode_ratio(m) == 0.75f);
        EXPECT(TestAll_settings_mode_fast(m) == false);
        EXPECT(TestAll_has_textListDefault(r));
        EXPECT(capnp_list_len(TestAll_textListDefault(r)) == 0);
    } else if (strcmp(name, "union_inner") == 0) {
        if ((e = check_scalar_defaults(r)) || (e = check_pointer_defaults(r, false)))
            return e;
        EXPECT(TestAll_which(r) == TestAll_which_inner);
        EXPECT(Inner_id(TestAll_inner(r)) == 3);
        EXPECT(text_is(Inner_label(TestAll_inner(r)), "three"));
        EXPECT(text_is(TestAll_name(r), ""));          /* same slot, other member */
        Inner_RList sl = TestAll_structList(r);
        EXPECT(Inner_RList_len(sl) == 2);
        EXPECT(Inner_id(Inner_RList_get(sl, 1)) == 0);
    } else if (strcmp(name, "union_number") == 0) {
        if ((e = check_scalar_defaults(r)) || (e = check_pointer_defaults(r, true)))
            return e;
        EXPECT(TestAll_which(r) == TestAll_which_number);
        EXPECT(TestAll_number(r) == -5);
        EXPECT(TestAll_has_textField(r) && text_is(TestAll_textField(r), ""));
        EXPECT(TestAll_has_dataField(r) && TestAll_dataField(r).len == 0);
        EXPECT(TestAll_point_x(TestAll_point(r)) == 0);
    } else {
        return "unknown case";
    }
    if (!e && capnp_msg_error(r.s.msg))
        e = capnp_errname(capnp_msg_error(r.s.msg));
    return e;
}
