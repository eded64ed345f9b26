/*
 * capnpc.h: what the generator's files share (main.c reads the request
 * and writes accessors; reflect.c writes the reflection tables).
 */
#ifndef CAPNPC_H
#define CAPNPC_H

#include <stdbool.h>
#include <stdio.h>

#include "capnp/capnp.h"

struct node {
    uint64_t id;
    struct capnp_struct r;
    char *cname;               /* C name, NULL until named */
    uint64_t file;             /* id of the file node it belongs to */
    struct capnp_text doc;
    struct capnp_list member_docs;
    bool has_doc;
};

struct ctype {
    unsigned which;            /* TYPE_* */
    const char *c;             /* C type of a scalar getter */
    const char *get, *set;     /* runtime accessor suffix: u8 .. u64, bool */
    unsigned bytes;            /* size in the data section (0: bool / pointer) */
    unsigned esize;            /* element size when in a list */
};

extern FILE *H, *C;            /* header and source being written */

void *xmalloc(size_t n);
char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
const char *str(struct capnp_text t);
struct node *need_node(uint64_t id);
void ident(const char *name);
const char *cname_part(struct capnp_text t);
struct ctype scalar(unsigned which);
uint64_t default_bits(struct capnp_struct v, unsigned which);
int code_order_cmp(const void *a, const void *b);

/* reflect.c: declarations into H, tables into C, for one node. */
void reflect_decl(struct node *n);
void reflect_emit(struct node *n);

#endif
