/*
 * capnpc-c: Cap'n Proto -> C code generator, run as a `capnp compile`
 * plugin:  capnp compile -o build/tools/capnpc-c:<outdir> schema/x.capnp
 *
 * capnp parses the schema and sends a CodeGeneratorRequest on stdin; we
 * read it with our own runtime (lib/capnp, through schema_boot.h) and write
 * <outdir>/<file>.h (types, accessors: static inline over the runtime) and
 * <outdir>/<file>.c (default values and constants that need storage).
 *
 * Naming (docs/CAPNP.md has the full table): a type's C name is its
 * capnp scope path joined by '_' (Outer.Inner -> Outer_Inner; a group
 * field g of S -> S_g; implicit method params -> Iface_method_Params);
 * reader/builder types add _R / _B (and _RList / _BList); accessors are
 * S_field(r), S_has_field(r), S_set_field(b, v), S_init_field(b[, n]),
 * S_slot_field(b), S_which(r); per struct S_read_root(m), S_build_root(b).
 * capnp names never contain underscores, so S_<verb>_<field> and the
 * per-struct helpers (whose first word is no accessor verb) cannot meet.
 * Generated identifiers that still clash (a field named `which`, say) are
 * reported and the run fails, rather than producing code that misleads.
 *
 * The generator trusts capnp (it validated the schema) but not blindly:
 * the request is read with the checked runtime and a malformed request
 * ends the run with an error, never a crash.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capnp/capnp.h"
#include "capnpc.h"
#include "schema_boot.h"

/* ---- small helpers ------------------------------------------------------ */

/* The generator is a short-lived process that keeps its names until exit;
 * tell the (ASan) leak checker not to report that as leaks. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "capnpc-c: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void *xmalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static char *xstrdup(const char *s)
{
    char *p = xmalloc(strlen(s) + 1);
    memcpy(p, s, strlen(s) + 1);
    return p;
}

char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(0, 0, f, ap);
    va_end(ap);
    char *p = xmalloc((size_t)n + 1);
    va_start(ap, f);
    vsnprintf(p, (size_t)n + 1, f, ap);
    va_end(ap);
    return p;
}

/* Text from the request as a C string (it is NUL-terminated by the reader). */
const char *str(struct capnp_text t)
{
    return t.str;
}

/* ---- the request ---------------------------------------------------------- */


static struct capnp_msg msg;
static struct node *nodes;
static size_t nnodes;
static struct node **order;    /* nodes in naming (pre-)order */
static size_t norder;

static void check_msg(const char *what)
{
    if (capnp_msg_error(&msg))
        die("malformed CodeGeneratorRequest (%s): %s", what, capnp_errname(msg.err));
}

static int node_cmp(const void *a, const void *b)
{
    uint64_t x = ((const struct node *)a)->id, y = ((const struct node *)b)->id;
    return x < y ? -1 : x > y;
}

static struct node *find_node(uint64_t id)
{
    struct node key = {.id = id};
    return bsearch(&key, nodes, nnodes, sizeof *nodes, node_cmp);
}

struct node *need_node(uint64_t id)
{
    struct node *n = find_node(id);
    if (!n)
        die("request names unknown node 0x%016llx", (unsigned long long)id);
    return n;
}

/* ---- identifier registry (clash detection) ------------------------------- */

static char **idents;
static size_t nidents, capidents;

void ident(const char *name)
{
    for (size_t i = 0; i < nidents; i++)
        if (strcmp(idents[i], name) == 0)
            die("generated name '%s' is used twice; rename a field or type", name);
    if (nidents == capidents) {
        capidents = capidents ? capidents * 2 : 256;
        idents = realloc(idents, capidents * sizeof *idents);
        if (!idents)
            die("out of memory");
    }
    idents[nidents++] = xstrdup(name);
}

/* ---- naming --------------------------------------------------------------- */

/* A name from the request becomes part of C identifiers: it must be what
 * capnp allows (letters and digits, no underscore), or we refuse. */
const char *cname_part(struct capnp_text t)
{
    if (t.len == 0 || t.len > 200)
        die("bad name in request (length %u)", t.len);
    for (uint32_t i = 0; i < t.len; i++) {
        char c = t.str[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!ok || (i == 0 && c >= '0' && c <= '9'))
            die("name in request is not a capnp identifier");
    }
    return t.str;
}

/* Nesting deeper than this is no schema anyone wrote. */
#define MAX_NAME_DEPTH 100
static unsigned name_depth;

static void name_node(struct node *n, char *cname, uint64_t file);

static void name_children(struct node *n)
{
    struct capnp_list nested = NODE_nestedNodes(n->r);
    for (uint32_t i = 0; i < nested.len; i++) {
        struct capnp_struct nn = capnp_list_struct(nested, i);
        struct node *c = find_node(NESTED_id(nn));
        if (!c)
            continue;   /* e.g. nodes of an import capnp did not send */
        const char *nm = cname_part(NESTED_name(nn));
        name_node(c, NODE_which(n->r) == NODE_FILE ? xstrdup(nm) : fmt("%s_%s", n->cname, nm),
                  n->file);
    }
    switch (NODE_which(n->r)) {
    case NODE_STRUCT: {
        struct capnp_list fields = NODE_struct_fields(n->r);
        for (uint32_t i = 0; i < fields.len; i++) {
            struct capnp_struct f = capnp_list_struct(fields, i);
            if (FIELD_which(f) == FIELD_GROUP)
                name_node(need_node(FIELD_group_typeId(f)),
                          fmt("%s_%s", n->cname, cname_part(FIELD_name(f))), n->file);
        }
        break;
    }
    case NODE_INTERFACE: {
        struct capnp_list methods = NODE_iface_methods(n->r);
        for (uint32_t i = 0; i < methods.len; i++) {
            struct capnp_struct m = capnp_list_struct(methods, i);
            struct node *p = need_node(METHOD_paramType(m));
            struct node *q = need_node(METHOD_resultType(m));
            const char *mn = cname_part(METHOD_name(m));
            if (NODE_scopeId(p->r) == 0 && !p->cname)
                name_node(p, fmt("%s_%s_Params", n->cname, mn), n->file);
            if (NODE_scopeId(q->r) == 0 && !q->cname)
                name_node(q, fmt("%s_%s_Results", n->cname, mn), n->file);
        }
        break;
    }
    default:
        break;
    }
}

static void name_node(struct node *n, char *cname, uint64_t file)
{
    if (n->cname)
        return;
    if (name_depth >= MAX_NAME_DEPTH)
        die("scopes nested deeper than %d", MAX_NAME_DEPTH);
    n->cname = cname;
    n->file = file;
    order[norder++] = n;
    name_depth++;
    name_children(n);
    name_depth--;
}

/* ---- output helpers ------------------------------------------------------- */

FILE *H, *C;                   /* header and source being written */

static void emit_comment(FILE *f, const char *indent, struct capnp_text doc)
{
    if (doc.len == 0)
        return;
    fprintf(f, "%s/*", indent);
    const char *s = doc.str;
    bool multi = memchr(s, '\n', doc.len) && memchr(s, '\n', doc.len) != s + doc.len - 1;
    if (multi)
        fprintf(f, "\n%s *", indent);
    for (uint32_t i = 0; i < doc.len; i++) {
        char c = s[i];
        if (c == '\n') {
            if (i + 1 == doc.len)
                break;
            fprintf(f, "\n%s *", indent);
            if (s[i + 1] != '\n')
                fputc(' ', f);
            continue;
        }
        if (i == 0)
            fputc(' ', f);
        if (c == '*' && i + 1 < doc.len && s[i + 1] == '/')
            fputs("* ", f);
        else if ((unsigned char)c >= 0x20 || c == '\t')
            fputc(c, f);
    }
    fprintf(f, multi ? "\n%s */\n" : " */\n", indent);
}

/* A C string literal for bytes s[0..len). Octal escapes: they never
 * swallow a following digit the way \x does. */
static char *c_string(const uint8_t *s, size_t len)
{
    char *out = xmalloc(len * 4 + 3), *o = out;
    *o++ = '"';
    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c >= 0x20 && c < 0x7f && c != '?') {
            *o++ = (char)c;
        } else {
            o += sprintf(o, "\\%03o", c);
        }
    }
    *o++ = '"';
    *o = 0;
    return out;
}

static void emit_bytes(FILE *f, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        fprintf(f, "%s0x%02x,%s", i % 8 == 0 ? "    " : "", p[i], i % 8 == 7 ? "\n" : " ");
    if (len % 8)
        fputc('\n', f);
}

/* fprintf with every '@' in the format replaced by name S first (for the
 * many-times-repeated type name in accessor templates). */
static void tprintf(FILE *f, const char *S, const char *t, ...)
{
    size_t n = 0;
    for (const char *p = t; *p; p++)
        n += *p == '@' ? strlen(S) : 1;
    char *x = xmalloc(n + 1), *o = x;
    for (const char *p = t; *p; p++) {
        if (*p == '@') {
            memcpy(o, S, strlen(S));
            o += strlen(S);
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
    va_list ap;
    va_start(ap, t);
    vfprintf(f, x, ap);
    va_end(ap);
    free(x);
}

/* Canonical bytes of what a Value's pointer holds, for defaults and constants. */
static uint8_t *canon_value(struct capnp_ptr p, size_t *len)
{
    size_t cap = 1 << 16;
    for (;;) {
        uint8_t *buf = xmalloc(cap);
        int err = capnp_canonicalize_ptr(p, buf, cap, len);
        if (err == CAPNP_OK)
            return buf;
        free(buf);
        if (err != CAPNP_ENOSPACE || cap > (1u << 30))
            die("cannot encode a default value: %s", capnp_errname(err));
        cap *= 4;
    }
}

/* Emits a single-segment default/constant blob into the .c and its
 * declaration into the .h; returns the name of its capnp_segment. */
static char *emit_blob(const char *name, struct capnp_ptr p)
{
    size_t len;
    uint8_t *b = canon_value(p, &len);
    char *seg = fmt("%s_seg", name);
    ident(seg);
    fprintf(H, "extern const struct capnp_segment %s;\n", seg);
    fprintf(C, "static const _Alignas(8) uint8_t %s_words[%zu] = {\n", name, len);
    emit_bytes(C, b, len);
    fprintf(C, "};\nconst struct capnp_segment %s = {%s_words, %zu};\n\n", seg, name, len / 8);
    free(b);
    return seg;
}

/* ---- types ---------------------------------------------------------------- */


struct ctype scalar(unsigned which)
{
    static const struct ctype t[] = {
        [TYPE_VOID] = {TYPE_VOID, "void", 0, 0, 0, CAPNP_ESIZE_VOID},
        [TYPE_BOOL] = {TYPE_BOOL, "bool", "bool", "bool", 0, CAPNP_ESIZE_BIT},
        [TYPE_INT8] = {TYPE_INT8, "int8_t", "u8", "u8", 1, CAPNP_ESIZE_BYTE},
        [TYPE_INT16] = {TYPE_INT16, "int16_t", "u16", "u16", 2, CAPNP_ESIZE_TWO},
        [TYPE_INT32] = {TYPE_INT32, "int32_t", "u32", "u32", 4, CAPNP_ESIZE_FOUR},
        [TYPE_INT64] = {TYPE_INT64, "int64_t", "u64", "u64", 8, CAPNP_ESIZE_EIGHT},
        [TYPE_UINT8] = {TYPE_UINT8, "uint8_t", "u8", "u8", 1, CAPNP_ESIZE_BYTE},
        [TYPE_UINT16] = {TYPE_UINT16, "uint16_t", "u16", "u16", 2, CAPNP_ESIZE_TWO},
        [TYPE_UINT32] = {TYPE_UINT32, "uint32_t", "u32", "u32", 4, CAPNP_ESIZE_FOUR},
        [TYPE_UINT64] = {TYPE_UINT64, "uint64_t", "u64", "u64", 8, CAPNP_ESIZE_EIGHT},
        [TYPE_FLOAT32] = {TYPE_FLOAT32, "float", "u32", "u32", 4, CAPNP_ESIZE_FOUR},
        [TYPE_FLOAT64] = {TYPE_FLOAT64, "double", "u64", "u64", 8, CAPNP_ESIZE_EIGHT},
        [TYPE_TEXT] = {TYPE_TEXT, 0, 0, 0, 0, CAPNP_ESIZE_POINTER},
        [TYPE_DATA] = {TYPE_DATA, 0, 0, 0, 0, CAPNP_ESIZE_POINTER},
        [TYPE_LIST] = {TYPE_LIST, 0, 0, 0, 0, CAPNP_ESIZE_POINTER},
        [TYPE_ENUM] = {TYPE_ENUM, 0, "u16", "u16", 2, CAPNP_ESIZE_TWO},
        [TYPE_STRUCT] = {TYPE_STRUCT, 0, 0, 0, 0, CAPNP_ESIZE_COMPOSITE},
        [TYPE_INTERFACE] = {TYPE_INTERFACE, 0, 0, 0, 0, CAPNP_ESIZE_POINTER},
        [TYPE_ANYPOINTER] = {TYPE_ANYPOINTER, 0, 0, 0, 0, CAPNP_ESIZE_POINTER},
    };
    if (which > TYPE_ANYPOINTER)
        die("unknown type %u in request", which);
    return t[which];
}

static const char *esize_name(unsigned e)
{
    static const char *const n[] = {"CAPNP_ESIZE_VOID", "CAPNP_ESIZE_BIT", "CAPNP_ESIZE_BYTE",
                                    "CAPNP_ESIZE_TWO", "CAPNP_ESIZE_FOUR", "CAPNP_ESIZE_EIGHT",
                                    "CAPNP_ESIZE_POINTER", "CAPNP_ESIZE_COMPOSITE"};
    return n[e & 7];
}

static const char *type_cname(struct capnp_struct type)
{
    struct node *n = need_node(TYPE_typeId(type));
    unsigned want = TYPE_which(type) == TYPE_ENUM ? NODE_ENUM
                    : TYPE_which(type) == TYPE_STRUCT ? NODE_STRUCT : NODE_INTERFACE;
    if (!n->cname || NODE_which(n->r) != want)
        die("type 0x%016llx is not a named %s", (unsigned long long)n->id,
            want == NODE_ENUM ? "enum" : want == NODE_STRUCT ? "struct" : "interface");
    return n->cname;
}

/* The default's bits, as stored XOR-ed into the data section. */
uint64_t default_bits(struct capnp_struct v, unsigned which)
{
    switch (which) {
    case TYPE_BOOL:
        return VALUE_bool(v);
    case TYPE_INT8:
    case TYPE_UINT8:
        return VALUE_u8(v);
    case TYPE_INT16:
    case TYPE_UINT16:
    case TYPE_ENUM:
        return VALUE_u16(v);
    case TYPE_INT32:
    case TYPE_UINT32:
    case TYPE_FLOAT32:
        return VALUE_u32(v);
    case TYPE_INT64:
    case TYPE_UINT64:
    case TYPE_FLOAT64:
        return VALUE_u64(v);
    default:
        return 0;
    }
}

static char *hex_literal(uint64_t v, unsigned bytes)
{
    if (bytes == 8)
        return fmt("UINT64_C(0x%016llx)", (unsigned long long)v);
    return fmt("0x%llxu", (unsigned long long)v);
}

/* ---- enums, ids, typedefs ------------------------------------------------- */

static void emit_enum(struct node *n)
{
    struct capnp_list es = NODE_enum_enumerants(n->r);
    if (n->has_doc)
        emit_comment(H, "", n->doc);
    fprintf(H, "enum %s {\n", n->cname);
    for (uint32_t i = 0; i < es.len; i++) {
        struct capnp_struct e = capnp_list_struct(es, i);
        char *nm = fmt("%s_%s", n->cname, cname_part(ENUMERANT_name(e)));
        ident(nm);
        if (i < n->member_docs.len)
            emit_comment(H, "    ", MEMBER_doc(capnp_list_struct(n->member_docs, i)));
        fprintf(H, "    %s = %u,\n", nm, i);
        free(nm);
    }
    fprintf(H, "};\n#define %s_TYPE_ID UINT64_C(0x%016llx)\n\n", n->cname,
            (unsigned long long)n->id);
}

static void emit_which_enum(struct node *n)
{
    struct capnp_list fields = NODE_struct_fields(n->r);
    fprintf(H, "enum %s_which {\n", n->cname);
    for (uint32_t i = 0; i < fields.len; i++) {
        struct capnp_struct f = capnp_list_struct(fields, i);
        uint16_t d = FIELD_discValue(f);
        if (d == FIELD_NO_DISCRIMINANT)
            continue;
        char *nm = fmt("%s_which_%s", n->cname, cname_part(FIELD_name(f)));
        ident(nm);
        fprintf(H, "    %s = %u,\n", nm, d);
        free(nm);
    }
    fprintf(H, "};\n\n");
}

static void emit_interface_ids(struct node *n)
{
    struct capnp_list ms = NODE_iface_methods(n->r);
    if (n->has_doc)
        emit_comment(H, "", n->doc);
    char *id = fmt("%s_TYPE_ID", n->cname);
    ident(id);
    fprintf(H, "#define %s UINT64_C(0x%016llx)\n", id, (unsigned long long)n->id);
    if (ms.len)     /* a facet may declare no methods: C has no empty enum */
        fprintf(H, "enum %s_method {\n", n->cname);
    for (uint32_t i = 0; i < ms.len; i++) {
        struct capnp_struct m = capnp_list_struct(ms, i);
        char *nm = fmt("%s_method_%s", n->cname, cname_part(METHOD_name(m)));
        ident(nm);
        if (i < n->member_docs.len)
            emit_comment(H, "    ", MEMBER_doc(capnp_list_struct(n->member_docs, i)));
        fprintf(H, "    %s = %u,\n", nm, i);
        free(nm);
    }
    if (ms.len)
        fprintf(H, "};\n");
    /* The methods as an X-macro, so that a server's dispatch table comes
     * from the schema: X(name) once per method, in number order. */
    char *xm = fmt("%s_METHODS", n->cname);
    ident(xm);
    fprintf(H, "#define %s(X)", xm);
    for (uint32_t i = 0; i < ms.len; i++)
        fprintf(H, " \\\n    X(%s)", cname_part(METHOD_name(capnp_list_struct(ms, i))));
    fprintf(H, "\n\n");
    free(xm);
}

static void emit_typedefs(struct node *n)
{
    const char *c = n->cname;
    bool group = NODE_struct_isGroup(n->r);
    char *r = fmt("%s_R", c), *b = fmt("%s_B", c);
    ident(r);
    ident(b);
    if (!group)
        fprintf(H, "#define %s_TYPE_ID UINT64_C(0x%016llx)\n#define %s_DATA_WORDS %u\n"
                   "#define %s_PTR_COUNT %u\n",
                c, (unsigned long long)n->id, c, NODE_struct_dataWords(n->r), c,
                NODE_struct_ptrCount(n->r));
    fprintf(H, "typedef struct { struct capnp_struct s; } %s;\n", r);
    fprintf(H, "typedef struct { struct capnp_sbuilder s; } %s;\n", b);
    if (!group) {
        char *rl = fmt("%s_RList", c), *bl = fmt("%s_BList", c);
        ident(rl);
        ident(bl);
        fprintf(H, "typedef struct { struct capnp_list l; } %s;\n", rl);
        fprintf(H, "typedef struct { struct capnp_lbuilder l; } %s;\n", bl);
        free(rl);
        free(bl);
    }
    free(r);
    free(b);
}

/* ---- constants ------------------------------------------------------------ */

static char *float_literal(uint64_t bits, bool is32)
{
    if (is32) {
        uint32_t b = (uint32_t)bits;
        float f;
        memcpy(&f, &b, 4);
        if (f != f)
            return xstrdup("__builtin_nanf(\"\")");
        if (f == __builtin_inff() || f == -__builtin_inff())
            return xstrdup(f > 0 ? "__builtin_inff()" : "(-__builtin_inff())");
        return fmt("%.9gf", (double)f);
    }
    double d;
    memcpy(&d, &bits, 8);
    if (d != d)
        return xstrdup("__builtin_nan(\"\")");
    if (d == __builtin_inf() || d == -__builtin_inf())
        return xstrdup(d > 0 ? "__builtin_inf()" : "(-__builtin_inf())");
    return fmt("%.17g", d);
}

static char *int_literal(uint64_t bits, unsigned which)
{
    switch (which) {
    case TYPE_INT8:
        return fmt("((int8_t)%d)", (int8_t)bits);
    case TYPE_INT16:
        return fmt("((int16_t)%d)", (int16_t)bits);
    case TYPE_INT32:
        if ((int32_t)bits == INT32_MIN)
            return xstrdup("INT32_MIN");
        return fmt("INT32_C(%d)", (int32_t)bits);
    case TYPE_INT64:
        if ((int64_t)bits == INT64_MIN)
            return xstrdup("INT64_MIN");
        return fmt("INT64_C(%lld)", (long long)(int64_t)bits);
    case TYPE_UINT8:
        return fmt("((uint8_t)%u)", (unsigned)(uint8_t)bits);
    case TYPE_UINT16:
        return fmt("((uint16_t)%u)", (unsigned)(uint16_t)bits);
    case TYPE_UINT32:
        return fmt("UINT32_C(%u)", (uint32_t)bits);
    default:
        return fmt("UINT64_C(%llu)", (unsigned long long)bits);
    }
}

static void emit_const(struct node *n)
{
    struct capnp_struct type = NODE_const_type(n->r), v = NODE_const_value(n->r);
    unsigned which = TYPE_which(type);
    const char *c = n->cname;
    check_msg("const");
    if (n->has_doc)
        emit_comment(H, "", n->doc);
    switch (which) {
    case TYPE_VOID:
    case TYPE_INTERFACE:
    case TYPE_ANYPOINTER:
        fprintf(H, "/* const %s: no C form for this type */\n\n", c);
        return;
    default:
        break;
    }
    ident(c);
    uint64_t bits = default_bits(v, which);
    switch (which) {
    case TYPE_BOOL:
        fprintf(H, "#define %s %s\n\n", c, bits ? "true" : "false");
        return;
    case TYPE_FLOAT32:
    case TYPE_FLOAT64: {
        char *lit = float_literal(bits, which == TYPE_FLOAT32);
        fprintf(H, "#define %s %s\n\n", c, lit);
        free(lit);
        return;
    }
    case TYPE_ENUM: {
        struct node *e = need_node(TYPE_typeId(type));
        struct capnp_list es = NODE_enum_enumerants(e->r);
        if (bits < es.len)
            fprintf(H, "#define %s %s_%s\n\n", c, e->cname,
                    cname_part(ENUMERANT_name(capnp_list_struct(es, (uint32_t)bits))));
        else
            fprintf(H, "#define %s ((enum %s)%llu)\n\n", c, e->cname, (unsigned long long)bits);
        return;
    }
    case TYPE_TEXT: {
        struct capnp_text t = capnp_ptr_text(VALUE_ptr(v), "", 0);
        char *lit = c_string((const uint8_t *)t.str, t.len);
        fprintf(H, "#define %s %s\n#define %s_LEN %uu\n\n", c, lit, c, t.len);
        free(lit);
        return;
    }
    case TYPE_DATA: {
        struct capnp_data d = capnp_ptr_data(VALUE_ptr(v), 0, 0);
        fprintf(H, "extern const uint8_t %s[%u];\n\n", c, d.len ? d.len : 1);
        fprintf(C, "const uint8_t %s[%u] = {\n", c, d.len ? d.len : 1);
        if (d.len)
            emit_bytes(C, d.ptr, d.len);
        else
            fprintf(C, "    0\n");
        fprintf(C, "};\n\n");
        return;
    }
    case TYPE_STRUCT: {
        char *seg = emit_blob(c, VALUE_ptr(v));
        const char *t = type_cname(type);
        fprintf(H,
                "/* Reads constant %s; m receives the message the value lives in. */\n"
                "static inline %s_R %s_get(struct capnp_msg *m)\n{\n"
                "    capnp_msg_init(m, &%s, 1);\n"
                "    %s_R r = {capnp_msg_root(m)};\n    return r;\n}\n\n",
                c, t, c, seg, t);
        free(seg);
        return;
    }
    case TYPE_LIST: {
        char *seg = emit_blob(c, VALUE_ptr(v));
        struct capnp_struct et = TYPE_list_elementType(type);
        unsigned ew = TYPE_which(et);
        if (ew == TYPE_STRUCT) {
            const char *t = type_cname(et);
            fprintf(H,
                    "static inline %s_RList %s_get(struct capnp_msg *m)\n{\n"
                    "    capnp_msg_init(m, &%s, 1);\n"
                    "    %s_RList r = {capnp_ptr_list(capnp_msg_root_ptr(m), "
                    "CAPNP_ESIZE_COMPOSITE, 0)};\n    return r;\n}\n\n",
                    t, c, seg, t);
        } else {
            fprintf(H,
                    "static inline struct capnp_list %s_get(struct capnp_msg *m)\n{\n"
                    "    capnp_msg_init(m, &%s, 1);\n"
                    "    return capnp_ptr_list(capnp_msg_root_ptr(m), %s, 0);\n}\n\n",
                    c, seg, esize_name(scalar(ew).esize));
        }
        free(seg);
        return;
    }
    default: {
        char *lit = int_literal(bits, which);
        fprintf(H, "#define %s %s\n\n", c, lit);
        free(lit);
        return;
    }
    }
}

/* ---- struct accessors ----------------------------------------------------- */

struct field_ctx {
    struct node *s;            /* struct or group the field is in */
    struct capnp_struct f;
    const char *name;          /* field name */
    bool in_union;
    uint16_t disc;
    uint32_t disc_off;         /* byte offset of the discriminant */
};

/* Statement that sets the discriminant in builder b, or "". */
static char *set_disc(const struct field_ctx *x)
{
    if (!x->in_union)
        return xstrdup("");
    return fmt("    capnp_set_u16(b.s, %u, %u);\n", x->disc_off, x->disc);
}

/* Expression: is this union member the active one (reader r)? */
static char *is_active(const struct field_ctx *x)
{
    return fmt("%s_which(r) == %s_which_%s", x->s->cname, x->s->cname, x->name);
}

static void emit_scalar_field(const struct field_ctx *x, struct capnp_struct type, uint32_t off,
                              struct capnp_struct dflt)
{
    const char *S = x->s->cname, *n = x->name;
    unsigned which = TYPE_which(type);
    struct ctype t = scalar(which);
    uint64_t d = default_bits(dflt, which);
    char *sd = set_disc(x);
    char *ctype = which == TYPE_ENUM ? fmt("enum %s", type_cname(type)) : xstrdup(t.c);
    char *getter = fmt("%s_%s", S, n), *setter = fmt("%s_set_%s", S, n);
    ident(getter);
    ident(setter);

    if (which == TYPE_BOOL) {
        fprintf(H, "static inline bool %s(%s_R r)\n{\n", getter, S);
        if (x->in_union) {
            char *a = is_active(x);
            fprintf(H, "    bool raw = %s ? capnp_get_bool(r.s, %u) : false;\n", a, off);
            free(a);
        } else {
            fprintf(H, "    bool raw = capnp_get_bool(r.s, %u);\n", off);
        }
        fprintf(H, "    return raw%s;\n}\n", d ? " ^ true" : "");
        fprintf(H, "static inline void %s(%s_B b, bool v)\n{\n%s", setter, S, sd);
        fprintf(H, "    capnp_set_bool(b.s, %u, v%s);\n}\n\n", off, d ? " ^ true" : "");
        goto out;
    }

    unsigned bytes = t.bytes, boff = off * bytes;
    const char *utype = bytes == 1 ? "uint8_t" : bytes == 2 ? "uint16_t" : bytes == 4 ? "uint32_t"
                                                                                      : "uint64_t";
    char *lit = hex_literal(d, bytes);
    fprintf(H, "static inline %s %s(%s_R r)\n{\n", ctype, getter, S);
    if (x->in_union) {
        char *a = is_active(x);
        fprintf(H, "    %s raw = %s ? capnp_get_%s(r.s, %u) : 0;\n", utype, a, t.get, boff);
        free(a);
    } else {
        fprintf(H, "    %s raw = capnp_get_%s(r.s, %u);\n", utype, t.get, boff);
    }
    char *x_d = d ? fmt(" ^ %s", lit) : xstrdup("");
    bool is_unsigned = which == TYPE_UINT8 || which == TYPE_UINT16 || which == TYPE_UINT32 ||
                       which == TYPE_UINT64;
    if (which == TYPE_FLOAT32)
        fprintf(H, "    return capnp_f32_from_bits(raw%s);\n}\n", x_d);
    else if (which == TYPE_FLOAT64)
        fprintf(H, "    return capnp_f64_from_bits(raw%s);\n}\n", x_d);
    else if (is_unsigned && !d)
        fprintf(H, "    return raw;\n}\n");
    else if (d)
        fprintf(H, "    return (%s)(%s)(raw%s);\n}\n", ctype, utype, x_d);
    else
        fprintf(H, "    return (%s)raw;\n}\n", ctype);

    fprintf(H, "static inline void %s(%s_B b, %s v)\n{\n%s", setter, S, ctype, sd);
    if (which == TYPE_FLOAT32)
        fprintf(H, "    capnp_set_u32(b.s, %u, capnp_f32_bits(v)%s);\n}\n\n", boff, x_d);
    else if (which == TYPE_FLOAT64)
        fprintf(H, "    capnp_set_u64(b.s, %u, capnp_f64_bits(v)%s);\n}\n\n", boff, x_d);
    else if (is_unsigned && !d)
        fprintf(H, "    capnp_set_%s(b.s, %u, v);\n}\n\n", t.set, boff);
    else if (d)
        fprintf(H, "    capnp_set_%s(b.s, %u, (%s)((%s)v%s));\n}\n\n", t.set, boff, utype, utype,
                x_d);
    else
        fprintf(H, "    capnp_set_%s(b.s, %u, (%s)v);\n}\n\n", t.set, boff, utype);
    free(x_d);
    free(lit);
out:
    free(sd);
    free(ctype);
    free(getter);
    free(setter);
}

static void emit_pointer_field(const struct field_ctx *x, struct capnp_struct type, uint32_t off,
                               struct capnp_struct dflt, bool had_default)
{
    const char *S = x->s->cname, *n = x->name;
    unsigned which = TYPE_which(type);
    char *sd = set_disc(x);
    char *ptr = x->in_union ? fmt("capnp_get_ptr_if(r.s, %u, %s_which(r) == %s_which_%s)", off, S,
                                  S, n)
                            : fmt("capnp_get_ptr(r.s, %u)", off);
    char *getter = fmt("%s_%s", S, n), *has = fmt("%s_has_%s", S, n);
    char *slot = fmt("%s_slot_%s", S, n);
    ident(getter);
    ident(has);
    ident(slot);

    switch (which) {
    case TYPE_TEXT:
    case TYPE_DATA: {
        bool text = which == TYPE_TEXT;
        struct capnp_text dt = {"", 0};
        struct capnp_data dd = {0, 0};
        if (had_default && text)
            dt = capnp_ptr_text(VALUE_ptr(dflt), "", 0);
        if (had_default && !text)
            dd = capnp_ptr_data(VALUE_ptr(dflt), 0, 0);
        char *lit = text ? c_string((const uint8_t *)dt.str, dt.len)
                         : dd.len ? c_string(dd.ptr, dd.len) : xstrdup("0");
        char *setter = fmt("%s_set_%s", S, n);
        ident(setter);
        if (text)
            fprintf(H, "static inline struct capnp_text %s(%s_R r)\n{\n"
                       "    return capnp_ptr_text(%s, %s, %u);\n}\n",
                    getter, S, ptr, lit, dt.len);
        else
            fprintf(H, "static inline struct capnp_data %s(%s_R r)\n{\n"
                       "    return capnp_ptr_data(%s, (const uint8_t *)%s, %u);\n}\n",
                    getter, S, ptr, lit, dd.len);
        fprintf(H, "static inline void %s(%s_B b, const %s *v, size_t len)\n{\n%s"
                   "    capnp_slot_set_%s(capnp_slot(b.s, %u), v, len);\n}\n",
                setter, S, text ? "char" : "void", sd, text ? "text" : "data", off);
        free(lit);
        free(setter);
        break;
    }
    case TYPE_STRUCT: {
        const char *T = type_cname(type);
        char *dseg = had_default ? emit_blob(fmt("%s_%s_default", S, n), VALUE_ptr(dflt)) : 0;
        char *init = fmt("%s_init_%s", S, n);
        ident(init);
        fprintf(H, "static inline %s_R %s(%s_R r)\n{\n"
                   "    %s_R v = {capnp_ptr_struct(%s, %s%s)};\n    return v;\n}\n",
                T, getter, S, T, ptr, dseg ? "&" : "", dseg ? dseg : "0");
        fprintf(H, "static inline %s_B %s(%s_B b)\n{\n%s"
                   "    %s_B v = {capnp_slot_init_struct(capnp_slot(b.s, %u), %s_DATA_WORDS, "
                   "%s_PTR_COUNT)};\n    return v;\n}\n",
                T, init, S, sd, T, off, T, T);
        free(init);
        free(dseg);
        break;
    }
    case TYPE_LIST: {
        struct capnp_struct et = TYPE_list_elementType(type);
        unsigned ew = TYPE_which(et);
        struct ctype e = scalar(ew);
        char *dseg = had_default ? emit_blob(fmt("%s_%s_default", S, n), VALUE_ptr(dflt)) : 0;
        char *init = fmt("%s_init_%s", S, n);
        ident(init);
        check_msg("list type");
        if (ew == TYPE_STRUCT) {
            const char *T = type_cname(et);
            fprintf(H, "static inline %s_RList %s(%s_R r)\n{\n"
                       "    %s_RList v = {capnp_ptr_list(%s, CAPNP_ESIZE_COMPOSITE, %s%s)};\n"
                       "    return v;\n}\n",
                    T, getter, S, T, ptr, dseg ? "&" : "", dseg ? dseg : "0");
            fprintf(H, "static inline %s_BList %s(%s_B b, uint32_t n)\n{\n%s"
                       "    %s_BList v = {capnp_slot_init_struct_list(capnp_slot(b.s, %u), n, "
                       "%s_DATA_WORDS, %s_PTR_COUNT)};\n    return v;\n}\n",
                    T, init, S, sd, T, off, T, T);
        } else {
            fprintf(H, "static inline struct capnp_list %s(%s_R r)\n{\n"
                       "    return capnp_ptr_list(%s, %s, %s%s);\n}\n",
                    getter, S, ptr, esize_name(e.esize), dseg ? "&" : "", dseg ? dseg : "0");
            fprintf(H, "static inline struct capnp_lbuilder %s(%s_B b, uint32_t n)\n{\n%s"
                       "    return capnp_slot_init_list(capnp_slot(b.s, %u), %s, n);\n}\n",
                    init, S, sd, off, esize_name(e.esize));
        }
        free(init);
        free(dseg);
        break;
    }
    case TYPE_INTERFACE: {
        char *setter = fmt("%s_set_%s", S, n);
        ident(setter);
        fprintf(H, "/* Capability index in the message's capability table, or CAPNP_NO_CAP. */\n");
        fprintf(H, "static inline uint32_t %s(%s_R r)\n{\n    return capnp_ptr_cap(%s);\n}\n", getter,
                S, ptr);
        fprintf(H, "static inline void %s(%s_B b, uint32_t cap)\n{\n%s"
                   "    capnp_slot_set_cap(capnp_slot(b.s, %u), cap);\n}\n",
                setter, S, sd, off);
        free(setter);
        break;
    }
    default: /* AnyPointer, generic parameters */
        fprintf(H, "static inline struct capnp_ptr %s(%s_R r)\n{\n    return %s;\n}\n", getter, S,
                ptr);
        break;
    }
    /* has_ and slot_ for every pointer field. */
    fprintf(H, "static inline bool %s(%s_R r)\n{\n    return !capnp_ptr_is_null(%s);\n}\n", has,
            S, ptr);
    fprintf(H, "static inline struct capnp_slot %s(%s_B b)\n{\n%s    return capnp_slot(b.s, %u);\n}\n\n",
            slot, S, sd, off);
    free(sd);
    free(ptr);
    free(getter);
    free(has);
    free(slot);
}

static void emit_field(struct node *s, struct capnp_struct f, struct capnp_text doc)
{
    struct field_ctx x = {s, f, cname_part(FIELD_name(f)), false, 0, 0};
    x.disc = FIELD_discValue(f);
    x.in_union = x.disc != FIELD_NO_DISCRIMINANT;
    x.disc_off = NODE_struct_discOffset(s->r) * 2;
    const char *S = s->cname;

    emit_comment(H, "", doc);
    if (FIELD_which(f) == FIELD_GROUP) {
        struct node *g = need_node(FIELD_group_typeId(f));
        if (!g->cname || NODE_which(g->r) != NODE_STRUCT)
            die("group %s of %s is not a struct", x.name, S);
        char *getter = fmt("%s_%s", S, x.name), *init = fmt("%s_init_%s", S, x.name);
        char *sd = set_disc(&x);
        ident(getter);
        ident(init);
        /* A group in a union reads as empty (all defaults) unless it is
         * the active member, like any other union member. */
        fprintf(H, "static inline %s_R %s(%s_R r)\n{\n    %s_R g = {r.s};\n", g->cname, getter, S,
                g->cname);
        if (x.in_union)
            fprintf(H, "    if (%s_which(r) != %s_which_%s) {\n        g.s.data_bytes = 0;\n"
                       "        g.s.ptr_count = 0;\n    }\n",
                    S, S, x.name);
        fprintf(H, "    return g;\n}\n");
        fprintf(H, "static inline %s_B %s(%s_B b)\n{\n%s    %s_B g = {b.s};\n    return g;\n}\n\n",
                g->cname, init, S, sd, g->cname);
        free(getter);
        free(init);
        free(sd);
        return;
    }

    struct capnp_struct type = FIELD_slot_type(f), dflt = FIELD_slot_default(f);
    uint32_t off = FIELD_slot_offset(f);
    unsigned which = TYPE_which(type);
    check_msg("field");
    switch (which) {
    case TYPE_VOID:
        if (x.in_union) {
            char *setter = fmt("%s_set_%s", S, x.name), *sd = set_disc(&x);
            ident(setter);
            fprintf(H, "static inline void %s(%s_B b)\n{\n%s}\n\n", setter, S, sd);
            free(setter);
            free(sd);
        }
        return;
    case TYPE_TEXT:
    case TYPE_DATA:
    case TYPE_LIST:
    case TYPE_STRUCT:
    case TYPE_INTERFACE:
    case TYPE_ANYPOINTER:
        emit_pointer_field(&x, type, off, dflt, FIELD_slot_hadDefault(f));
        return;
    default:
        emit_scalar_field(&x, type, off, dflt);
        return;
    }
}

int code_order_cmp(const void *a, const void *b)
{
    const struct capnp_struct *x = a, *y = b;
    return (int)FIELD_codeOrder(*x) - (int)FIELD_codeOrder(*y);
}

static void emit_struct(struct node *n)
{
    const char *S = n->cname;
    bool group = NODE_struct_isGroup(n->r);
    uint16_t dw = NODE_struct_dataWords(n->r), pc = NODE_struct_ptrCount(n->r);

    const char *dn = str(NODE_displayName(n->r));
    dn = strchr(dn, ':') ? strchr(dn, ':') + 1 : dn;
    bool plain = *dn != 0;
    for (const char *c = dn; *c; c++)
        plain &= (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                 (*c >= '0' && *c <= '9') || *c == '.' || *c == '$';
    fprintf(H, "/* ---- %s ---- */\n", plain ? dn : S);
    if (n->has_doc)
        emit_comment(H, "", n->doc);
    if (!group) {
        char *names[] = {fmt("%s_TYPE_ID", S), fmt("%s_DATA_WORDS", S), fmt("%s_PTR_COUNT", S),
                         fmt("%s_read_root", S), fmt("%s_read_ptr", S), fmt("%s_build_root", S),
                         fmt("%s_build_at", S), fmt("%s_RList_len", S), fmt("%s_RList_get", S),
                         fmt("%s_RList_at", S), fmt("%s_BList_len", S), fmt("%s_BList_get", S),
                         fmt("%s_BList_init_at", S)};
        for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
            ident(names[i]);
            free(names[i]);
        }
        tprintf(H, S,
                "static inline @_R @_read_root(struct capnp_msg *m)\n{\n"
                "    @_R r = {capnp_msg_root(m)};\n    return r;\n}\n"
                "static inline @_R @_read_ptr(struct capnp_ptr p)\n{\n"
                "    @_R r = {capnp_ptr_struct(p, 0)};\n    return r;\n}\n"
                "static inline @_B @_build_root(struct capnp_builder *b)\n{\n"
                "    @_B r = {capnp_builder_root(b, %u, %u)};\n    return r;\n}\n"
                "static inline @_B @_build_at(struct capnp_slot p)\n{\n"
                "    @_B r = {capnp_slot_init_struct(p, %u, %u)};\n    return r;\n}\n",
                dw, pc, dw, pc);
        tprintf(H, S,
                "static inline uint32_t @_RList_len(@_RList l)\n{\n    return l.l.len;\n}\n"
                "static inline @_R @_RList_get(@_RList l, uint32_t i)\n{\n"
                "    @_R r = {capnp_list_struct(l.l, i)};\n    return r;\n}\n"
                "/* Element i of a list of lists of @. */\n"
                "static inline @_RList @_RList_at(struct capnp_list outer, uint32_t i)\n{\n"
                "    @_RList r = {capnp_list_list(outer, i, CAPNP_ESIZE_COMPOSITE)};\n"
                "    return r;\n}\n"
                "static inline uint32_t @_BList_len(@_BList l)\n{\n    return l.l.len;\n}\n"
                "static inline @_B @_BList_get(@_BList l, uint32_t i)\n{\n"
                "    @_B r = {capnp_lstruct(l.l, i)};\n    return r;\n}\n"
                "static inline @_BList @_BList_init_at(struct capnp_lbuilder outer, uint32_t i, "
                "uint32_t n)\n{\n"
                "    @_BList r = {capnp_slot_init_struct_list(capnp_lslot(outer, i), n, %u, %u)};\n"
                "    return r;\n}\n\n",
                dw, pc);
    }
    if (NODE_struct_discCount(n->r)) {
        char *w = fmt("%s_which", S);
        ident(w);
        fprintf(H, "static inline enum %s_which %s_which(%s_R r)\n{\n"
                   "    return (enum %s_which)capnp_get_u16(r.s, %u);\n}\n\n",
                S, S, S, S, NODE_struct_discOffset(n->r) * 2);
        free(w);
    }

    struct capnp_list fl = NODE_struct_fields(n->r);
    struct capnp_struct *fields = xmalloc(sizeof *fields * (fl.len + 1));
    struct capnp_text *docs = xmalloc(sizeof *docs * (fl.len + 1));
    for (uint32_t i = 0; i < fl.len; i++)
        fields[i] = capnp_list_struct(fl, i);
    /* Docs are indexed by position in the fields list; keep them with it. */
    for (uint32_t i = 0; i < fl.len; i++)
        docs[i] = i < n->member_docs.len ? MEMBER_doc(capnp_list_struct(n->member_docs, i))
                                          : (struct capnp_text){"", 0};
    uint32_t *idx = xmalloc(sizeof *idx * (fl.len + 1));
    for (uint32_t i = 0; i < fl.len; i++)
        idx[i] = i;
    /* Sort field positions by code order (stable enough: code orders are unique). */
    for (uint32_t i = 1; i < fl.len; i++)
        for (uint32_t j = i; j > 0 && code_order_cmp(&fields[idx[j]], &fields[idx[j - 1]]) < 0;
             j--) {
            uint32_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    for (uint32_t i = 0; i < fl.len; i++)
        emit_field(n, fields[idx[i]], docs[idx[i]]);
    free(fields);
    free(docs);
    free(idx);
}

/* ---- files ---------------------------------------------------------------- */

/* Paths from the request end up in file names, #include lines and
 * comments: only plain path characters are accepted. */
static const char *safe_path(const char *p)
{
    if (!*p || p[0] == '/' || strstr(p, ".."))
        die("refusing path '%s'", p);
    for (const char *c = p; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '/' || *c == '-' || *c == '_'))
            die("refusing path with character 0x%02x", (unsigned char)*c);
    return p;
}

static char *guard_of(const char *path)
{
    char *g = fmt("CAPNP_GEN_%s_H", path);
    for (char *p = g; *p; p++)
        *p = (*p >= 'a' && *p <= 'z') ? (char)(*p - 32)
             : ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) ? *p : '_';
    return g;
}

static void make_dirs(const char *path)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            die("mkdir %s: %s", p, strerror(errno));
        *s = '/';
    }
    free(p);
}

/* Leaves an unchanged file alone, so what includes it is not rebuilt
 * every time the generator itself is relinked. */
static void write_if_changed(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (f) {
        char *old = xmalloc(len + 1);
        size_t n = fread(old, 1, len + 1, f);
        fclose(f);
        bool same = n == len && memcmp(old, data, len) == 0;
        free(old);
        if (same)
            return;
    }
    f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f))
        die("cannot write %s: %s", path, strerror(errno));
}

static void gen_file(struct capnp_struct rf)
{
    uint64_t fid = RFILE_id(rf);
    const char *fname = str(RFILE_filename(rf));
    check_msg("requested file");
    safe_path(fname);
    char *hpath = fmt("%s.h", fname), *cpath = fmt("%s.c", fname);
    make_dirs(hpath);
    char *hbuf, *cbuf;
    size_t hlen, clen;
    H = open_memstream(&hbuf, &hlen);
    C = open_memstream(&cbuf, &clen);
    if (!H || !C)
        die("out of memory");
    nidents = 0;

    char *guard = guard_of(fname);
    fprintf(H, "/*\n * Generated by capnpc-c from %s. Do not edit: edit the schema.\n"
               " * Accessors and names are described in docs/CAPNP.md.\n */\n",
            fname);
    fprintf(H, "#ifndef %s\n#define %s\n\n#include \"capnp/capnp.h\"\n#include \"capnp/float.h\"\n"
               "#include \"capnp/reflect.h\"\n",
            guard, guard);
    struct capnp_list imports = RFILE_imports(rf);
    for (uint32_t i = 0; i < imports.len; i++) {
        struct capnp_struct im = capnp_list_struct(imports, i);
        const char *iname = str(IMPORT_name(im));
        struct node *in = find_node(IMPORT_id(im));
        if (iname[0] == '/' || !in)
            continue;   /* the standard /capnp/ files carry only annotations */
        fprintf(H, "#include \"%s.h\"\n", safe_path(str(NODE_displayName(in->r))));
    }
    fprintf(H, "\n");
    fprintf(C, "/* Generated by capnpc-c from %s. Do not edit: edit the schema. */\n"
               "#include \"%s.h\"\n\n",
            fname, fname);

    /* Enums, union tags and interface ids first; then every struct type,
     * so accessors may return any of them; then constants and accessors. */
    for (size_t i = 0; i < norder; i++) {
        struct node *n = order[i];
        if (n->file != fid)
            continue;
        switch (NODE_which(n->r)) {
        case NODE_ENUM:
            emit_enum(n);
            break;
        case NODE_STRUCT:
            if (NODE_struct_discCount(n->r))
                emit_which_enum(n);
            break;
        case NODE_INTERFACE:
            emit_interface_ids(n);
            break;
        default:
            break;
        }
    }
    for (size_t i = 0; i < norder; i++)
        if (order[i]->file == fid && NODE_which(order[i]->r) == NODE_STRUCT)
            emit_typedefs(order[i]);
    fprintf(H, "\n");
    for (size_t i = 0; i < norder; i++)
        if (order[i]->file == fid && NODE_which(order[i]->r) == NODE_CONST)
            emit_const(order[i]);
    for (size_t i = 0; i < norder; i++)
        if (order[i]->file == fid && NODE_which(order[i]->r) == NODE_STRUCT)
            emit_struct(order[i]);
    for (size_t i = 0; i < norder; i++)
        if (order[i]->file == fid)
            reflect_decl(order[i]);
    for (size_t i = 0; i < norder; i++)
        if (order[i]->file == fid)
            reflect_emit(order[i]);
    fprintf(H, "#endif\n");
    check_msg("file");
    if (fclose(H) || fclose(C))
        die("out of memory");
    write_if_changed(hpath, hbuf, hlen);
    write_if_changed(cpath, cbuf, clen);
    free(hbuf);
    free(cbuf);
    free(hpath);
    free(cpath);
    free(guard);
}

static uint8_t *read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = xmalloc(cap);
    for (;;) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        cap *= 2;
        buf = realloc(buf, cap);
        if (!buf)
            die("out of memory");
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    size_t len, used;
    uint8_t *in = read_all(stdin, &len);
    static struct capnp_segment segs[1024];

    (void)argc;
    (void)argv;
    /* The request is as big as the schemas; the default limits are for
     * hostile input, this is capnp's own output. */
    int err = capnp_msg_init_stream(&msg, segs, 1024, in, len, &used);
    if (err)
        die("cannot read CodeGeneratorRequest from stdin: %s", capnp_errname(err));
    capnp_msg_set_limits(&msg, UINT64_MAX, 64);
    struct capnp_struct req = capnp_msg_root(&msg);
    struct capnp_list nl = REQ_nodes(req);
    check_msg("nodes");

    nnodes = nl.len;
    nodes = xmalloc(sizeof *nodes * (nnodes + 1));
    order = xmalloc(sizeof *order * (nnodes + 1));
    for (uint32_t i = 0; i < nl.len; i++) {
        nodes[i].r = capnp_list_struct(nl, i);
        nodes[i].id = NODE_id(nodes[i].r);
    }
    qsort(nodes, nnodes, sizeof *nodes, node_cmp);
    for (size_t i = 1; i < nnodes; i++)
        if (nodes[i].id == nodes[i - 1].id)
            die("node 0x%016llx appears twice", (unsigned long long)nodes[i].id);

    struct capnp_list si = REQ_sourceInfo(req);
    for (uint32_t i = 0; i < si.len; i++) {
        struct capnp_struct s = capnp_list_struct(si, i);
        struct node *n = find_node(SRCINFO_id(s));
        if (!n)
            continue;
        n->doc = SRCINFO_doc(s);
        n->has_doc = n->doc.len > 0;
        n->member_docs = SRCINFO_members(s);
    }

    for (size_t i = 0; i < nnodes; i++)
        if (NODE_which(nodes[i].r) == NODE_FILE)
            name_node(&nodes[i], xstrdup(""), nodes[i].id);
    check_msg("names");

    struct capnp_list files = REQ_requestedFiles(req);
    for (uint32_t i = 0; i < files.len; i++)
        gen_file(capnp_list_struct(files, i));
    check_msg("request");
    return 0;
}
