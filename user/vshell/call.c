/*
 * call.c: `call SERVICE [METHOD [FIELD=VALUE ...]]` by schema. Methods,
 * fields and types come from the reflection tables tools/capnpc-c
 * generates from the schemas (schema/NAME.capnp) (lib/capnp/reflect.h); nothing here
 * knows any one method.
 *
 * Which interface a service speaks: the one named like the service
 * (log -> Log), else the one interface that has a method of that name, or
 * as the user says (Supervisor.listTasks). Params are built from
 * FIELD=VALUE words (ints, bools, enums by name or number, text, data as
 * hex); every word is checked before anything is sent, and a wrong one is
 * named. Results are printed field by field (structs and lists nested,
 * at most CALL_DEPTH deep and CALL_ITEMS items a list); text from the
 * service goes through sh_clean.
 */
#include <string.h>

#include "capnp/reflect.h"
#include "schema/console.capnp.h"
#include "schema/log.capnp.h"
#include "schema/naming.capnp.h"
#include "schema/supervisor.capnp.h"
#include "schema/timer.capnp.h"
#include "vshell.h"

#define T_CALL 2000000ull
#define CALL_DEPTH 4
#define CALL_ITEMS 64

static const struct capnp_riface *const ifaces[] = {
    &Console_REFLECT, &Log_REFLECT, &Naming_REFLECT, &Supervisor_REFLECT, &Timer_REFLECT,
};
#define NIFACES (sizeof ifaces / sizeof *ifaces)

static const char *const kind_names[] = {
    "Void", "Bool", "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
    "Float32", "Float64", "Text", "Data", "List", "enum", "struct", "capability", "AnyPointer",
    "group",
};

static bool same_ci(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if ((*a | 0x20) != (*b | 0x20))
            return false;
    return !*a && !*b;
}

static void say(const char *what, const char *s)
{
    printf("call: %s '", what);
    sh_clean_str(s, strlen(s), 0);
    printf("'");
}

/* "List(Text)", "Level", "UInt32" */
static void print_type(const struct capnp_rfield *f)
{
    unsigned k = f->kind == CAPNP_RK_LIST ? f->elem : f->kind;
    const char *n = k < sizeof kind_names / sizeof *kind_names ? kind_names[k] : "?";
    if (k == CAPNP_RK_STRUCT && f->type)
        n = f->type->name;
    printf(f->kind == CAPNP_RK_LIST ? "List(%s)" : "%s", n);
}

static void list_methods(const struct capnp_riface *i)
{
    printf("%s:\n", i->name);
    for (unsigned m = 0; m < i->nmethods; m++) {
        const struct capnp_rstruct *p = i->methods[m].params;
        printf("  %-14s", i->methods[m].name);
        for (unsigned k = 0; k < p->nfields; k++) {
            printf(" %s:", p->fields[k].name);
            print_type(&p->fields[k]);
        }
        printf("\n");
    }
}

static const struct capnp_riface *iface_named(const char *name)
{
    for (unsigned i = 0; i < NIFACES; i++)
        if (same_ci(ifaces[i]->name, name))
            return ifaces[i];
    return 0;
}

static int method_of(const struct capnp_riface *i, const char *name)
{
    for (unsigned m = 0; m < i->nmethods; m++)
        if (!strcmp(i->methods[m].name, name))
            return (int)m;
    return -1;
}

/* The interface and method a call means; false after saying why. */
static bool find_method(const char *svc, const char *spec, const struct capnp_riface **out,
                        int *m)
{
    const struct capnp_riface *i = iface_named(svc);
    const char *dot = strchr(spec, '.');
    if (dot) {
        char iname[32];
        size_t n = (size_t)(dot - spec);
        memcpy(iname, spec, n < sizeof iname ? n : sizeof iname - 1);
        iname[n < sizeof iname ? n : sizeof iname - 1] = 0;
        if (!(i = iface_named(iname))) {
            say("no interface", iname);
            printf(" in the shell's schemas\n");
            return false;
        }
        spec = dot + 1;
    } else if (!i) {
        for (unsigned k = 0; k < NIFACES; k++) {
            if (method_of(ifaces[k], spec) < 0)
                continue;
            if (i) {
                say("method", spec);
                printf(" is in %s and %s: say which, as %s.%s\n", i->name, ifaces[k]->name,
                       i->name, spec);
                return false;
            }
            i = ifaces[k];
        }
    }
    if (!i || (*m = method_of(i, spec)) < 0) {
        say("no method", spec);
        if (i)
            printf(" in %s (call %s lists its methods)\n", i->name, svc);
        else
            printf(" in any schema the shell knows\n");
        return false;
    }
    *out = i;
    return true;
}

/* ---- params ------------------------------------------------------------------ */

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f'
                                                ? (c | 0x20) - 'a' + 10 : -1;
}

/* An integer of kind k, in range; false if not one. */
static bool parse_int(unsigned k, const char *v, uint64_t *out)
{
    static const uint8_t bits[] = {[CAPNP_RK_INT8] = 8,   [CAPNP_RK_INT16] = 16,
                                   [CAPNP_RK_INT32] = 32, [CAPNP_RK_INT64] = 64,
                                   [CAPNP_RK_UINT8] = 8,  [CAPNP_RK_UINT16] = 16,
                                   [CAPNP_RK_UINT32] = 32, [CAPNP_RK_UINT64] = 64};
    bool sig = k <= CAPNP_RK_INT64, neg = sig && *v == '-';
    uint64_t x, max = bits[k] == 64 ? ~0ull : (1ull << bits[k]) - 1;
    if (!sh_number(v + neg, &x))
        return false;
    if (sig) {
        uint64_t lim = 1ull << (bits[k] - 1);
        if (neg ? x > lim : x >= lim)
            return false;
        x = neg ? (uint64_t)0 - x : x;
    } else if (x > max) {
        return false;
    }
    *out = x & max;
    return true;
}

static bool set_field(struct capnp_sbuilder s, const struct capnp_rstruct *st,
                      const struct capnp_rfield *f, const char *v)
{
    static uint8_t data[IPC_PAYLOAD_MAX / 2];
    uint64_t x;
    switch (f->kind) {
    case CAPNP_RK_BOOL:
        if (strcmp(v, "true") && strcmp(v, "false") && strcmp(v, "1") && strcmp(v, "0"))
            goto bad;
        capnp_set_bool(s, f->offset, (v[0] == 't' || v[0] == '1') ^ (f->dflt & 1));
        break;
    case CAPNP_RK_INT8: case CAPNP_RK_UINT8:
    case CAPNP_RK_INT16: case CAPNP_RK_UINT16:
    case CAPNP_RK_INT32: case CAPNP_RK_UINT32:
    case CAPNP_RK_INT64: case CAPNP_RK_UINT64: {
        if (!parse_int(f->kind, v, &x))
            goto bad;
        x ^= f->dflt;
        unsigned k = (f->kind - CAPNP_RK_INT8) % 4;
        if (k == 0)
            capnp_set_u8(s, f->offset, (uint8_t)x);
        else if (k == 1)
            capnp_set_u16(s, f->offset, (uint16_t)x);
        else if (k == 2)
            capnp_set_u32(s, f->offset, (uint32_t)x);
        else
            capnp_set_u64(s, f->offset, x);
        break;
    }
    case CAPNP_RK_ENUM:
        for (x = 0; f->enm && x < f->enm->n && strcmp(f->enm->names[x], v); x++)
            ;
        if ((!f->enm || x == f->enm->n) && (!sh_number(v, &x) || x > 0xffff))
            goto bad;
        capnp_set_u16(s, f->offset, (uint16_t)(x ^ f->dflt));
        break;
    case CAPNP_RK_TEXT:
        capnp_slot_set_text(capnp_slot(s, f->offset), v, strlen(v));
        break;
    case CAPNP_RK_DATA: {
        size_t n = strlen(v);
        if (n % 2 || n / 2 > sizeof data)
            goto bad;
        for (size_t i = 0; i < n / 2; i++) {
            int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
            if (hi < 0 || lo < 0)
                goto bad;
            data[i] = (uint8_t)(hi << 4 | lo);
        }
        capnp_slot_set_data(capnp_slot(s, f->offset), data, n / 2);
        break;
    }
    default:
        say("field", f->name);
        printf(" is a ");
        print_type(f);
        printf(": the shell cannot write one\n");
        return false;
    }
    if (f->disc != 0xffff)
        capnp_set_u16(s, st->disc_offset, f->disc);
    return true;
bad:
    say("bad value", v);
    printf(" for %s (", f->name);
    print_type(f);
    if (f->kind == CAPNP_RK_ENUM && f->enm) {
        printf(":");
        for (unsigned i = 0; i < f->enm->n; i++)
            printf(" %s", f->enm->names[i]);
    }
    printf(f->kind == CAPNP_RK_DATA ? ", as hex)\n" : ")\n");
    return false;
}

static bool build_params(struct capnp_builder *b, const struct capnp_rstruct *p, int argc,
                         char **argv)
{
    struct capnp_sbuilder s = capnp_builder_root(b, p->data_words, p->ptr_count);
    uint32_t seen = 0;
    for (int a = 0; a < argc; a++) {
        const char *eq = strchr(argv[a], '=');
        size_t n = eq ? (size_t)(eq - argv[a]) : strlen(argv[a]);
        unsigned k = 0;
        while (k < p->nfields && (strlen(p->fields[k].name) != n ||
                                  memcmp(p->fields[k].name, argv[a], n)))
            k++;
        if (!eq || k == p->nfields) {
            printf("call: %s '", eq ? "no field" : "not FIELD=VALUE:");
            sh_clean_str(argv[a], n, 0);
            printf("'");
            if (eq) {
                printf(" in %s (fields:", p->name);
                for (unsigned i = 0; i < p->nfields; i++)
                    printf(" %s", p->fields[i].name);
                printf(")");
            }
            printf("\n");
            return false;
        }
        if (k < 32 && (seen & 1u << k)) {
            say("field given twice:", p->fields[k].name);
            printf("\n");
            return false;
        }
        seen |= k < 32 ? 1u << k : 0;
        if (!set_field(s, p, &p->fields[k], eq + 1))
            return false;
    }
    if (capnp_builder_error(b)) {
        printf("call: the params do not fit one message\n");
        return false;
    }
    return true;
}

/* ---- results ---------------------------------------------------------------- */

static void indent(int depth)
{
    for (int i = 0; i < depth; i++)
        printf("  ");
}

static void print_struct(struct capnp_struct s, const struct capnp_rstruct *t, int depth);

/* One value of kind k: from a struct (s, f's offset) or a list element. */
static void print_scalar(unsigned k, uint64_t x, const struct capnp_renum *e)
{
    static const uint8_t bits[] = {[CAPNP_RK_INT8] = 8, [CAPNP_RK_INT16] = 16,
                                   [CAPNP_RK_INT32] = 32, [CAPNP_RK_INT64] = 64};
    if (k == CAPNP_RK_BOOL)
        printf("%s", x ? "true" : "false");
    else if (k == CAPNP_RK_ENUM && e && x < e->n)
        printf("%s", e->names[x]);
    else if (k >= CAPNP_RK_INT8 && k <= CAPNP_RK_INT64)
        printf("%lld", bits[k] == 64 ? (long long)x
                                     : (long long)(x ^ (1ull << (bits[k] - 1))) -
                                           (long long)(1ull << (bits[k] - 1)));
    else if (k == CAPNP_RK_FLOAT32 || k == CAPNP_RK_FLOAT64)
        printf("0x%llx (float bits)", (unsigned long long)x);
    else
        printf("%llu", (unsigned long long)x);
}

static void print_data(struct capnp_data d)
{
    for (uint32_t i = 0; i < d.len && i < 64; i++)
        printf("%02x", d.ptr[i]);
    if (d.len > 64)
        printf("... (%u bytes)", d.len);
    else if (!d.len)
        printf("(empty)");
}

static unsigned esize_of(unsigned k)
{
    static const uint8_t e[] = {
        [CAPNP_RK_VOID] = CAPNP_ESIZE_VOID,    [CAPNP_RK_BOOL] = CAPNP_ESIZE_BIT,
        [CAPNP_RK_INT8] = CAPNP_ESIZE_BYTE,    [CAPNP_RK_INT16] = CAPNP_ESIZE_TWO,
        [CAPNP_RK_INT32] = CAPNP_ESIZE_FOUR,   [CAPNP_RK_INT64] = CAPNP_ESIZE_EIGHT,
        [CAPNP_RK_UINT8] = CAPNP_ESIZE_BYTE,   [CAPNP_RK_UINT16] = CAPNP_ESIZE_TWO,
        [CAPNP_RK_UINT32] = CAPNP_ESIZE_FOUR,  [CAPNP_RK_UINT64] = CAPNP_ESIZE_EIGHT,
        [CAPNP_RK_FLOAT32] = CAPNP_ESIZE_FOUR, [CAPNP_RK_FLOAT64] = CAPNP_ESIZE_EIGHT,
        [CAPNP_RK_TEXT] = CAPNP_ESIZE_POINTER, [CAPNP_RK_DATA] = CAPNP_ESIZE_POINTER,
        [CAPNP_RK_LIST] = CAPNP_ESIZE_POINTER, [CAPNP_RK_ENUM] = CAPNP_ESIZE_TWO,
        [CAPNP_RK_STRUCT] = CAPNP_ESIZE_COMPOSITE, [CAPNP_RK_INTERFACE] = CAPNP_ESIZE_POINTER,
        [CAPNP_RK_ANYPOINTER] = CAPNP_ESIZE_POINTER,
    };
    return k < sizeof e ? e[k] : CAPNP_ESIZE_POINTER;
}

static uint64_t list_scalar(struct capnp_list l, unsigned k, uint32_t i)
{
    switch (esize_of(k)) {
    case CAPNP_ESIZE_BIT:
        return capnp_list_bool(l, i);
    case CAPNP_ESIZE_BYTE:
        return capnp_list_u8(l, i);
    case CAPNP_ESIZE_TWO:
        return capnp_list_u16(l, i);
    case CAPNP_ESIZE_FOUR:
        return capnp_list_u32(l, i);
    default:
        return capnp_list_u64(l, i);
    }
}

static void print_list(struct capnp_list l, const struct capnp_rfield *f, int depth)
{
    unsigned k = f->elem;
    printf("(%u)\n", l.len);
    for (uint32_t i = 0; i < l.len && i < CALL_ITEMS; i++) {
        indent(depth + 1);
        printf("[%u] ", i);
        if (k == CAPNP_RK_STRUCT && f->type) {
            printf("\n");
            print_struct(capnp_list_struct(l, i), f->type, depth + 2);
            continue;
        }
        if (k == CAPNP_RK_TEXT)
            sh_clean(capnp_list_text(l, i), 0);
        else if (k == CAPNP_RK_DATA)
            print_data(capnp_list_data(l, i));
        else if (k <= CAPNP_RK_FLOAT64 || k == CAPNP_RK_ENUM)
            print_scalar(k, list_scalar(l, k, i), f->enm);
        else
            printf("(%s)", kind_names[k < CAPNP_RK_GROUP ? k : CAPNP_RK_GROUP]);
        printf("\n");
    }
    if (l.len > CALL_ITEMS) {
        indent(depth + 1);
        printf("... (%u more)\n", l.len - CALL_ITEMS);
    }
}

static uint64_t get_scalar(struct capnp_struct s, const struct capnp_rfield *f)
{
    switch (esize_of(f->kind)) {
    case CAPNP_ESIZE_BIT:
        return capnp_get_bool(s, f->offset) ^ (f->dflt & 1);
    case CAPNP_ESIZE_BYTE:
        return capnp_get_u8(s, f->offset) ^ (uint8_t)f->dflt;
    case CAPNP_ESIZE_TWO:
        return capnp_get_u16(s, f->offset) ^ (uint16_t)f->dflt;
    case CAPNP_ESIZE_FOUR:
        return capnp_get_u32(s, f->offset) ^ (uint32_t)f->dflt;
    default:
        return capnp_get_u64(s, f->offset) ^ f->dflt;
    }
}

static void print_struct(struct capnp_struct s, const struct capnp_rstruct *t, int depth)
{
    for (unsigned k = 0; k < t->nfields; k++) {
        const struct capnp_rfield *f = &t->fields[k];
        if (f->disc != 0xffff && capnp_get_u16(s, t->disc_offset) != f->disc)
            continue;                       /* not the union's active member */
        indent(depth);
        printf("%s = ", f->name);
        struct capnp_ptr p = capnp_get_ptr(s, f->offset);
        switch (f->kind) {
        case CAPNP_RK_TEXT:
            printf("\"");
            sh_clean(capnp_ptr_text(p, "", 0), 0);
            printf("\"\n");
            break;
        case CAPNP_RK_DATA:
            print_data(capnp_ptr_data(p, 0, 0));
            printf("\n");
            break;
        case CAPNP_RK_STRUCT:
            printf("\n");
            if (depth < CALL_DEPTH && f->type)
                print_struct(capnp_ptr_struct(p, 0), f->type, depth + 1);
            break;
        case CAPNP_RK_LIST:
            if (depth < CALL_DEPTH)
                print_list(capnp_ptr_list(p, esize_of(f->elem), 0), f, depth);
            else
                printf("(list)\n");
            break;
        case CAPNP_RK_INTERFACE:
        case CAPNP_RK_ANYPOINTER:
        case CAPNP_RK_GROUP:
        case CAPNP_RK_VOID:
            printf("(%s)\n", kind_names[f->kind]);
            break;
        default:
            print_scalar(f->kind, get_scalar(s, f), f->enm);
            printf("\n");
            break;
        }
    }
}

/* ---- the command --------------------------------------------------------------- */

void sh_call_schema(int argc, char **argv)
{
    const char *svc = argv[1];
    if (argc == 2) {
        const struct capnp_riface *i = iface_named(svc);
        if (i) {
            list_methods(i);
            return;
        }
        printf("call: no schema is named like '");
        sh_clean_str(svc, strlen(svc), 0);
        printf("'; call %s METHOD finds the method in these:\n", svc);
        for (unsigned k = 0; k < NIFACES; k++)
            list_methods(ifaces[k]);
        return;
    }
    const struct capnp_riface *i;
    int m;
    if (!find_method(svc, argv[2], &i, &m))
        return;
    static uint8_t buf[IPC_PAYLOAD_MAX];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    if (!build_params(&b, i->methods[m].params, argc - 3, argv + 3))
        return;
    struct ipc_conn *c = sh_conn_any("call", svc);
    if (!c)
        return;
    static struct sh_reply r;
    size_t len;
    const uint8_t *p = capnp_builder_bytes(&b, &len);
    int st = sh_call_raw(c, (uint16_t)m, p, len, &r.m, T_CALL);
    if (st) {
        printf("call: %s: %s\n", svc, ipc_strerror(st));
        return;
    }
    for (unsigned k = 0; k < r.m.ncaps; k++)
        v_cap_delete(r.m.caps[k]);
    if (r.m.hdr.kind != ((unsigned)m | IPC_REPLY)) {
        printf("call: %s refused %s.%s\n", svc, i->name, i->methods[m].name);
        return;
    }
    if (r.m.hdr.len == 0) {     /* no payload: every field its default */
        memset(r.m.data, 0, 8);
        r.m.hdr.len = 8;
    }
    if (capnp_msg_init_flat(&r.msg, r.m.data, r.m.hdr.len)) {
        printf("call: malformed reply from %s\n", svc);
        return;
    }
    capnp_msg_set_limits(&r.msg, 4 * (r.m.hdr.len / 8) + 64, 8);
    printf("%s.%s:\n", i->name, i->methods[m].name);
    print_struct(capnp_msg_root(&r.msg), i->methods[m].results, 1);
    sh_reply_ok("call", &r);
}
