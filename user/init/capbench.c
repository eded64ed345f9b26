/*
 * capbench.c: the benchmark hook of the capbench image (kernel
 * command-line word "capbench"; bench/README.md), which times
 * verification and activation together, many times over: there,
 * capsuleStart verifies the version again from its module's bytes
 * exactly as the boot did (capsule_verify_one) before it starts it, and
 * its answer says what that verification cost. Nothing else differs; no
 * other image has the word, and without it the hook does nothing.
 */
#include <stdio.h>
#include <string.h>

#include "capsvc.h"

static bool reverify;

static bool cmdline_word(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = s; *p; p++)
        if ((p == s || p[-1] == ' ') && !strncmp(p, w, n) && (p[n] == 0 || p[n] == ' '))
            return true;
    return false;
}

void capbench_init(const char *cmdline) { reverify = cmdline_word(cmdline, "capbench"); }

int capbench_reverify(struct service *s, char *note, size_t n)
{
    static struct capsule c;        /* its opened manifest points into itself */
    note[0] = 0;
    if (!reverify)
        return 0;
    int k = capsule_cur(s);
    if (k < 0) {
        snprintf(note, n, "no version to verify");
        return -1;
    }
    const struct capsule *boot = capsule_at(k);
    memset(&c, 0, sizeof c);
    memcpy(c.module, boot->module, sizeof c.module);
    c.buf = boot->buf;
    c.len = boot->len;
    uint64_t t0 = rdtsc();
    capsule_verify_one(&c);
    uint64_t cycles = rdtsc() - t0;
    if (!c.valid || !c.elf || memcmp(c.vcid, boot->vcid, 32)) {
        snprintf(note, n, "%s %s did not verify again: %s", boot->name, boot->ver,
                 c.valid ? "not the capsule the boot verified" : c.reason);
        return -1;
    }
    /* s starts the entry blob this verification found */
    svc_set_binary(s, c.elf, c.elf_len);
    snprintf(note, n, "; verified again in %llu cycles", (unsigned long long)cycles);
    return 0;
}
