/*
 * test_capnp: the lib/capnp runtime on hand-made messages, well-formed and
 * hostile. Every hostile case is phrased as the question it answers and
 * asserts the exact error; none may crash or hang (run under ASan+UBSan).
 */
#include "vtest.h"
#include "capnp/capnp.h"

#include <stdlib.h>

/* ---- pointer words ------------------------------------------------------ */

static uint64_t sp(int32_t off, uint16_t dw, uint16_t pc)
{
    return ((uint32_t)off << 2) | (uint64_t)dw << 32 | (uint64_t)pc << 48;
}

static uint64_t lp(int32_t off, unsigned esize, uint32_t count)
{
    return 1 | ((uint32_t)off << 2) | (uint64_t)esize << 32 | (uint64_t)count << 35;
}

static uint64_t fp(uint32_t seg, uint32_t pad, int dbl)
{
    return 2 | (uint64_t)dbl << 2 | (uint64_t)pad << 3 | (uint64_t)seg << 32;
}

static uint64_t tag(uint32_t n, uint16_t dw, uint16_t pc)
{
    return ((uint64_t)n << 2) | (uint64_t)dw << 32 | (uint64_t)pc << 48;
}

static uint64_t text8(const char *s)
{
    uint64_t w = 0;
    memcpy(&w, s, strlen(s));
    return w;
}

static struct capnp_msg msg;

static struct capnp_struct root_of(const uint64_t *w, size_t n)
{
    CHECK_EQ(capnp_msg_init_flat(&msg, w, n * 8), CAPNP_OK);
    return capnp_msg_root(&msg);
}

/* ---- well-formed reading ------------------------------------------------ */

TEST(reads_struct_fields_and_text)
{
    uint64_t w[] = {sp(0, 1, 1), 0x1122334455667788ull, lp(0, CAPNP_ESIZE_BYTE, 3), text8("hi")};
    struct capnp_struct r = root_of(w, 4);
    CHECK_EQ(capnp_get_u64(r, 0), 0x1122334455667788ull);
    CHECK_EQ(capnp_get_u32(r, 4), 0x11223344u);
    CHECK_EQ(capnp_get_u16(r, 2), 0x5566);
    CHECK_EQ(capnp_get_u8(r, 0), 0x88);
    CHECK_EQ(capnp_get_bool(r, 3), 1);
    CHECK_EQ(capnp_get_bool(r, 2), 0);
    struct capnp_text t = capnp_ptr_text(capnp_get_ptr(r, 0), "x", 1);
    CHECK_EQ(t.len, 2);
    CHECK_STR(t.str, "hi");
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_OK);
}

TEST(fields_beyond_a_small_struct_read_as_zero)
{
    uint64_t w[] = {sp(0, 1, 0), ~0ull};
    struct capnp_struct r = root_of(w, 2);
    CHECK_EQ(capnp_get_u64(r, 8), 0);
    CHECK_EQ(capnp_get_u32(r, 6), 0);      /* straddles the end */
    CHECK_EQ(capnp_get_bool(r, 64), 0);
    CHECK(capnp_ptr_is_null(capnp_get_ptr(r, 0)));
    struct capnp_text t = capnp_ptr_text(capnp_get_ptr(r, 5), "dflt", 4);
    CHECK_STR(t.str, "dflt");
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_OK);
}

TEST(null_root_is_the_empty_struct)
{
    uint64_t w[] = {0};
    struct capnp_struct r = root_of(w, 1);
    CHECK_EQ(r.data_bytes, 0);
    CHECK_EQ(capnp_get_u64(r, 0), 0);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_OK);
}

TEST(empty_struct_pointer_is_not_null)
{
    uint64_t w[] = {sp(0, 0, 1), sp(-1, 0, 0)};
    struct capnp_struct r = root_of(w, 2);
    struct capnp_ptr p = capnp_get_ptr(r, 0);
    CHECK(!capnp_ptr_is_null(p));
    struct capnp_struct e = capnp_ptr_struct(p, 0);
    CHECK_EQ(e.data_bytes, 0);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_OK);
}

TEST(reads_primitive_lists)
{
    uint64_t w[] = {sp(0, 0, 3),
                    lp(2, CAPNP_ESIZE_BIT, 10),
                    lp(2, CAPNP_ESIZE_TWO, 5),
                    lp(3, CAPNP_ESIZE_EIGHT, 2),
                    0x0205,                               /* bits 0,2,9 */
                    0x0004000300020001ull, 0x5,           /* u16: 1..5 */
                    7, 0xffffffffffffffffull};
    struct capnp_struct r = root_of(w, 9);
    struct capnp_list b = capnp_ptr_list(capnp_get_ptr(r, 0), CAPNP_ESIZE_BIT, 0);
    CHECK_EQ(capnp_list_len(b), 10);
    CHECK_EQ(capnp_list_bool(b, 0), 1);
    CHECK_EQ(capnp_list_bool(b, 1), 0);
    CHECK_EQ(capnp_list_bool(b, 2), 1);
    CHECK_EQ(capnp_list_bool(b, 9), 1);
    CHECK_EQ(capnp_list_bool(b, 10), 0);  /* out of range: false */
    struct capnp_list s = capnp_ptr_list(capnp_get_ptr(r, 1), CAPNP_ESIZE_TWO, 0);
    CHECK_EQ(capnp_list_len(s), 5);
    for (uint32_t i = 0; i < 5; i++)
        CHECK_EQ(capnp_list_u16(s, i), i + 1);
    CHECK_EQ(capnp_list_u16(s, 5), 0);
    struct capnp_list q = capnp_ptr_list(capnp_get_ptr(r, 2), CAPNP_ESIZE_EIGHT, 0);
    CHECK_EQ(capnp_list_u64(q, 0), 7);
    CHECK_EQ(capnp_list_u64(q, 1), 0xffffffffffffffffull);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_OK);
}

TEST(struct_list_and_its_compatible_views)
{
    /* List of 2 structs (1 data word, 1 pointer). */
    uint64_t w[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_COMPOSITE, 4), tag(2, 1, 1),
                    0x1111, lp(2, CAPNP_ESIZE_BYTE, 2), 0x2222, 0, text8("a")};
    struct capnp_struct r = root_of(w, 8);
    struct capnp_list l = capnp_ptr_list(capnp_get_ptr(r, 0), CAPNP_ESIZE_COMPOSITE, 0);
    CHECK_EQ(capnp_list_len(l), 2);
    CHECK_EQ(capnp_get_u64(capnp_list_struct(l, 0), 0), 0x1111);
    CHECK_EQ(capnp_get_u64(capnp_list_struct(l, 1), 0), 0x2222);
    struct capnp_text t = capnp_ptr_text(capnp_get_ptr(capnp_list_struct(l, 0), 0), 0, 0);
    CHECK_STR(t.str, "a");
    /* The same list read as List(UInt32) gives each element's first field... */
    struct capnp_list u = capnp_ptr_list(capnp_get_ptr(r, 0), CAPNP_ESIZE_FOUR, 0);
    CHECK_EQ(capnp_list_u32(u, 1), 0x2222);
    /* ... and as List(Text) each element's first pointer. */
    struct capnp_list tl = capnp_ptr_list(capnp_get_ptr(r, 0), CAPNP_ESIZE_POINTER, 0);
    CHECK_STR(capnp_list_text(tl, 0).str, "a");
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_OK);
}

TEST(primitive_list_read_as_struct_list)
{
    uint64_t w[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_FOUR, 2), 0x0000000200000001ull};
    struct capnp_struct r = root_of(w, 3);
    struct capnp_list l = capnp_ptr_list(capnp_get_ptr(r, 0), CAPNP_ESIZE_COMPOSITE, 0);
    CHECK_EQ(capnp_list_len(l), 2);
    struct capnp_struct e = capnp_list_struct(l, 1);
    CHECK_EQ(e.data_bytes, 4);
    CHECK_EQ(capnp_get_u32(e, 0), 2);
    CHECK_EQ(capnp_get_u32(e, 4), 0);   /* beyond the element: default */
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_OK);
}

TEST(capability_pointer)
{
    uint64_t w[] = {sp(0, 0, 2), 3 | (uint64_t)7 << 32, 0};
    struct capnp_struct r = root_of(w, 3);
    CHECK_EQ(capnp_ptr_cap(capnp_get_ptr(r, 0)), 7);
    CHECK_EQ(capnp_ptr_cap(capnp_get_ptr(r, 1)), CAPNP_NO_CAP);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_OK);
}

/* ---- multi-segment messages and far pointers ----------------------------- */

TEST(single_far_pointer_across_segments)
{
    uint64_t s0[] = {fp(1, 0, 0)};
    uint64_t s1[] = {sp(0, 1, 0), 0xabcdef};
    struct capnp_segment segs[] = {{(const uint8_t *)s0, 1}, {(const uint8_t *)s1, 2}};
    capnp_msg_init(&msg, segs, 2);
    struct capnp_struct r = capnp_msg_root(&msg);
    CHECK_EQ(capnp_get_u64(r, 0), 0xabcdef);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_OK);
}

TEST(double_far_pointer_across_three_segments)
{
    uint64_t s0[] = {fp(1, 1, 1)};
    uint64_t s1[] = {0, fp(2, 0, 0), sp(0, 1, 1)};        /* landing pad + tag */
    uint64_t s2[] = {0x77, lp(0, CAPNP_ESIZE_BYTE, 2), text8("z")};
    struct capnp_segment segs[] = {
        {(const uint8_t *)s0, 1}, {(const uint8_t *)s1, 3}, {(const uint8_t *)s2, 3}};
    capnp_msg_init(&msg, segs, 3);
    struct capnp_struct r = capnp_msg_root(&msg);
    CHECK_EQ(capnp_get_u64(r, 0), 0x77);
    CHECK_STR(capnp_ptr_text(capnp_get_ptr(r, 0), 0, 0).str, "z");
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_OK);
}

TEST(what_if_a_far_pointer_names_a_missing_segment)
{
    uint64_t w[] = {fp(5, 0, 0)};
    root_of(w, 1);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ESEGMENT);
}

TEST(what_if_a_landing_pad_lies_outside_its_segment)
{
    uint64_t w[] = {fp(0, 1, 0)};
    root_of(w, 1);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_EBOUNDS);
    uint64_t w2[] = {fp(0, 0x1fffffff, 1)};
    root_of(w2, 1);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_EBOUNDS);
}

TEST(what_if_a_far_pointer_lands_on_itself)
{
    /* Single far: the landing pad is the far pointer itself. */
    uint64_t w[] = {fp(0, 0, 0)};
    root_of(w, 1);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ELANDING);
}

TEST(what_if_far_pointers_form_a_cycle_between_segments)
{
    uint64_t s0[] = {fp(1, 0, 0)};
    uint64_t s1[] = {fp(0, 0, 0)};
    struct capnp_segment segs[] = {{(const uint8_t *)s0, 1}, {(const uint8_t *)s1, 1}};
    capnp_msg_init(&msg, segs, 2);
    capnp_msg_root(&msg);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ELANDING);
}

TEST(what_if_a_double_far_landing_pad_is_malformed)
{
    /* The pad's first word must be a (single) far pointer. */
    uint64_t s0[] = {fp(0, 1, 1), sp(0, 0, 0), sp(0, 1, 0)};
    root_of(s0, 3);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ELANDING);
    /* ... not itself a double-far. */
    uint64_t s1[] = {fp(0, 1, 1), fp(0, 1, 1), sp(0, 1, 0)};
    root_of(s1, 3);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ELANDING);
    /* The tag must describe a struct or list. */
    uint64_t s2[] = {fp(0, 1, 1), fp(0, 0, 0), fp(0, 0, 0)};
    root_of(s2, 3);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ELANDING);
    /* The content it points to must exist. */
    uint64_t s3[] = {fp(0, 1, 1), fp(9, 0, 0), sp(0, 1, 0)};
    root_of(s3, 3);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ESEGMENT);
    uint64_t s4[] = {fp(0, 1, 1), fp(0, 2, 0), sp(0, 2, 0)};
    root_of(s4, 3);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_EBOUNDS);
}

/* ---- hostile pointers ---------------------------------------------------- */

TEST(what_if_a_struct_pointer_points_past_the_segment)
{
    uint64_t w[] = {sp(5, 1, 0), 0};
    root_of(w, 2);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_EBOUNDS);
}

TEST(what_if_a_struct_pointer_points_before_the_segment)
{
    uint64_t w[] = {sp(-2, 0, 0), 0};
    root_of(w, 2);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_EBOUNDS);
    uint64_t w2[] = {sp(-(1 << 29), 1, 1), 0};
    root_of(w2, 2);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_EBOUNDS);
}

TEST(what_if_a_struct_is_larger_than_what_is_left)
{
    uint64_t w[] = {sp(0, 0xffff, 0xffff), 0};
    root_of(w, 2);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_EBOUNDS);
}

TEST(what_if_a_list_claims_more_elements_than_fit)
{
    uint64_t w[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_EIGHT, (1u << 29) - 1)};
    struct capnp_struct r = root_of(w, 2);
    struct capnp_list l = capnp_ptr_list(capnp_get_ptr(r, 0), CAPNP_ESIZE_EIGHT, 0);
    CHECK_EQ(l.len, 0);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_EBOUNDS);
}

TEST(what_if_a_struct_list_tag_claims_more_than_its_words)
{
    uint64_t w[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_COMPOSITE, 2), tag(3, 1, 0), 1, 2};
    struct capnp_struct r = root_of(w, 5);
    capnp_ptr_list(capnp_get_ptr(r, 0), CAPNP_ESIZE_COMPOSITE, 0);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ELISTTAG);
}

TEST(what_if_a_struct_list_tag_is_not_a_struct_pointer)
{
    uint64_t w[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_COMPOSITE, 1), lp(0, 1, 1), 1};
    struct capnp_struct r = root_of(w, 4);
    capnp_ptr_list(capnp_get_ptr(r, 0), CAPNP_ESIZE_COMPOSITE, 0);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ELISTTAG);
}

TEST(what_if_a_void_list_is_huge)
{
    /* 2^29-1 elements of nothing: no bytes to bound-check, so the
     * traversal budget must stop a reader that would loop over them. */
    uint64_t w[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_VOID, (1u << 29) - 1)};
    struct capnp_struct r = root_of(w, 2);
    struct capnp_list l = capnp_ptr_list(capnp_get_ptr(r, 0), CAPNP_ESIZE_VOID, 0);
    CHECK_EQ(l.len, 0);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ETRAVERSAL);
}

TEST(what_if_a_struct_list_of_empty_structs_is_huge)
{
    uint64_t w[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_COMPOSITE, 0), tag((1u << 30) - 1, 0, 0)};
    struct capnp_struct r = root_of(w, 3);
    capnp_ptr_list(capnp_get_ptr(r, 0), CAPNP_ESIZE_COMPOSITE, 0);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ETRAVERSAL);
}

TEST(what_if_a_struct_points_at_itself)
{
    /* Root struct at word 1 with one pointer, which points at word 1. */
    uint64_t w[] = {sp(0, 0, 1), sp(-1, 0, 1)};
    struct capnp_struct r = root_of(w, 2);
    int steps = 0;
    while (!capnp_msg_error(&msg) && steps < 100000) {
        r = capnp_ptr_struct(capnp_get_ptr(r, 0), 0);
        steps++;
    }
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_EDEPTH);
    CHECK(steps <= CAPNP_DEFAULT_DEPTH + 1);
    uint8_t out[4096];
    size_t len;
    capnp_msg_init_flat(&msg, w, sizeof w);
    CHECK_EQ(capnp_canonicalize(&msg, out, sizeof out, &len), CAPNP_EDEPTH);
}

TEST(what_if_a_list_of_pointers_contains_itself)
{
    uint64_t w[] = {lp(0, CAPNP_ESIZE_POINTER, 1), lp(-1, CAPNP_ESIZE_POINTER, 1)};
    /* root is a list, not a struct */
    root_of(w, 2);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_EKIND);
    uint64_t w2[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_POINTER, 1), lp(-1, CAPNP_ESIZE_POINTER, 1)};
    struct capnp_struct r = root_of(w2, 3);
    struct capnp_list l = capnp_ptr_list(capnp_get_ptr(r, 0), CAPNP_ESIZE_POINTER, 0);
    for (int i = 0; i < 1000 && !capnp_msg_error(&msg); i++)
        l = capnp_list_list(l, 0, CAPNP_ESIZE_POINTER);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_EDEPTH);
}

/* A chain of n structs, each (0 data, 1 pointer) pointing to the next. */
static uint64_t *chain(size_t n)
{
    uint64_t *w = calloc(n + 1, 8);
    w[0] = sp(0, 0, 1);
    for (size_t i = 1; i < n; i++)
        w[i] = sp(0, 0, 1);
    w[n] = 0;
    return w;
}

TEST(what_if_structs_nest_deeper_than_the_limit)
{
    uint64_t *w = chain(200);
    struct capnp_struct r = root_of(w, 201);
    int depth = 0;
    while (!capnp_ptr_is_null(capnp_get_ptr(r, 0)) && !capnp_msg_error(&msg)) {
        r = capnp_ptr_struct(capnp_get_ptr(r, 0), 0);
        depth++;
    }
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_EDEPTH);
    CHECK_EQ(depth, CAPNP_DEFAULT_DEPTH);
    /* With a higher limit the whole chain reads. */
    capnp_msg_init_flat(&msg, w, 201 * 8);
    capnp_msg_set_limits(&msg, 1 << 20, 300);
    r = capnp_msg_root(&msg);
    depth = 0;
    while (!capnp_ptr_is_null(capnp_get_ptr(r, 0))) {
        r = capnp_ptr_struct(capnp_get_ptr(r, 0), 0);
        depth++;
    }
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_OK);
    CHECK_EQ(depth, 199);
    free(w);
}

TEST(what_if_many_pointers_share_one_big_list)
{
    /* 64 pointers to the same 1000-word list: 64000 words of reading
     * from an 1066-word message. A budget of 10000 words stops it. */
    size_t n = 1 + 1 + 64 + 1000;
    uint64_t *w = calloc(n, 8);
    w[0] = sp(0, 0, 64);
    for (int i = 0; i < 64; i++)
        w[1 + i] = lp(63 - i, CAPNP_ESIZE_EIGHT, 1000);
    capnp_msg_init_flat(&msg, w, n * 8);
    capnp_msg_set_limits(&msg, 10000, 64);
    struct capnp_struct r = capnp_msg_root(&msg);
    int ok = 0;
    for (int i = 0; i < 64; i++) {
        struct capnp_list l = capnp_ptr_list(capnp_get_ptr(r, (uint32_t)i), CAPNP_ESIZE_EIGHT, 0);
        ok += l.len == 1000;
    }
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ETRAVERSAL);
    CHECK(ok >= 8 && ok <= 10);
    free(w);
}

TEST(what_if_a_list_is_where_a_struct_should_be)
{
    uint64_t w[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_EIGHT, 0)};
    struct capnp_struct r = root_of(w, 2);
    struct capnp_struct s = capnp_ptr_struct(capnp_get_ptr(r, 0), 0);
    CHECK_EQ(s.data_bytes, 0);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_EKIND);
}

TEST(what_if_a_struct_is_where_a_list_should_be)
{
    uint64_t w[] = {sp(0, 0, 1), sp(-1, 0, 0)};
    struct capnp_struct r = root_of(w, 2);
    capnp_ptr_list(capnp_get_ptr(r, 0), CAPNP_ESIZE_EIGHT, 0);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_EKIND);
}

TEST(what_if_list_elements_are_too_small_for_the_schema)
{
    uint64_t w[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_TWO, 2), 0};
    struct capnp_struct r = root_of(w, 3);
    capnp_ptr_list(capnp_get_ptr(r, 0), CAPNP_ESIZE_EIGHT, 0);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ELISTTYPE);
}

TEST(what_if_a_bit_list_is_read_as_a_struct_list)
{
    uint64_t w[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_BIT, 3), 5};
    struct capnp_struct r = root_of(w, 3);
    capnp_ptr_list(capnp_get_ptr(r, 0), CAPNP_ESIZE_COMPOSITE, 0);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ELISTTYPE);
}

TEST(what_if_a_data_list_is_read_as_a_list_of_pointers)
{
    uint64_t w[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_EIGHT, 1), 0x1234};
    struct capnp_struct r = root_of(w, 3);
    capnp_ptr_list(capnp_get_ptr(r, 0), CAPNP_ESIZE_POINTER, 0);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ELISTTYPE);
}

TEST(what_if_text_has_no_nul)
{
    uint64_t w[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_BYTE, 2), text8("ab")};
    struct capnp_struct r = root_of(w, 3);
    struct capnp_text t = capnp_ptr_text(capnp_get_ptr(r, 0), "d", 1);
    CHECK_STR(t.str, "d");
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ETEXT);
}

TEST(what_if_text_is_an_empty_byte_list)
{
    uint64_t w[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_BYTE, 0)};
    struct capnp_struct r = root_of(w, 2);
    capnp_ptr_text(capnp_get_ptr(r, 0), 0, 0);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ETEXT);
}

TEST(what_if_text_is_a_list_of_words)
{
    uint64_t w[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_EIGHT, 1), 0};
    struct capnp_struct r = root_of(w, 3);
    capnp_ptr_text(capnp_get_ptr(r, 0), 0, 0);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ELISTTYPE);
}

TEST(what_if_a_pointer_has_the_reserved_kind)
{
    uint64_t w[] = {sp(0, 0, 2), 3 | 4, 3 | 4};
    struct capnp_struct r = root_of(w, 3);
    CHECK_EQ(capnp_ptr_cap(capnp_get_ptr(r, 0)), CAPNP_NO_CAP);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ERESERVED);
    r = root_of(w, 3);
    capnp_ptr_struct(capnp_get_ptr(r, 1), 0);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_EKIND);
}

TEST(after_an_error_reads_return_defaults)
{
    uint64_t w[] = {sp(0, 0, 2), sp(100, 0, 0), lp(0, CAPNP_ESIZE_BYTE, 2), text8("q")};
    struct capnp_struct r = root_of(w, 4);
    capnp_ptr_struct(capnp_get_ptr(r, 0), 0);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_EBOUNDS);
    /* The text is fine, but the message is already known bad. */
    CHECK_STR(capnp_ptr_text(capnp_get_ptr(r, 1), "d", 1).str, "d");
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_EBOUNDS);
}

TEST(what_if_the_message_is_empty_or_ragged)
{
    uint64_t w[] = {0};
    CHECK_EQ(capnp_msg_init_flat(&msg, w, 0), CAPNP_OK);
    capnp_msg_root(&msg);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_ENOROOT);
    CHECK_EQ(capnp_msg_init_flat(&msg, w, 7), CAPNP_ETRUNC);
}

/* ---- stream framing ------------------------------------------------------ */

TEST(stream_framing_round_trip)
{
    uint64_t s0[] = {fp(1, 0, 0)};
    uint64_t s1[] = {sp(0, 1, 0), 42};
    struct capnp_segment segs[2] = {{(const uint8_t *)s0, 1}, {(const uint8_t *)s1, 2}};
    uint8_t buf[64];
    size_t len, used;
    CHECK_EQ(capnp_write_stream(segs, 2, buf, sizeof buf, &len), CAPNP_OK);
    CHECK_EQ(len, 16 + 24);
    CHECK_EQ(capnp_write_stream(segs, 2, buf, len - 1, &len), CAPNP_ENOSPACE);
    struct capnp_segment rs[4];
    CHECK_EQ(capnp_msg_init_stream(&msg, rs, 4, buf, 40, &used), CAPNP_OK);
    CHECK_EQ(used, 40);
    CHECK_EQ(capnp_get_u64(capnp_msg_root(&msg), 0), 42);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_OK);
    /* One segment: the table is exactly one word. */
    CHECK_EQ(capnp_write_stream(segs + 1, 1, buf, sizeof buf, &len), CAPNP_OK);
    CHECK_EQ(len, 8 + 16);
}

TEST(what_if_the_segment_table_is_truncated)
{
    uint8_t buf[64] = {0};
    struct capnp_segment rs[8];
    CHECK_EQ(capnp_msg_init_stream(&msg, rs, 8, buf, 0, 0), CAPNP_ETRUNC);
    CHECK_EQ(capnp_msg_init_stream(&msg, rs, 8, buf, 4, 0), CAPNP_ETRUNC);
    buf[0] = 3;  /* 4 segments: table is 4 + 16 = 20 -> 24 bytes */
    CHECK_EQ(capnp_msg_init_stream(&msg, rs, 8, buf, 16, 0), CAPNP_ETRUNC);
    CHECK_EQ(capnp_msg_init_stream(&msg, rs, 8, buf, 24, 0), CAPNP_OK);
}

TEST(what_if_segments_are_larger_than_the_input)
{
    uint8_t buf[32] = {0};
    struct capnp_segment rs[8];
    buf[4] = 4;  /* one segment of 4 words, but only 3 follow */
    CHECK_EQ(capnp_msg_init_stream(&msg, rs, 8, buf, 32, 0), CAPNP_ETRUNC);
    buf[4] = 3;
    CHECK_EQ(capnp_msg_init_stream(&msg, rs, 8, buf, 32, 0), CAPNP_OK);
    memset(buf + 4, 0xff, 4);  /* 2^32-1 words */
    CHECK_EQ(capnp_msg_init_stream(&msg, rs, 8, buf, 32, 0), CAPNP_ETOOBIG);
}

TEST(what_if_the_table_declares_absurdly_many_segments)
{
    uint8_t buf[16];
    struct capnp_segment rs[8];
    memset(buf, 0xff, sizeof buf);   /* 2^32 segments: must not wrap to 0 */
    CHECK_EQ(capnp_msg_init_stream(&msg, rs, 8, buf, sizeof buf, 0), CAPNP_ESEGCOUNT);
    memset(buf, 0, sizeof buf);
    buf[0] = 8;                      /* 9 segments, storage for 8 */
    CHECK_EQ(capnp_msg_init_stream(&msg, rs, 8, buf, sizeof buf, 0), CAPNP_ESEGCOUNT);
}

/* ---- packing -------------------------------------------------------------- */

TEST(packs_the_spec_example)
{
    const uint8_t in[] = {0x08, 0, 0, 0, 0x03, 0, 0x02, 0, 0x19, 0, 0, 0, 0xaa, 0x01, 0, 0};
    const uint8_t want[] = {0x51, 0x08, 0x03, 0x02, 0x31, 0x19, 0xaa, 0x01};
    uint8_t out[32], back[32];
    size_t len, blen;
    CHECK_EQ(capnp_pack(in, sizeof in, out, sizeof out, &len), CAPNP_OK);
    CHECK_EQ(len, sizeof want);
    CHECK_MEM(out, want, sizeof want);
    CHECK_EQ(capnp_unpack(out, len, back, sizeof back, &blen), CAPNP_OK);
    CHECK_EQ(blen, sizeof in);
    CHECK_MEM(back, in, sizeof in);
}

TEST(packs_zero_runs_and_verbatim_runs)
{
    uint8_t in[8 * 600], out[8 * 700], back[8 * 600];
    size_t len, blen;
    memset(in, 0, sizeof in);
    for (int i = 0; i < 8 * 300; i++)       /* 300 words with no zero byte */
        in[8 * 300 + i] = (uint8_t)(i % 255 + 1);
    CHECK_EQ(capnp_pack(in, sizeof in, out, sizeof out, &len), CAPNP_OK);
    /* 300 zero words: 0x00,255 + 0x00,43; 300 full words: 2 verbatim runs. */
    CHECK_EQ(out[0], 0);
    CHECK_EQ(out[1], 255);
    CHECK_EQ(out[2], 0);
    CHECK_EQ(out[3], 43);
    CHECK_EQ(out[4], 0xff);
    CHECK_EQ(capnp_unpack(out, len, back, sizeof back, &blen), CAPNP_OK);
    CHECK_EQ(blen, sizeof in);
    CHECK_MEM(back, in, sizeof in);
    CHECK_EQ(capnp_pack(in, sizeof in, out, len - 1, &len), CAPNP_ENOSPACE);
    CHECK_EQ(capnp_pack(in, 7, out, sizeof out, &len), CAPNP_EINVAL);
}

TEST(pack_round_trips_pseudo_random_words)
{
    uint8_t in[8 * 512], out[8 * 600], back[8 * 512];
    uint32_t x = 12345;
    for (int trial = 0; trial < 50; trial++) {
        for (size_t i = 0; i < sizeof in; i++) {
            x = x * 1103515245 + 12345;
            unsigned r = (x >> 16) & 0xff;
            in[i] = (uint8_t)(r < 128u + (unsigned)trial * 2 ? 0 : r);  /* varying zero density */
        }
        size_t len, blen;
        CHECK_EQ(capnp_pack(in, sizeof in, out, sizeof out, &len), CAPNP_OK);
        CHECK_EQ(capnp_unpack(out, len, back, sizeof back, &blen), CAPNP_OK);
        CHECK_EQ(blen, sizeof in);
        CHECK_MEM(back, in, sizeof in);
    }
}

TEST(what_if_a_packed_word_is_cut_short)
{
    const uint8_t bad1[] = {0xff, 1, 2, 3};               /* needs 8 bytes + count */
    const uint8_t bad2[] = {0x00};                        /* zero tag without count */
    const uint8_t bad3[] = {0xff, 1, 2, 3, 4, 5, 6, 7, 8, 2, 1, 2, 3};   /* verbatim run short */
    const uint8_t bad4[] = {0x03, 1};
    uint8_t out[64];
    size_t len;
    CHECK_EQ(capnp_unpack(bad1, sizeof bad1, out, sizeof out, &len), CAPNP_EPACKED);
    CHECK_EQ(capnp_unpack(bad2, sizeof bad2, out, sizeof out, &len), CAPNP_EPACKED);
    CHECK_EQ(capnp_unpack(bad3, sizeof bad3, out, sizeof out, &len), CAPNP_EPACKED);
    CHECK_EQ(capnp_unpack(bad4, sizeof bad4, out, sizeof out, &len), CAPNP_EPACKED);
}

TEST(what_if_packed_zero_runs_claim_more_than_the_buffer)
{
    /* 2 bytes claiming 256 words: amplification stops at the buffer. */
    const uint8_t bomb[] = {0x00, 0xff, 0x00, 0xff, 0x00, 0xff};
    uint8_t out[8 * 300];
    size_t len;
    CHECK_EQ(capnp_unpack(bomb, sizeof bomb, out, 8 * 100, &len), CAPNP_ENOSPACE);
    CHECK_EQ(capnp_unpack(bomb, 2, out, sizeof out, &len), CAPNP_OK);
    CHECK_EQ(len, 8 * 256);
}

TEST(unpacks_one_framed_message_from_a_stream)
{
    /* Two messages back to back: each a 1-segment table + 2 words. */
    uint64_t m[3] = {(uint64_t)2 << 32, sp(0, 1, 0), 0x55};
    uint8_t p1[64], p2[64], both[128], out[64];
    size_t l1, l2, len, used;
    CHECK_EQ(capnp_pack(m, sizeof m, p1, sizeof p1, &l1), CAPNP_OK);
    m[2] = 0x66;
    CHECK_EQ(capnp_pack(m, sizeof m, p2, sizeof p2, &l2), CAPNP_OK);
    memcpy(both, p1, l1);
    memcpy(both + l1, p2, l2);
    CHECK_EQ(capnp_unpack_message(both, l1 + l2, out, sizeof out, &len, &used), CAPNP_OK);
    CHECK_EQ(len, 24);
    CHECK_EQ(used, l1);
    struct capnp_segment rs[2];
    CHECK_EQ(capnp_msg_init_stream(&msg, rs, 2, out, len, 0), CAPNP_OK);
    CHECK_EQ(capnp_get_u64(capnp_msg_root(&msg), 0), 0x55);
    CHECK_EQ(capnp_unpack_message(both + used, l2, out, sizeof out, &len, &used), CAPNP_OK);
    CHECK_EQ(capnp_msg_init_stream(&msg, rs, 2, out, len, 0), CAPNP_OK);
    CHECK_EQ(capnp_get_u64(capnp_msg_root(&msg), 0), 0x66);
    /* Cut inside a word, cut between words, or too big for the buffer. */
    CHECK_EQ(capnp_unpack_message(both, l1 - 1, out, sizeof out, &len, &used), CAPNP_EPACKED);
    const uint8_t table_only[] = {0x10, 0x02};  /* 1 segment of 2 words, then nothing */
    CHECK_EQ(capnp_unpack_message(table_only, 2, out, sizeof out, &len, &used), CAPNP_ETRUNC);
    CHECK_EQ(capnp_unpack_message(both, l1, out, 16, &len, &used), CAPNP_ENOSPACE);
}

TEST(what_if_a_packed_run_spills_past_the_message)
{
    /* Table says 1 segment of 0 words: the message is one word, but a
     * zero run follows it inside the same tag. */
    const uint8_t in[] = {0x00, 0x03};
    uint8_t out[64];
    size_t len, used;
    CHECK_EQ(capnp_unpack_message(in, sizeof in, out, sizeof out, &len, &used), CAPNP_EPACKED);
}

/* ---- building --------------------------------------------------------------- */

TEST(builds_structs_lists_and_blobs)
{
    uint8_t buf[512];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    struct capnp_sbuilder r = capnp_builder_root(&b, 1, 4);
    capnp_set_u32(r, 4, 0xdeadbeef);
    capnp_set_bool(r, 1, true);
    capnp_slot_set_text(capnp_slot(r, 0), "hello", 5);
    struct capnp_lbuilder l = capnp_slot_init_list(capnp_slot(r, 1), CAPNP_ESIZE_TWO, 3);
    capnp_lset_u16(l, 2, 7);
    struct capnp_lbuilder sl = capnp_slot_init_struct_list(capnp_slot(r, 2), 2, 1, 0);
    capnp_set_u64(capnp_lstruct(sl, 1), 0, 99);
    capnp_slot_init_struct(capnp_slot(r, 3), 0, 0);
    CHECK_EQ(capnp_builder_error(&b), CAPNP_OK);

    size_t len;
    const uint8_t *bytes = capnp_builder_bytes(&b, &len);
    CHECK_EQ(capnp_msg_init_flat(&msg, bytes, len), CAPNP_OK);
    struct capnp_struct rr = capnp_msg_root(&msg);
    CHECK_EQ(capnp_get_u32(rr, 4), 0xdeadbeef);
    CHECK_EQ(capnp_get_bool(rr, 1), 1);
    CHECK_STR(capnp_ptr_text(capnp_get_ptr(rr, 0), 0, 0).str, "hello");
    struct capnp_list rl = capnp_ptr_list(capnp_get_ptr(rr, 1), CAPNP_ESIZE_TWO, 0);
    CHECK_EQ(rl.len, 3);
    CHECK_EQ(capnp_list_u16(rl, 2), 7);
    struct capnp_list rsl = capnp_ptr_list(capnp_get_ptr(rr, 2), CAPNP_ESIZE_COMPOSITE, 0);
    CHECK_EQ(capnp_get_u64(capnp_list_struct(rsl, 1), 0), 99);
    /* The empty struct is encoded as offset -1, not as a null pointer. */
    uint64_t w;
    memcpy(&w, capnp_get_ptr(rr, 3).loc, 8);
    CHECK_EQ(w, 0xfffffffcull);
    CHECK_EQ(capnp_msg_error(&msg), CAPNP_OK);
}

TEST(what_if_the_builder_runs_out_of_room)
{
    uint8_t buf[8 * 4];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    struct capnp_sbuilder r = capnp_builder_root(&b, 1, 1);    /* 3 of 4 words */
    CHECK_EQ(capnp_builder_error(&b), CAPNP_OK);
    capnp_slot_set_text(capnp_slot(r, 0), "0123456789", 10); /* needs 2 */
    CHECK_EQ(capnp_builder_error(&b), CAPNP_ENOSPACE);
    CHECK(capnp_ptr_is_null((struct capnp_ptr){0, 0, r.ptrs, 1}));
    /* Everything afterwards is a no-op, even what would fit. */
    capnp_slot_set_text(capnp_slot(r, 0), "", 0);
    struct capnp_sbuilder s = capnp_slot_init_struct(capnp_slot(r, 0), 1, 0);
    CHECK(s.b == 0);
    capnp_set_u64(s, 0, 1);  /* on a null builder: harmless */
    size_t len;
    capnp_builder_bytes(&b, &len);
    CHECK_EQ(len, 24);
    /* A buffer too small for even the root pointer. */
    capnp_builder_init(&b, buf, 7);
    CHECK_EQ(capnp_builder_error(&b), CAPNP_ENOSPACE);
    r = capnp_builder_root(&b, 1, 1);
    CHECK(r.b == 0);
}

TEST(what_if_a_list_is_too_long_to_encode)
{
    uint8_t buf[64];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    struct capnp_sbuilder r = capnp_builder_root(&b, 0, 2);
    capnp_slot_init_list(capnp_slot(r, 0), CAPNP_ESIZE_BYTE, 1u << 29);
    CHECK_EQ(capnp_builder_error(&b), CAPNP_ETOOBIG);
    capnp_builder_init(&b, buf, sizeof buf);
    r = capnp_builder_root(&b, 0, 2);
    capnp_slot_init_struct_list(capnp_slot(r, 0), 1u << 20, 1000, 0);
    CHECK_EQ(capnp_builder_error(&b), CAPNP_ETOOBIG);
    capnp_builder_init(&b, buf, sizeof buf);
    r = capnp_builder_root(&b, 0, 2);
    capnp_slot_init_list(capnp_slot(r, 0), CAPNP_ESIZE_COMPOSITE, 1);
    CHECK_EQ(capnp_builder_error(&b), CAPNP_EINVAL);
}

/* ---- canonical form ----------------------------------------------------------- */

TEST(canonicalizes_a_scrambled_message)
{
    /* Root (2 data words, 3 pointers) whose second data word and last
     * pointer are zero; its text lives *before* a struct it points to in
     * the input's order, and the struct is reached through a far pointer. */
    uint64_t s0[] = {
        sp(0, 2, 3),                   /* 0: root */
        5, 0,                          /* 1-2: data (second word zero) */
        fp(1, 0, 0),                   /* 3: ptr 0 -> far to segment 1 */
        lp(1, CAPNP_ESIZE_BYTE, 3),    /* 4: ptr 1 -> text at 6 */
        0,                             /* 5: ptr 2 null */
        text8("ok"),                   /* 6 */
    };
    uint64_t s1[] = {sp(0, 2, 1), 0x99, 0, 0};   /* struct: 1 used data word */
    struct capnp_segment segs[] = {{(const uint8_t *)s0, 7}, {(const uint8_t *)s1, 4}};
    capnp_msg_init(&msg, segs, 2);
    uint8_t out[256];
    size_t len;
    CHECK_EQ(capnp_canonicalize(&msg, out, sizeof out, &len), CAPNP_OK);
    uint64_t want[] = {
        sp(0, 1, 2),                   /* root: 1 data word, 2 pointers */
        5,
        sp(1, 1, 0),                   /* -> word 4 */
        lp(2, CAPNP_ESIZE_BYTE, 3),    /* -> word 6? no: word 5 */
        0x99,
        text8("ok"),
    };
    want[3] = lp(1, CAPNP_ESIZE_BYTE, 3);
    CHECK_EQ(len, sizeof want);
    CHECK_MEM(out, want, sizeof want);
    /* Canonical input stays as it is. */
    uint8_t again[256];
    size_t len2;
    CHECK_EQ(capnp_msg_init_flat(&msg, out, len), CAPNP_OK);
    CHECK_EQ(capnp_canonicalize(&msg, again, sizeof again, &len2), CAPNP_OK);
    CHECK_EQ(len2, len);
    CHECK_MEM(again, out, len);
    /* Too small an output buffer is an error, not a truncation. */
    CHECK_EQ(capnp_msg_init_flat(&msg, out, len), CAPNP_OK);
    CHECK_EQ(capnp_canonicalize(&msg, again, len - 8, &len2), CAPNP_ENOSPACE);
}

TEST(canonical_struct_list_uses_the_widest_element)
{
    uint64_t w[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_COMPOSITE, 6), tag(2, 2, 1),
                    1, 0, 0,                      /* element 0: 1 data word, null ptr */
                    0, 0, lp(0, CAPNP_ESIZE_BYTE, 2),  /* element 1: ptr to "x" */
                    text8("x")};
    uint8_t out[256];
    size_t len;
    CHECK_EQ(capnp_msg_init_flat(&msg, w, sizeof w), CAPNP_OK);
    CHECK_EQ(capnp_canonicalize(&msg, out, sizeof out, &len), CAPNP_OK);
    uint64_t want[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_COMPOSITE, 4), tag(2, 1, 1),
                       1, 0, 0, lp(0, CAPNP_ESIZE_BYTE, 2), text8("x")};
    CHECK_EQ(len, sizeof want);
    CHECK_MEM(out, want, sizeof want);
}

TEST(canonical_bit_list_has_zero_padding)
{
    uint64_t w[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_BIT, 3), 0xfffffffffffffffdull};
    uint8_t out[64];
    size_t len;
    CHECK_EQ(capnp_msg_init_flat(&msg, w, sizeof w), CAPNP_OK);
    CHECK_EQ(capnp_canonicalize(&msg, out, sizeof out, &len), CAPNP_OK);
    uint64_t want[] = {sp(0, 0, 1), lp(0, CAPNP_ESIZE_BIT, 3), 0x5};
    CHECK_EQ(len, sizeof want);
    CHECK_MEM(out, want, sizeof want);
}

TEST(canonical_of_a_null_root_is_the_empty_struct)
{
    uint64_t w[] = {0};
    uint8_t out[16];
    size_t len;
    CHECK_EQ(capnp_msg_init_flat(&msg, w, 8), CAPNP_OK);
    CHECK_EQ(capnp_canonicalize(&msg, out, sizeof out, &len), CAPNP_OK);
    uint64_t want = 0xfffffffcull;
    CHECK_EQ(len, 8);
    CHECK_MEM(out, &want, 8);
}

TEST(copy_keeps_capabilities_and_layout)
{
    uint64_t w[] = {sp(0, 1, 2), 0, 3 | (uint64_t)5 << 32, 0};
    uint8_t buf[128];
    struct capnp_builder b;
    CHECK_EQ(capnp_msg_init_flat(&msg, w, sizeof w), CAPNP_OK);
    capnp_builder_init(&b, buf, sizeof buf);
    capnp_slot_copy(capnp_builder_root_slot(&b), capnp_msg_root_ptr(&msg));
    CHECK_EQ(capnp_builder_error(&b), CAPNP_OK);
    size_t len;
    const uint8_t *out = capnp_builder_bytes(&b, &len);
    CHECK_EQ(len, sizeof w);
    CHECK_MEM(out, w, sizeof w);
}

TEST(every_error_has_a_name_and_a_meaning)
{
    for (int e = 0; e < CAPNP_ERR_COUNT; e++) {
        CHECK(capnp_strerror(e) && *capnp_strerror(e));
        CHECK(strncmp(capnp_errname(e), "CAPNP_", 6) == 0);
        for (int f = 0; f < e; f++)
            CHECK(strcmp(capnp_errname(e), capnp_errname(f)) != 0);
    }
    CHECK_STR(capnp_errname(CAPNP_EBOUNDS), "CAPNP_EBOUNDS");
    CHECK_STR(capnp_strerror(-1), "unknown capnp error");
}
