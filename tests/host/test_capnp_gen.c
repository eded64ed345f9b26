/*
 * test_capnp_gen: the C that tools/capnpc-c generates, used as a program
 * would: build messages with the builders, read them with the readers,
 * defaults, unions, groups, constants, interface ids; and the Vectra
 * schemas (system manifest) end to end.
 */
#include "vtest.h"
#include "tests/capnp/cases.h"
#include "schema/system.capnp.h"
#include "schema/naming.capnp.h"
#include "schema/console.capnp.h"
#include "schema/log.capnp.h"

/* Names are part of the API: these must keep compiling. */
_Static_assert(Color_red == 0 && Color_green == 1 && Color_blue == 2, "enumerants");
_Static_assert(TestAll_Nested_Mode_auto == 2, "nested enum name");
_Static_assert(TestAll_which_none == 0 && TestAll_which_inner == 4, "union tags");
_Static_assert(TestAll_settings_mode_which_ratio == 2, "named union tags");
_Static_assert(Calc_method_add == 0 && Calc_method_describe == 2, "method ids");
_Static_assert(Inner_DATA_WORDS == 1 && Inner_PTR_COUNT == 1, "struct sizes");
_Static_assert(Naming_method_resolve == 0 && Naming_method_connect == 1, "naming ids");
_Static_assert(Log_method_append == 0 && Log_method_query == 1, "log ids");
_Static_assert(Console_method_write == 0 && Console_method_readLine == 1, "console ids");

static uint8_t buf[1 << 16];
static struct capnp_builder b;
static struct capnp_msg msg;

/* Reads back what b holds. */
static void reread(void)
{
    size_t len;
    const uint8_t *p = capnp_builder_bytes(&b, &len);
    CHECK_EQ(capnp_builder_error(&b), CAPNP_OK);
    CHECK_EQ(capnp_msg_init_flat(&msg, p, len), CAPNP_OK);
}

TEST(every_case_round_trips_through_builder_and_reader)
{
    for (int i = 0; capnp_case_names[i]; i++) {
        capnp_builder_init(&b, buf, sizeof buf);
        CHECK_EQ(capnp_case_build(capnp_case_names[i], &b), 0);
        reread();
        const char *why = capnp_case_check(capnp_case_names[i], TestAll_read_root(&msg));
        if (why)
            vtest_fail(__FILE__, __LINE__, "%s: %s", capnp_case_names[i], why);
    }
}

TEST(an_empty_message_reads_as_all_defaults)
{
    uint64_t zero = 0;
    CHECK_EQ(capnp_msg_init_flat(&msg, &zero, 8), CAPNP_OK);
    const char *why = capnp_case_check("defaults", TestAll_read_root(&msg));
    if (why)
        vtest_fail(__FILE__, __LINE__, "%s", why);
}

TEST(a_message_from_an_older_schema_reads_new_fields_as_defaults)
{
    /* A TestAll written as if it had one data word and no pointers. */
    capnp_builder_init(&b, buf, sizeof buf);
    struct capnp_sbuilder s = capnp_builder_root(&b, 1, 0);
    capnp_set_u8(s, 1, (uint8_t)(5 ^ 0xf9));   /* int8Field = 5 (XOR its default -7) */
    reread();
    TestAll_R r = TestAll_read_root(&msg);
    CHECK_EQ(TestAll_int8Field(r), 5);
    CHECK_EQ(TestAll_boolField(r), true);
    CHECK_EQ(TestAll_uint64Field(r), 12345678901234567890ull);
    CHECK_STR(TestAll_textField(r).str, "dflt");
    CHECK_EQ(Inner_id(TestAll_structDefault(r)), 7);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_OK);
}

TEST(setting_a_union_member_switches_which)
{
    capnp_builder_init(&b, buf, sizeof buf);
    TestAll_B t = TestAll_build_root(&b);
    TestAll_set_number(t, 7);
    TestAll_point_set_x(TestAll_init_point(t), 3);
    reread();
    TestAll_R r = TestAll_read_root(&msg);
    CHECK_EQ(TestAll_which(r), TestAll_which_point);
    CHECK_EQ(TestAll_point_x(TestAll_point(r)), 3);
    /* number shares point.x's bytes, but is not the active member. */
    CHECK_EQ(TestAll_number(r), 99);
    capnp_builder_init(&b, buf, sizeof buf);
    t = TestAll_build_root(&b);
    TestAll_set_number(t, 7);
    reread();
    r = TestAll_read_root(&msg);
    CHECK_EQ(TestAll_which(r), TestAll_which_number);
    CHECK_EQ(TestAll_number(r), 7);
    CHECK_EQ(TestAll_point_x(TestAll_point(r)), 0);  /* inactive group: defaults */
    CHECK_EQ(TestAll_point_y(TestAll_point(r)), -1);
}

TEST(constants)
{
    CHECK_EQ(TestAll_answer, 42);
    CHECK_STR(greeting, "hello \"world\"\n");
    CHECK_EQ(greeting_LEN, 14);
    CHECK_EQ(sizeof blob, 5);
    CHECK_MEM(blob, "\x01\x02\x03\x00\xff", 5);
    CHECK(pi == 3.14159);
    CHECK(half == 0.5f);
    CHECK(big == UINT64_MAX);
    CHECK(small == INT64_MIN);
    CHECK_EQ(flag, true);
    CHECK_EQ(colorConst, Color_blue);

    struct capnp_msg m;
    Inner_R in = innerConst_get(&m);
    CHECK_EQ(Inner_id(in), 1);
    CHECK_STR(Inner_label(in).str, "one");
    struct capnp_list l = listConst_get(&m);
    CHECK_EQ(capnp_list_len(l), 3);
    CHECK_EQ(capnp_list_u16(l, 2), 30);
    Inner_RList sl = structListConst_get(&m);
    CHECK_EQ(Inner_RList_len(sl), 2);
    CHECK_EQ(Inner_id(Inner_RList_get(sl, 0)), 2);
    CHECK_STR(Inner_label(Inner_RList_get(sl, 1)).str, "three");
    CHECK_EQ(capnp_msg_error(&m), CAPNP_OK);
}

TEST(interface_params_and_capabilities)
{
    capnp_builder_init(&b, buf, sizeof buf);
    Calc_add_Params_B p = Calc_add_Params_build_root(&b);
    Calc_add_Params_set_a(p, 2);
    Calc_add_Params_set_b(p, -3);
    reread();
    Calc_add_Params_R r = Calc_add_Params_read_root(&msg);
    CHECK_EQ(Calc_add_Params_a(r) + Calc_add_Params_b(r), -1);

    capnp_builder_init(&b, buf, sizeof buf);
    HasCap_B h = HasCap_build_root(&b);
    HasCap_set_cap(h, 4);
    struct capnp_lbuilder caps = HasCap_init_caps(h, 2);
    capnp_slot_set_cap(capnp_lslot(caps, 1), 9);
    reread();
    HasCap_R hr = HasCap_read_root(&msg);
    CHECK_EQ(HasCap_cap(hr), 4);
    struct capnp_list cl = HasCap_caps(hr);
    CHECK_EQ(capnp_ptr_cap(capnp_list_ptr(cl, 0)), CAPNP_NO_CAP);
    CHECK_EQ(capnp_ptr_cap(capnp_list_ptr(cl, 1)), 9);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_OK);
    CHECK(Calc_TYPE_ID != 0 && Calc_add_Params_TYPE_ID != Calc_add_Results_TYPE_ID);
}

TEST(any_pointer_fields_and_copies)
{
    /* Put an Inner into anyField by copying it from another message. */
    static uint8_t other[256];
    struct capnp_builder ob;
    capnp_builder_init(&ob, other, sizeof other);
    Inner_B in = Inner_build_root(&ob);
    Inner_set_id(in, 77);
    Inner_set_label(in, "copied", 6);
    size_t olen;
    struct capnp_msg om;
    const uint8_t *obytes = capnp_builder_bytes(&ob, &olen);
    CHECK_EQ(capnp_msg_init_flat(&om, obytes, olen), CAPNP_OK);

    capnp_builder_init(&b, buf, sizeof buf);
    TestAll_B t = TestAll_build_root(&b);
    capnp_slot_copy(TestAll_slot_anyField(t), capnp_msg_root_ptr(&om));
    capnp_slot_copy(TestAll_slot_structField(t), capnp_msg_root_ptr(&om));
    reread();
    TestAll_R r = TestAll_read_root(&msg);
    Inner_R a = Inner_read_ptr(TestAll_anyField(r));
    CHECK_EQ(Inner_id(a), 77);
    CHECK_STR(Inner_label(a).str, "copied");
    CHECK_EQ(Inner_id(TestAll_structField(r)), 77);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_OK);
}

TEST(what_if_a_generated_builder_runs_out_of_room)
{
    capnp_builder_init(&b, buf, 200);
    TestAll_B t = TestAll_build_root(&b);       /* TestAll alone needs more */
    TestAll_set_int8Field(t, 1);
    TestAll_init_structList(t, 100);
    CHECK_EQ(capnp_builder_error(&b), CAPNP_ENOSPACE);
    /* What was built is still a valid (partial) message. */
    size_t len;
    const uint8_t *p = capnp_builder_bytes(&b, &len);
    CHECK_EQ(capnp_msg_init_flat(&msg, p, len), CAPNP_OK);
    TestAll_R r = TestAll_read_root(&msg);
    (void)TestAll_int8Field(r);
    CHECK_EQ(Inner_RList_len(TestAll_structList(r)), 0);
}

TEST(system_manifest_end_to_end)
{
    capnp_builder_init(&b, buf, sizeof buf);
    SystemManifest_B m = SystemManifest_build_root(&b);
    SystemManifest_Service_BList svcs = SystemManifest_init_services(m, 2);

    SystemManifest_Service_B log = SystemManifest_Service_BList_get(svcs, 0);
    SystemManifest_Service_set_name(log, "log", 3);
    SystemManifest_Service_binary_set_module(SystemManifest_Service_init_binary(log), "log.elf", 7);
    SystemManifest_Service_set_restart(log, SystemManifest_RestartPolicy_always);

    SystemManifest_Service_B con = SystemManifest_Service_BList_get(svcs, 1);
    SystemManifest_Service_set_name(con, "console", 7);
    SystemManifest_CapsuleRef_B cap =
        SystemManifest_Service_binary_init_capsule(SystemManifest_Service_init_binary(con));
    SystemManifest_CapsuleRef_set_name(cap, "console", 7);
    uint8_t vcid[32];
    for (int i = 0; i < 32; i++)
        vcid[i] = (uint8_t)i;
    SystemManifest_CapsuleRef_set_vcid(cap, vcid, 32);
    struct capnp_lbuilder deps = SystemManifest_Service_init_dependencies(con, 1);
    capnp_slot_set_text(capnp_lslot(deps, 0), "log", 3);
    SystemManifest_CapGrant_BList grants = SystemManifest_Service_init_capabilities(con, 1);
    SystemManifest_CapGrant_B g = SystemManifest_CapGrant_BList_get(grants, 0);
    SystemManifest_CapGrant_set_name(g, "log", 3);
    SystemManifest_CapGrant_set_type(g, SystemManifest_CapType_service);
    SystemManifest_CapGrant_set_source(g, "log", 3);
    SystemManifest_CapGrant_set_interfaceId(g, Log_TYPE_ID);
    SystemManifest_Service_set_priority(con, 200);
    reread();

    SystemManifest_R r = SystemManifest_read_root(&msg);
    CHECK_EQ(SystemManifest_version(r), 1);
    SystemManifest_Service_RList s = SystemManifest_services(r);
    CHECK_EQ(SystemManifest_Service_RList_len(s), 2);
    SystemManifest_Service_R s0 = SystemManifest_Service_RList_get(s, 0);
    CHECK_STR(SystemManifest_Service_name(s0).str, "log");
    SystemManifest_Service_binary_R bin = SystemManifest_Service_binary(s0);
    CHECK_EQ(SystemManifest_Service_binary_which(bin), SystemManifest_Service_binary_which_module);
    CHECK_STR(SystemManifest_Service_binary_module(bin).str, "log.elf");
    CHECK_EQ(SystemManifest_Service_restart(s0), SystemManifest_RestartPolicy_always);
    CHECK_EQ(SystemManifest_Service_priority(s0), 8);

    SystemManifest_Service_R s1 = SystemManifest_Service_RList_get(s, 1);
    bin = SystemManifest_Service_binary(s1);
    CHECK_EQ(SystemManifest_Service_binary_which(bin), SystemManifest_Service_binary_which_capsule);
    struct capnp_data d = SystemManifest_CapsuleRef_vcid(SystemManifest_Service_binary_capsule(bin));
    CHECK_EQ(d.len, 32);
    CHECK_MEM(d.ptr, vcid, 32);
    CHECK_STR(capnp_list_text(SystemManifest_Service_dependencies(s1), 0).str, "log");
    SystemManifest_CapGrant_R gr =
        SystemManifest_CapGrant_RList_get(SystemManifest_Service_capabilities(s1), 0);
    CHECK_EQ(SystemManifest_CapGrant_type(gr), SystemManifest_CapType_service);
    CHECK(SystemManifest_CapGrant_interfaceId(gr) == Log_TYPE_ID);
    CHECK_EQ(SystemManifest_Service_restart(s1), SystemManifest_RestartPolicy_onFailure);
    CHECK_EQ(SystemManifest_Service_priority(s1), 200);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_OK);

    /* Canonical bytes are stable: canonicalizing them again changes nothing. */
    static uint8_t c1[4096], c2[4096];
    size_t l1, l2;
    CHECK_EQ(capnp_canonicalize(&msg, c1, sizeof c1, &l1), CAPNP_OK);
    CHECK_EQ(capnp_msg_init_flat(&msg, c1, l1), CAPNP_OK);
    CHECK_EQ(capnp_canonicalize(&msg, c2, sizeof c2, &l2), CAPNP_OK);
    CHECK_EQ(l1, l2);
    CHECK_MEM(c1, c2, l1);
}

TEST(naming_log_and_console_protocols)
{
    capnp_builder_init(&b, buf, sizeof buf);
    Naming_resolve_Results_B res = Naming_resolve_Results_build_root(&b);
    Naming_Resolution_B rr = Naming_resolve_Results_init_result(res);
    Naming_Resolution_set_status(rr, Naming_Status_ok);
    struct capnp_lbuilder e =
        Naming_Resolution_directory_init_entries(Naming_Resolution_init_directory(rr), 2);
    capnp_slot_set_text(capnp_lslot(e, 0), "console", 7);
    capnp_slot_set_text(capnp_lslot(e, 1), "log", 3);
    reread();
    Naming_Resolution_R r = Naming_resolve_Results_result(Naming_resolve_Results_read_root(&msg));
    CHECK_EQ(Naming_Resolution_which(r), Naming_Resolution_which_directory);
    struct capnp_list entries = Naming_Resolution_directory_entries(Naming_Resolution_directory(r));
    CHECK_EQ(capnp_list_len(entries), 2);
    CHECK_STR(capnp_list_text(entries, 1).str, "log");

    capnp_builder_init(&b, buf, sizeof buf);
    Log_append_Params_B ap = Log_append_Params_build_root(&b);
    Log_Record_B rec = Log_append_Params_init_record(ap);
    Log_Record_set_source(rec, "init", 4);
    Log_Record_set_text(rec, "started", 7);
    reread();
    Log_Record_R lr = Log_append_Params_record(Log_append_Params_read_root(&msg));
    CHECK_EQ(Log_Record_level(lr), Log_Level_info);
    CHECK_STR(Log_Record_text(lr).str, "started");

    capnp_builder_init(&b, buf, sizeof buf);
    Console_readLine_Params_build_root(&b);
    reread();
    Console_readLine_Params_R cp = Console_readLine_Params_read_root(&msg);
    CHECK_EQ(Console_readLine_Params_maxBytes(cp), 256);
    CHECK_EQ(Console_readLine_Params_echo(cp), true);
}
