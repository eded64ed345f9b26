/*
 * reflect.c: the reflection tables (lib/capnp/reflect.h) for every struct,
 * enum and interface of a file: names, kinds, offsets and defaults, taken
 * from the same request the accessors are. Declarations go to the header
 * (so another file's tables can point at these), tables to the .c.
 * Groups are described as one CAPNP_RK_GROUP field, not field by field.
 */
#include <stdlib.h>

#include "capnp/reflect.h"
#include "capnpc.h"
#include "schema_boot.h"

static const char *rname(struct node *n, const char *suffix)
{
    char *nm = fmt("%s_%s", n->cname, suffix);
    ident(nm);
    return nm;
}

void reflect_decl(struct node *n)
{
    switch (NODE_which(n->r)) {
    case NODE_STRUCT:
        if (!NODE_struct_isGroup(n->r))
            fprintf(H, "extern const struct capnp_rstruct %s;\n", rname(n, "REFLECT"));
        break;
    case NODE_ENUM:
        fprintf(H, "extern const struct capnp_renum %s;\n", rname(n, "RENUM"));
        break;
    case NODE_INTERFACE:
        fprintf(H, "extern const struct capnp_riface %s;\n", rname(n, "REFLECT"));
        break;
    default:
        break;
    }
}

/* "&X_REFLECT" / "&X_RENUM" for a struct or enum type, else "0". */
static char *type_ref(struct capnp_struct type, unsigned want)
{
    if (TYPE_which(type) != want)
        return fmt("0");
    struct node *t = need_node(TYPE_typeId(type));
    if (!t->cname)
        return fmt("0");
    return fmt("&%s_%s", t->cname, want == TYPE_STRUCT ? "REFLECT" : "RENUM");
}

static void emit_rfield(struct capnp_struct f)
{
    const char *name = cname_part(FIELD_name(f));
    uint16_t disc = FIELD_discValue(f);
    if (FIELD_which(f) == FIELD_GROUP) {
        fprintf(C, "    {\"%s\", %u, 0, 0x%x, 0, 0, 0, 0},\n", name, CAPNP_RK_GROUP, disc);
        return;
    }
    struct capnp_struct type = FIELD_slot_type(f);
    unsigned which = TYPE_which(type), elem = 0;
    struct ctype ct = scalar(which);
    uint32_t off = FIELD_slot_offset(f);
    if (which == TYPE_BOOL)
        ct.bytes = 0;               /* bits, as given */
    else if (ct.bytes)
        off *= ct.bytes;
    struct capnp_struct et = type;
    if (which == TYPE_LIST) {
        et = TYPE_list_elementType(type);
        elem = TYPE_which(et);
    }
    char *st = type_ref(et, TYPE_STRUCT), *en = type_ref(et, TYPE_ENUM);
    fprintf(C, "    {\"%s\", %u, %u, 0x%x, %u, UINT64_C(0x%llx), %s, %s},\n", name, which, elem,
            disc, off, (unsigned long long)default_bits(FIELD_slot_default(f), which), st, en);
    free(st);
    free(en);
}

void reflect_emit(struct node *n)
{
    const char *c = n->cname;
    switch (NODE_which(n->r)) {
    case NODE_STRUCT: {
        if (NODE_struct_isGroup(n->r))
            return;
        struct capnp_list fl = NODE_struct_fields(n->r);
        struct capnp_struct *fields = xmalloc(sizeof *fields * (fl.len + 1));
        for (uint32_t i = 0; i < fl.len; i++)
            fields[i] = capnp_list_struct(fl, i);
        qsort(fields, fl.len, sizeof *fields, code_order_cmp);
        if (fl.len) {
            fprintf(C, "static const struct capnp_rfield %s_rfields[] = {\n", c);
            for (uint32_t i = 0; i < fl.len; i++)
                emit_rfield(fields[i]);
            fprintf(C, "};\n");
        }
        fprintf(C, "const struct capnp_rstruct %s_REFLECT = {\"%s\", %u, %u, %u, %u, %s};\n\n", c,
                c, NODE_struct_dataWords(n->r), NODE_struct_ptrCount(n->r),
                NODE_struct_discOffset(n->r) * 2, fl.len, fl.len ? fmt("%s_rfields", c) : "0");
        free(fields);
        break;
    }
    case NODE_ENUM: {
        struct capnp_list es = NODE_enum_enumerants(n->r);
        fprintf(C, "static const char *const %s_rnames[] = {", c);
        for (uint32_t i = 0; i < es.len; i++)
            fprintf(C, "%s\"%s\"", i ? ", " : "",
                    cname_part(ENUMERANT_name(capnp_list_struct(es, i))));
        fprintf(C, "%s};\nconst struct capnp_renum %s_RENUM = {%u, %s_rnames};\n\n",
                es.len ? "" : "0", c, es.len, c);
        break;
    }
    case NODE_INTERFACE: {
        struct capnp_list ms = NODE_iface_methods(n->r);
        if (ms.len) {
            fprintf(C, "static const struct capnp_rmethod %s_rmethods[] = {\n", c);
            for (uint32_t i = 0; i < ms.len; i++) {
                struct capnp_struct m = capnp_list_struct(ms, i);
                fprintf(C, "    {\"%s\", &%s_REFLECT, &%s_REFLECT},\n", cname_part(METHOD_name(m)),
                        need_node(METHOD_paramType(m))->cname,
                        need_node(METHOD_resultType(m))->cname);
            }
            fprintf(C, "};\n");
        }
        fprintf(C, "const struct capnp_riface %s_REFLECT = {\"%s\", UINT64_C(0x%016llx), %u, %s};\n\n",
                c, c, (unsigned long long)n->id, ms.len, ms.len ? fmt("%s_rmethods", c) : "0");
        break;
    }
    default:
        break;
    }
}
