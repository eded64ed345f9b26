/*
 * host.c: shared host helpers (see host.h).
 */
#define _GNU_SOURCE
#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef VECTRA_SCHEMA
#define VECTRA_SCHEMA "schema/capsule.capnp"
#endif

static char errbuf[512];

int host_err(const char *fmt, ...)
{
    char tmp[sizeof errbuf]; /* arguments may be host_errmsg() itself */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    memcpy(errbuf, tmp, sizeof errbuf);
    return -1;
}

const char *host_errmsg(void)
{
    return errbuf[0] ? errbuf : "unknown error";
}

void host_wipe(void *p, size_t n)
{
    sodium_memzero(p, n);
}

int host_read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return host_err("cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return host_err("%s is not a regular file", path);
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return host_err("%s is too large (%lld bytes, at most %zu)", path,
                        (long long)st.st_size, max);
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n + 1);
    if (!buf) {
        close(fd);
        return host_err("out of memory reading %s", path);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            free(buf);
            close(fd);
            return host_err("cannot read %s: %s", path, r < 0 ? strerror(errno) : "short read");
        }
        got += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    *out = buf;
    *len = n;
    return 0;
}

int host_write_file(const char *path, const void *data, size_t len, int mode)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof tmp)
        return host_err("path too long: %s", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return host_err("cannot create %s: %s", path, strerror(errno));
    const uint8_t *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return host_err("cannot write %s: %s", path, strerror(errno));
        }
        done += (size_t)w;
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        unlink(tmp);
        return host_err("cannot write %s: %s", path, strerror(errno));
    }
    if (rename(tmp, path) < 0) {
        unlink(tmp);
        return host_err("cannot create %s: %s", path, strerror(errno));
    }
    return 0;
}

void host_time(char out[32], int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t < 0 || !gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 32, "%lld", (long long)t);
}

void host_domains(char out[32], unsigned mask, int json)
{
    out[0] = 0;
    for (unsigned d = 0; d < CAPSULE_NDOMAINS; d++) {
        if (!(mask & (1u << d)))
            continue;
        size_t n = strlen(out);
        snprintf(out + n, 32 - n, json ? "%s\"D%u\"" : "%sD%u", n ? "," : "", d);
    }
}

void host_hex(char *out, const uint8_t *in, size_t n)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15];
    }
    out[2 * n] = 0;
}

static int hexdigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int host_unhex(uint8_t *out, size_t n, const char *in)
{
    if (strlen(in) != 2 * n)
        return host_err("expected %zu hex digits, got %zu", 2 * n, strlen(in));
    for (size_t i = 0; i < n; i++) {
        int hi = hexdigit(in[2 * i]), lo = hexdigit(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return host_err("not a hex string: %.16s...", in);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int host_ask(const char *option, const char *prompt, char *out, size_t cap)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return host_err("no %s given and no terminal to ask on", option);
    struct termios old, quiet;
    int have_tc = tcgetattr(fd, &old) == 0;
    if (have_tc) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    if (write(fd, prompt, strlen(prompt)) < 0) {
        /* the prompt is a courtesy; reading still works */
    }
    size_t n = 0;
    char c;
    while (read(fd, &c, 1) == 1 && c != '\n') {
        if (n + 1 < cap)
            out[n++] = c;
    }
    out[n] = 0;
    if (have_tc)
        tcsetattr(fd, TCSAFLUSH, &old);
    if (write(fd, "\n", 1) < 0) {
        /* as above */
    }
    close(fd);
    return 0;
}

int host_passphrase(const char *file, const char *option, const char *prompt, int confirm,
                    char *out, size_t cap)
{
    if (file) {
        uint8_t *buf;
        size_t len;
        if (host_read_file(file, 4096, &buf, &len) < 0)
            return -1;
        size_t n = 0;
        while (n < len && buf[n] != '\n' && buf[n] != '\r')
            n++;
        if (n >= cap) {
            host_wipe(buf, len);
            free(buf);
            return host_err("passphrase in %s is too long (at most %zu bytes)", file, cap - 1);
        }
        memcpy(out, buf, n);
        out[n] = 0;
        host_wipe(buf, len);
        free(buf);
    } else {
        if (host_ask(option, prompt, out, cap) < 0)
            return -1;
        if (confirm) {
            char again[1024];
            if (host_ask(option, "Repeat passphrase: ", again, sizeof again) < 0)
                return -1;
            int same = strcmp(out, again) == 0;
            host_wipe(again, sizeof again);
            if (!same)
                return host_err("the passphrases differ");
        }
    }
    if (out[0] == 0)
        return host_err("empty passphrase refused");
    for (const char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20)
            return host_err("passphrase contains a control character");
    return 0;
}

const char *host_schema_path(void)
{
    const char *e = getenv("VECTRA_SCHEMA");
    return e && *e ? e : VECTRA_SCHEMA;
}

/* Feeds `in` to the child's stdin while collecting its stdout; stderr is
 * collected too, for the error message. */
int host_capnp_convert(const char *conv, const char *type, const uint8_t *in, size_t inlen,
                       uint8_t **out, size_t *outlen)
{
    char inpath[] = "/tmp/vectra-capnp-in.XXXXXX", errpath[] = "/tmp/vectra-capnp-err.XXXXXX";
    int infd = mkstemp(inpath), errfd = mkstemp(errpath);
    if (infd < 0 || errfd < 0)
        return host_err("cannot create a temporary file: %s", strerror(errno));
    unlink(inpath);
    unlink(errpath);
    if (write(infd, in, inlen) != (ssize_t)inlen || lseek(infd, 0, SEEK_SET) < 0) {
        close(infd);
        close(errfd);
        return host_err("cannot write a temporary file: %s", strerror(errno));
    }
    int pfd[2];
    if (pipe(pfd) < 0) {
        close(infd);
        close(errfd);
        return host_err("pipe: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(infd);
        close(errfd);
        close(pfd[0]);
        close(pfd[1]);
        return host_err("fork: %s", strerror(errno));
    }
    if (pid == 0) {
        dup2(infd, 0);
        dup2(pfd[1], 1);
        dup2(errfd, 2);
        execlp("capnp", "capnp", "convert", conv, host_schema_path(), type, (char *)0);
        fprintf(stderr, "cannot run capnp: %s\n", strerror(errno));
        _exit(127);
    }
    close(infd);
    close(pfd[1]);
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            uint8_t *nb = buf ? realloc(buf, cap) : 0;
            if (!nb) {
                free(buf);
                buf = 0;
                break;
            }
            buf = nb;
        }
        if (!buf)
            break;
        ssize_t r = read(pfd[0], buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(pfd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!buf) {
        close(errfd);
        return host_err("out of memory");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char msg[300] = {0};
        lseek(errfd, 0, SEEK_SET);
        ssize_t r = read(errfd, msg, sizeof msg - 1);
        close(errfd);
        free(buf);
        if (r > 0) {
            msg[r] = 0;
            for (char *p = msg; *p; p++)
                if (*p == '\n')
                    *p = ' ';
        }
        return host_err("capnp convert %s failed: %s", conv, r > 0 ? msg : "no message");
    }
    close(errfd);
    *out = buf;
    *outlen = n;
    return 0;
}

/* ---- crypto behind the verifier's interface ---- */

static void h_sha256(uint8_t out[32], const void *msg, size_t len)
{
    crypto_hash_sha256(out, msg, len);
}

static void h_sha3_512(uint8_t out[64], const void *msg, size_t len)
{
    unsigned int n = 64;
    if (!EVP_Digest(msg, len, out, &n, EVP_sha3_512(), NULL) || n != 64)
        abort(); /* OpenSSL without SHA3: nothing sensible to do */
}

static bool h_ed25519_verify(const uint8_t sig[64], const void *msg, size_t len,
                             const uint8_t pk[32])
{
    return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}

const struct capsule_crypto host_crypto = {h_sha256, h_sha3_512, h_ed25519_verify};
