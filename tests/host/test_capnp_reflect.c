/*
 * test_capnp_reflect: the reflection tables tools/capnpc-c generates
 * (lib/capnp/reflect.h) agree with the accessors it generates from the
 * same schema, checked through the wire format:
 *   - a value written at a table's offset (XOR its default) reads back
 *     through the generated getter, for every scalar kind, a union member
 *     (discriminant set) and text; an empty struct reads as each default;
 *   - fields come in code order with their kinds, element kinds, struct
 *     and enum links; struct sizes match *_DATA_WORDS / *_PTR_COUNT;
 *   - every interface's methods are listed in ordinal order with their
 *     params and results structs (Log, Supervisor).
 */
#include <string.h>

#include "schema/log.capnp.h"
#include "schema/supervisor.capnp.h"
#include "tests/capnp/test.capnp.h"
#include "vtest.h"

static const struct capnp_rfield *field(const struct capnp_rstruct *s, const char *name)
{
    for (unsigned i = 0; i < s->nfields; i++)
        if (!strcmp(s->fields[i].name, name))
            return &s->fields[i];
    return 0;
}

/* Write raw (the value, not yet XOR-ed) at f's offset, by its kind's width. */
static void put(struct capnp_sbuilder s, const struct capnp_rstruct *t, const char *name,
                uint64_t v)
{
    const struct capnp_rfield *f = field(t, name);
    CHECK(f);
    v ^= f->dflt;
    switch (f->kind) {
    case CAPNP_RK_BOOL: capnp_set_bool(s, f->offset, v & 1); break;
    case CAPNP_RK_INT8: case CAPNP_RK_UINT8: capnp_set_u8(s, f->offset, (uint8_t)v); break;
    case CAPNP_RK_INT16: case CAPNP_RK_UINT16: case CAPNP_RK_ENUM:
        capnp_set_u16(s, f->offset, (uint16_t)v); break;
    case CAPNP_RK_INT32: case CAPNP_RK_UINT32: case CAPNP_RK_FLOAT32:
        capnp_set_u32(s, f->offset, (uint32_t)v); break;
    default: capnp_set_u64(s, f->offset, v); break;
    }
    if (f->disc != 0xffff)
        capnp_set_u16(s, t->disc_offset, f->disc);
}

static uint8_t buf[4096];
static struct capnp_msg msg;

static TestAll_R reread(struct capnp_builder *b)
{
    size_t len;
    const uint8_t *p = capnp_builder_bytes(b, &len);
    CHECK_EQ(capnp_builder_error(b), 0);
    CHECK_EQ(capnp_msg_init_flat(&msg, p, len), 0);
    return TestAll_read_root(&msg);
}

TEST(reflect_scalars_round_trip_through_the_accessors)
{
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    const struct capnp_rstruct *T = &TestAll_REFLECT;
    struct capnp_sbuilder s = capnp_builder_root(&b, T->data_words, T->ptr_count);
    put(s, T, "boolField", 0);
    put(s, T, "int8Field", (uint8_t)-5);
    put(s, T, "int16Field", (uint16_t)-30000);
    put(s, T, "int32Field", (uint32_t)-2);
    put(s, T, "int64Field", (uint64_t)-9);
    put(s, T, "uint8Field", 7);
    put(s, T, "uint16Field", 65535);
    put(s, T, "uint32Field", 1);
    put(s, T, "uint64Field", 42);
    put(s, T, "enumField", Color_blue);
    put(s, T, "number", 1234);                  /* a union member */
    const struct capnp_rfield *tf = field(T, "textField");
    CHECK(tf && tf->kind == CAPNP_RK_TEXT);
    capnp_slot_set_text(capnp_slot(s, tf->offset), "hi", 2);
    TestAll_R r = reread(&b);
    CHECK_EQ(TestAll_boolField(r), false);
    CHECK_EQ(TestAll_int8Field(r), -5);
    CHECK_EQ(TestAll_int16Field(r), -30000);
    CHECK_EQ(TestAll_int32Field(r), -2);
    CHECK_EQ(TestAll_int64Field(r), -9);
    CHECK_EQ(TestAll_uint8Field(r), 7);
    CHECK_EQ(TestAll_uint16Field(r), 65535);
    CHECK_EQ(TestAll_uint32Field(r), 1);
    CHECK_EQ(TestAll_uint64Field(r), 42);
    CHECK_EQ(TestAll_enumField(r), Color_blue);
    CHECK_EQ(TestAll_which(r), TestAll_which_number);
    CHECK_EQ(TestAll_number(r), 1234);
    CHECK_STR(TestAll_textField(r).str, "hi");
}

TEST(reflect_defaults_are_the_schemas)
{
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    capnp_builder_root(&b, TestAll_REFLECT.data_words, TestAll_REFLECT.ptr_count);
    TestAll_R r = reread(&b);
    CHECK_EQ(field(&TestAll_REFLECT, "boolField")->dflt, 1);
    CHECK_EQ((int8_t)field(&TestAll_REFLECT, "int8Field")->dflt, TestAll_int8Field(r));
    CHECK_EQ((int64_t)field(&TestAll_REFLECT, "int64Field")->dflt, TestAll_int64Field(r));
    CHECK_EQ(field(&TestAll_REFLECT, "uint64Field")->dflt, TestAll_uint64Field(r));
    CHECK_EQ(field(&TestAll_REFLECT, "enumField")->dflt, (uint64_t)TestAll_enumField(r));
    CHECK_EQ(field(&Log_query_Params_REFLECT, "limit")->dflt, 64);
}

TEST(reflect_fields_kinds_and_links)
{
    const struct capnp_rstruct *T = &TestAll_REFLECT;
    CHECK_EQ(T->data_words, TestAll_DATA_WORDS);
    CHECK_EQ(T->ptr_count, TestAll_PTR_COUNT);
    CHECK_STR(T->fields[0].name, "boolField");
    CHECK_EQ(T->fields[0].kind, CAPNP_RK_BOOL);
    const struct capnp_rfield *f = field(T, "structList");
    CHECK(f && f->kind == CAPNP_RK_LIST && f->elem == CAPNP_RK_STRUCT && f->type == &Inner_REFLECT);
    f = field(T, "enumList");
    CHECK(f && f->elem == CAPNP_RK_ENUM && f->enm == &Color_RENUM);
    CHECK_EQ(Color_RENUM.n, 3);
    CHECK_STR(Color_RENUM.names[Color_blue], "blue");
    f = field(T, "point");
    CHECK(f && f->kind == CAPNP_RK_GROUP && f->disc == TestAll_which_point);
    f = field(T, "nested");
    CHECK(f && f->kind == CAPNP_RK_STRUCT && f->type == &TestAll_Nested_REFLECT);
    CHECK_EQ(Log_Record_REFLECT.data_words, Log_Record_DATA_WORDS);
    CHECK_EQ(Log_Record_REFLECT.ptr_count, Log_Record_PTR_COUNT);
    CHECK_STR(Log_Record_REFLECT.fields[Log_Record_REFLECT.nfields - 1].name, "eventTime");
}

TEST(reflect_interfaces_list_methods_in_order)
{
    CHECK_EQ(Log_REFLECT.id, Log_TYPE_ID);
    CHECK_EQ(Log_REFLECT.nmethods, 2);
    CHECK_STR(Log_REFLECT.methods[Log_method_query].name, "query");
    CHECK(Log_REFLECT.methods[Log_method_query].params == &Log_query_Params_REFLECT);
    CHECK(Log_REFLECT.methods[Log_method_query].results == &Log_query_Results_REFLECT);
    CHECK_EQ(Supervisor_REFLECT.nmethods, Supervisor_method_args + 1);
    CHECK_STR(Supervisor_REFLECT.methods[Supervisor_method_reroot].name, "reroot");
    CHECK_STR(Supervisor_REFLECT.methods[Supervisor_method_generations].name, "generations");
    CHECK_STR(Supervisor_REFLECT.methods[Supervisor_method_run].name, "run");
    CHECK_STR(Supervisor_REFLECT.methods[Supervisor_method_kill].name, "kill");
    CHECK_EQ(Supervisor_REFLECT.methods[Supervisor_method_halt].params->nfields, 0);
}
