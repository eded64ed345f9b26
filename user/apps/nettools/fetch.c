/*
 * fetch: `fetch http://A.B.C.D[:PORT]/PATH` - one HTTP/1.1 GET through
 * the network service; prints the status, the body (control bytes shown
 * as '.', at most the first 2 KiB) and the body's size and SHA-256.
 *
 * The server is hostile until proven otherwise; each refusal is named:
 *   badStatusLine   the first line is no "HTTP/1.x NNN ..." (garbage)
 *   headersTooLong  more than 8 KiB or 64 lines of headers (endless)
 *   badLength       a Content-Length that is no number, or twice
 *   unsupported     Transfer-Encoding (chunked is not spoken)
 *   truncated       the peer closed before the headers ended
 *   shortBody       the peer closed before Content-Length bytes
 *   longBody        more bytes than Content-Length
 *   tooBig          a body over 16 MiB
 *   timedOut        headers not done 5 s after connecting (slowloris),
 *                   10 s without a byte, or 30 s in all
 * Exit 0 on a whole 2xx response, 1 on any other status, 2 on a refusal.
 */
#include <stdio.h>
#include <string.h>

#include "crypto/sha256.h"
#include "nsock.h"
#include "rt.h"
#include "nettools.h"
#include "tool.h"

#define HDR_MAX 8192
#define HDR_LINES 64
#define BODY_MAX (16u << 20)
#define SHOW_MAX 2048

static struct net n;
static struct nsock s;
static char hdr[HDR_MAX + 1];
static uint8_t buf[4096];
static uint64_t t_start, t_last;
static bool in_headers = true;

static int refuse(const char *name, const char *why)
{
    printf("fetch: refused: %s (%s)\n", name, why);
    nsock_close(&s);
    return 2;
}

/* Bytes from the server: > 0, 0 at its FIN, or < 0 (an nsock error, or
 * -1000 for the time limits). */
static int get(void *p, uint32_t len)
{
    for (;;) {
        int e = nsock_recv(&s, p, len);
        uint64_t now = v_clock().val;
        if (e != NSOCK_AGAIN) {
            t_last = now;
            return e;
        }
        if (now - t_last > 10000000 || now - t_start > 30000000 || (in_headers && now - t_start > 5000000))
            return -1000;
        tool_wait(nsock_bits(&s), 500000);
    }
}

static bool lower_prefix(const char *line, const char *name)
{
    for (; *name; name++, line++)
        if ((*line | 0x20) != *name && *line != *name)
            return false;
    return true;
}

int tool_fetch(void)
{
    static char line[128];
    char *argv[3];
    int argc = tool_args(line, sizeof line, argv, 3);
    if (argc != 1 || strncmp(argv[0], "http://", 7)) {
        printf("usage: fetch http://A.B.C.D[:PORT]/PATH\n");
        return 2;
    }
    char *h = argv[0] + 7, *path = strchr(h, '/'), *colon = strchr(h, ':');
    static char hostbuf[24];
    size_t hl = (size_t)((colon && (!path || colon < path) ? colon : path ? path : h + strlen(h)) - h);
    uint32_t addr, port = 80;
    if (hl >= sizeof hostbuf)
        return refuse("badUrl", "host too long");
    memcpy(hostbuf, h, hl);
    hostbuf[hl] = 0;
    if (tool_ipv4(hostbuf, &addr))
        return refuse("badUrl", "the host must be a dotted IPv4 address");
    if (colon && (!path || colon < path)) {
        static char pb[8];
        size_t pl = (size_t)((path ? path : colon + strlen(colon)) - colon - 1);
        if (pl == 0 || pl >= sizeof pb)
            return refuse("badUrl", "bad port");
        memcpy(pb, colon + 1, pl);
        pb[pl] = 0;
        if (tool_u32(pb, 1, 65535, &port))
            return refuse("badUrl", "bad port");
    }
    if (!path)
        path = "/";
    int e = net_open(&n, "net");
    e = e ? e : nsock_open(&n, Net_Type_tcp, &s);
    e = e ? e : nsock_connect(&s, addr, (uint16_t)port);
    t_start = t_last = v_clock().val;
    while (e == NSOCK_INPROGRESS && v_clock().val - t_start < 10000000)
        if ((e = nsock_done(&s)) == NSOCK_INPROGRESS)
            tool_wait(nsock_bits(&s), 100000);
    if (e)
        return refuse("connect", e == NSOCK_INPROGRESS ? "timedOut" : nsock_strerror(e));
    int rl = snprintf((char *)buf, sizeof buf, "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: vectra-fetch\r\n"
                      "Connection: close\r\n\r\n", path, hostbuf, port);
    for (int off = 0; off < rl;) {
        e = nsock_send(&s, buf + off, (uint32_t)(rl - off));
        if (e > 0)
            off += e;
        else if (e == NSOCK_AGAIN)
            tool_wait(nsock_bits(&s), 100000);
        else
            return refuse("send", nsock_strerror(e));
    }
    /* headers: up to the empty line */
    uint32_t hn = 0;
    char *end = 0;
    while (!end) {
        if (hn >= HDR_MAX)
            return refuse("headersTooLong", "more than 8 KiB of headers");
        e = get(hdr + hn, HDR_MAX - hn);
        if (e == -1000)
            return refuse("timedOut", "no whole header within 5 s");
        if (e < 0)
            return refuse("recv", nsock_strerror(e));
        if (e == 0)
            return refuse("truncated", "closed before the headers ended");
        hn += (uint32_t)e;
        hdr[hn] = 0;
        if (hn >= 5 && strncmp(hdr, "HTTP/", 5))
            return refuse("badStatusLine", "not an HTTP response");
        end = strstr(hdr, "\r\n\r\n");
    }
    in_headers = false;
    uint32_t body0 = (uint32_t)(end + 4 - hdr);
    *end = 0;
    unsigned code = 0;
    if (strncmp(hdr, "HTTP/1.", 7) || (hdr[7] != '0' && hdr[7] != '1') || hdr[8] != ' ' ||
        hdr[9] < '1' || hdr[9] > '5' || hdr[10] < '0' || hdr[10] > '9' || hdr[11] < '0' || hdr[11] > '9' ||
        (hdr[12] != ' ' && hdr[12] != '\r' && hdr[12]))
        return refuse("badStatusLine", "not an HTTP/1.x status line");
    code = (unsigned)((hdr[9] - '0') * 100 + (hdr[10] - '0') * 10 + hdr[11] - '0');
    long long clen = -1;
    unsigned lines = 0;
    for (char *l = strstr(hdr, "\r\n"); l; l = strstr(l, "\r\n")) {
        l += 2;
        if (++lines > HDR_LINES)
            return refuse("headersTooLong", "more than 64 header lines");
        if (lower_prefix(l, "transfer-encoding:"))
            return refuse("unsupported", "Transfer-Encoding");
        if (lower_prefix(l, "content-length:")) {
            char *v = l + 15;
            while (*v == ' ')
                v++;
            unsigned long long x = 0;
            int digits = 0;
            while (*v >= '0' && *v <= '9' && digits < 10)
                x = x * 10 + (unsigned)(*v++ - '0'), digits++;
            while (*v == ' ')
                v++;
            if (!digits || (*v && *v != '\r') || clen >= 0)
                return refuse("badLength", "Content-Length is no number, or given twice");
            if (x > BODY_MAX)
                return refuse("tooBig", "Content-Length over 16 MiB");
            clen = (long long)x;
        }
    }
    char *eol = strstr(hdr, "\r\n");
    if (eol)
        *eol = 0;
    printf("fetch: %s\n", hdr);
    struct sha256_ctx sh;
    sha256_init(&sh);
    uint64_t got = 0, shown = 0;
    const uint8_t *chunk = (const uint8_t *)hdr + body0;
    uint32_t cl = hn - body0;
    for (;;) {
        if (clen >= 0 && got + cl > (uint64_t)clen)
            return refuse("longBody", "more bytes than Content-Length");
        if (got + cl > BODY_MAX)
            return refuse("tooBig", "a body over 16 MiB");
        sha256_update(&sh, chunk, cl);
        for (uint32_t i = 0; i < cl && shown < SHOW_MAX; i++, shown++)
            putchar(chunk[i] == '\n' || (chunk[i] >= 32 && chunk[i] < 127) ? chunk[i] : '.');
        got += cl;
        e = get(buf, sizeof buf);
        if (e == -1000)
            return refuse("timedOut", "the server is too slow");
        if (e < 0)
            return refuse("shortBody", nsock_strerror(e));
        if (e == 0)
            break;
        chunk = buf;
        cl = (uint32_t)e;
    }
    if (shown && (shown >= SHOW_MAX || chunk[cl ? cl - 1 : 0] != '\n'))
        printf("\n");
    if (clen >= 0 && got < (uint64_t)clen) {
        printf("fetch: got %llu of %lld bytes\n", (unsigned long long)got, clen);
        return refuse("shortBody", "the server closed before Content-Length bytes");
    }
    uint8_t d[32];
    sha256_final(&sh, d);
    printf("fetch: %u, %llu bytes, sha256 ", code, (unsigned long long)got);
    for (int i = 0; i < 32; i++)
        printf("%02x", d[i]);
    printf("\n");
    nsock_close(&s);
    return code >= 200 && code < 300 ? 0 : 1;
}
