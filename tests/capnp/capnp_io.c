/*
 * capnp_io: a host helper for tests/tools/capnp_interop.sh, so that
 * messages can flow between our runtime and Debian's `capnp` tool.
 *
 *   capnp_io build <case> [--packed]   build case (cases.c), write it framed
 *   capnp_io check <case> [--packed]   read a framed message from stdin and
 *                                      check it holds <case>
 *   capnp_io canon [--packed]          read a framed message, write its
 *                                      canonical bytes (flat)
 *   capnp_io pack                      read a framed message, write it packed
 * Exit status 0 on success; a message on stderr otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/capnp/cases.h"

static uint8_t buf[1 << 20], msgbuf[1 << 20], out[1 << 20];

static int fail(const char *what, int err)
{
    fprintf(stderr, "capnp_io: %s: %s\n", what, err >= 0 ? capnp_errname(err) : "failed");
    return 1;
}

static int write_all(const void *p, size_t n)
{
    return fwrite(p, 1, n, stdout) == n && fflush(stdout) == 0 ? 0 : fail("write", -1);
}

/* Reads stdin (packed or not) into a framed message. */
static int read_msg(struct capnp_msg *m, struct capnp_segment *segs, uint32_t max, bool packed)
{
    size_t n = fread(buf, 1, sizeof buf, stdin), len = n, used;
    const uint8_t *p = buf;
    int err;
    if (packed) {
        err = capnp_unpack_message(buf, n, msgbuf, sizeof msgbuf, &len, &used);
        if (err)
            return fail("unpack", err);
        p = msgbuf;
    }
    err = capnp_msg_init_stream(m, segs, max, p, len, &used);
    if (err)
        return fail("frame", err);
    return 0;
}

int main(int argc, char **argv)
{
    static struct capnp_segment segs[512];
    struct capnp_msg m;
    bool packed = argc > 2 && strcmp(argv[argc - 1], "--packed") == 0;
    size_t len, flen;
    int err;

    if (argc >= 3 && strcmp(argv[1], "build") == 0) {
        struct capnp_builder b;
        capnp_builder_init(&b, msgbuf, sizeof msgbuf);
        if (capnp_case_build(argv[2], &b))
            return fail(argv[2], -1);
        if (capnp_builder_error(&b))
            return fail("build", capnp_builder_error(&b));
        struct capnp_segment s;
        s.data = capnp_builder_bytes(&b, &len);
        s.words = (uint32_t)(len / 8);
        if ((err = capnp_write_stream(&s, 1, out, sizeof out, &flen)))
            return fail("frame", err);
        if (!packed)
            return write_all(out, flen);
        if ((err = capnp_pack(out, flen, buf, sizeof buf, &len)))
            return fail("pack", err);
        return write_all(buf, len);
    }
    if (argc >= 3 && strcmp(argv[1], "check") == 0) {
        if (read_msg(&m, segs, 512, packed))
            return 1;
        const char *why = capnp_case_check(argv[2], TestAll_read_root(&m));
        if (why) {
            fprintf(stderr, "capnp_io: %s: %s\n", argv[2], why);
            return 1;
        }
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "canon") == 0) {
        if (read_msg(&m, segs, 512, packed))
            return 1;
        if ((err = capnp_canonicalize(&m, out, sizeof out, &len)))
            return fail("canonicalize", err);
        return write_all(out, len);
    }
    if (argc >= 2 && strcmp(argv[1], "pack") == 0) {
        size_t n = fread(buf, 1, sizeof buf, stdin), used;
        if ((err = capnp_msg_init_stream(&m, segs, 512, buf, n, &used)))
            return fail("frame", err);
        if ((err = capnp_pack(buf, used, out, sizeof out, &len)))
            return fail("pack", err);
        return write_all(out, len);
    }
    fprintf(stderr, "usage: capnp_io build|check <case> [--packed] | canon [--packed] | pack\n");
    return 2;
}
