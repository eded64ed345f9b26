/*
 * schema_boot.h: hand-written readers for the parts of capnp's own
 * schema.capnp (/usr/include/capnp/schema.capnp) that the generator needs.
 *
 * Why by hand: the generator reads its input (a CodeGeneratorRequest) with
 * our runtime, and cannot use its own output to do so before it exists.
 * The offsets below are those `capnp compile -ocapnp schema.capnp` prints;
 * tests/host/test_capnp_gen.c cross-checks them against readers generated
 * from schema.capnp itself.
 */
#ifndef CAPNPC_C_SCHEMA_BOOT_H
#define CAPNPC_C_SCHEMA_BOOT_H

#include "capnp/capnp.h"

static inline struct capnp_text boot_text(struct capnp_struct s, uint32_t idx)
{
    return capnp_ptr_text(capnp_get_ptr(s, idx), "", 0);
}

static inline struct capnp_list boot_slist(struct capnp_struct s, uint32_t idx)
{
    return capnp_ptr_list(capnp_get_ptr(s, idx), CAPNP_ESIZE_COMPOSITE, 0);
}

static inline struct capnp_struct boot_struct(struct capnp_struct s, uint32_t idx)
{
    return capnp_ptr_struct(capnp_get_ptr(s, idx), 0);
}

/* CodeGeneratorRequest: 0 data words, 4 pointers. */
#define REQ_nodes(r)          boot_slist(r, 0)
#define REQ_requestedFiles(r) boot_slist(r, 1)
#define REQ_sourceInfo(r)     boot_slist(r, 3)
/* CodeGeneratorRequest.RequestedFile and .Import */
#define RFILE_id(r)           capnp_get_u64(r, 0)
#define RFILE_filename(r)     boot_text(r, 0)
#define RFILE_imports(r)      boot_slist(r, 1)
#define IMPORT_id(r)          capnp_get_u64(r, 0)
#define IMPORT_name(r)        boot_text(r, 0)

/* Node: 5 data words, 6 pointers; union tag at byte 12. */
enum { NODE_FILE, NODE_STRUCT, NODE_ENUM, NODE_INTERFACE, NODE_CONST, NODE_ANNOTATION };
#define NODE_id(r)                 capnp_get_u64(r, 0)
#define NODE_displayName(r)        boot_text(r, 0)
#define NODE_prefixLen(r)          capnp_get_u32(r, 8)
#define NODE_scopeId(r)            capnp_get_u64(r, 16)
#define NODE_nestedNodes(r)        boot_slist(r, 1)
#define NODE_which(r)              capnp_get_u16(r, 12)
#define NODE_struct_dataWords(r)   capnp_get_u16(r, 14)
#define NODE_struct_ptrCount(r)    capnp_get_u16(r, 24)
#define NODE_struct_isGroup(r)     capnp_get_bool(r, 224)
#define NODE_struct_discCount(r)   capnp_get_u16(r, 30)
#define NODE_struct_discOffset(r)  capnp_get_u32(r, 32)
#define NODE_struct_fields(r)      boot_slist(r, 3)
#define NODE_enum_enumerants(r)    boot_slist(r, 3)
#define NODE_iface_methods(r)      boot_slist(r, 3)
#define NODE_const_type(r)         boot_struct(r, 3)
#define NODE_const_value(r)        boot_struct(r, 4)
#define NESTED_name(r)             boot_text(r, 0)
#define NESTED_id(r)               capnp_get_u64(r, 0)

/* Node.SourceInfo and its Member */
#define SRCINFO_id(r)              capnp_get_u64(r, 0)
#define SRCINFO_doc(r)             boot_text(r, 0)
#define SRCINFO_members(r)         boot_slist(r, 1)
#define MEMBER_doc(r)              boot_text(r, 0)

/* Field: 3 data words, 4 pointers; union tag at byte 8. */
enum { FIELD_SLOT, FIELD_GROUP };
#define FIELD_NO_DISCRIMINANT 0xffff
#define FIELD_name(r)              boot_text(r, 0)
#define FIELD_codeOrder(r)         capnp_get_u16(r, 0)
#define FIELD_discValue(r)         ((uint16_t)(capnp_get_u16(r, 2) ^ 0xffff))
#define FIELD_which(r)             capnp_get_u16(r, 8)
#define FIELD_slot_offset(r)       capnp_get_u32(r, 4)
#define FIELD_slot_type(r)         boot_struct(r, 2)
#define FIELD_slot_default(r)      boot_struct(r, 3)
#define FIELD_slot_hadDefault(r)   capnp_get_bool(r, 128)
#define FIELD_group_typeId(r)      capnp_get_u64(r, 16)

/* Enumerant, Method */
#define ENUMERANT_name(r)          boot_text(r, 0)
#define ENUMERANT_codeOrder(r)     capnp_get_u16(r, 0)
#define METHOD_name(r)             boot_text(r, 0)
#define METHOD_paramType(r)        capnp_get_u64(r, 8)
#define METHOD_resultType(r)       capnp_get_u64(r, 16)

/* Type: 3 data words, 1 pointer; union tag at byte 0. */
enum {
    TYPE_VOID, TYPE_BOOL, TYPE_INT8, TYPE_INT16, TYPE_INT32, TYPE_INT64, TYPE_UINT8,
    TYPE_UINT16, TYPE_UINT32, TYPE_UINT64, TYPE_FLOAT32, TYPE_FLOAT64, TYPE_TEXT, TYPE_DATA,
    TYPE_LIST, TYPE_ENUM, TYPE_STRUCT, TYPE_INTERFACE, TYPE_ANYPOINTER
};
#define TYPE_which(r)              capnp_get_u16(r, 0)
#define TYPE_list_elementType(r)   boot_struct(r, 0)
#define TYPE_typeId(r)             capnp_get_u64(r, 8)   /* enum, struct, interface */

/* Value: 2 data words, 1 pointer; union tag at byte 0 (same numbering as Type). */
#define VALUE_which(r)             capnp_get_u16(r, 0)
#define VALUE_bool(r)              capnp_get_bool(r, 16)
#define VALUE_u8(r)                capnp_get_u8(r, 2)
#define VALUE_u16(r)               capnp_get_u16(r, 2)
#define VALUE_u32(r)               capnp_get_u32(r, 4)
#define VALUE_u64(r)               capnp_get_u64(r, 8)
#define VALUE_ptr(r)               capnp_get_ptr(r, 0)

#endif
