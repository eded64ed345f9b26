/*
 * devices.c: `devices` (the device manager's list: what was found, who
 * holds it, its MSI lines, its DMA mappings and faults) and `blk` (info,
 * read a sector as hex, write text into a sector, flush), through
 * SYS:svc/devmgr and SYS:svc/virtio-blk.
 *
 * `blk` keeps one page of the shell's memory attached to the driver as
 * its buffer; when the connection is made again (the driver restarted),
 * it attaches again.
 */
#include <string.h>

#include "blk.h"
#include "rt.h"
#include "schema/device.capnp.h"
#include "vshell.h"

#define T_DEV 3000000ull
#define BLK_SVC "virtio-blk"

void cmd_devices(int argc, char **argv);
void cmd_blk(int argc, char **argv);

static struct sh_reply rep;

void cmd_devices(int argc, char **argv)
{
    if (argc != 1) {
        printf("usage: devices\n");
        return;
    }
    struct ipc_conn *c = sh_conn_any(argv[0], "devmgr");
    if (!c)
        return;
    int e = sh_call_raw(c, DeviceManager_method_list, 0, 0, &rep.m, T_DEV);
    if (e || ipc_request_open(&rep.msg, &rep.m)) {
        printf("devices: %s\n", e ? ipc_strerror(e) : "malformed reply");
        return;
    }
    DeviceManager_list_Results_R r = DeviceManager_list_Results_read_root(&rep.msg);
    DeviceManager_Device_RList l = DeviceManager_list_Results_devices(r);
    printf("DMA is %s\n", DeviceManager_list_Results_iommu(r) ? "confined by the IOMMU"
                                                                : "unconfined (no IOMMU)");
    printf("%-8s %-9s %-5s %-6s %-12s %-10s %s\n", "PCI", "id", "class", "virtio", "holder",
           "lines", "DMA");
    for (uint32_t i = 0; i < DeviceManager_Device_RList_len(l); i++) {
        DeviceManager_Device_R d = DeviceManager_Device_RList_get(l, i);
        unsigned bdf = DeviceManager_Device_bdf(d);
        printf("%02x:%02x.%x  %04x:%04x %02x.%02x %-6u ", bdf >> 8, bdf >> 3 & 31, bdf & 7,
               DeviceManager_Device_vendor(d), DeviceManager_Device_deviceId(d),
               DeviceManager_Device_classCode(d), DeviceManager_Device_subclass(d),
               (unsigned)DeviceManager_Device_virtioType(d));
        struct capnp_text h = DeviceManager_Device_holder(d);
        sh_clean(h.len ? h : (struct capnp_text){"-", 1}, 12);
        struct capnp_list ll = DeviceManager_Device_lines(d);
        char lines[32] = "-";
        for (uint32_t k = 0, at = 0; k < capnp_list_len(ll) && at + 4 < sizeof lines; k++)
            at += (uint32_t)snprintf(lines + at, sizeof lines - at, k ? ",%u" : "%u",
                                     capnp_list_u8(ll, k));
        printf(" %-10s ", lines);
        if (DeviceManager_Device_dmaRegistered(d))
            printf("%s, %llu pages, %llu faults", DeviceManager_Device_dmaConfined(d) ? "confined"
                                                                                     : "unconfined",
                   (unsigned long long)DeviceManager_Device_dmaPages(d),
                   (unsigned long long)DeviceManager_Device_dmaFaults(d));
        else
            printf("-");
        if (DeviceManager_Device_dmaFaults(d))
            printf(" (last at %#llx)", (unsigned long long)DeviceManager_Device_dmaLastFault(d));
        printf("\n");
        DeviceManager_Bar_RList bl = DeviceManager_Device_bars(d);
        for (uint32_t k = 0; k < DeviceManager_Bar_RList_len(bl); k++) {
            DeviceManager_Bar_R b = DeviceManager_Bar_RList_get(bl, k);
            char sz[16];
            printf("          BAR%u %s %#llx %s%s%s\n", DeviceManager_Bar_index(b),
                   DeviceManager_Bar_io(b) ? "io " : "mem", (unsigned long long)DeviceManager_Bar_address(b),
                   sh_size(DeviceManager_Bar_size(b), sz), DeviceManager_Bar_prefetchable(b) ? " prefetchable" : "",
                   DeviceManager_Bar_handed(b) ? " (given to its driver)" : "");
        }
    }
    if (capnp_msg_error(&rep.msg))
        printf("devices: the reply was malformed\n");
}

/* ---- blk ------------------------------------------------------------- */

static struct blk disk;
static struct ipc_conn *disk_conn;
static v_handle disk_tx;        /* the connection disk was opened on */
static v_handle page;
static uint8_t *page_va;

static bool disk_ready(const char *cmd)
{
    if (!page) {
        uint64_t va = rt_va_alloc(V_PAGE_SIZE);
        int e = rt_map_frames(0, va, 1, V_R_READ | V_R_WRITE, &page);
        if (e) {
            printf("%s: no memory for a buffer: %s\n", cmd, rt_errname(e));
            return false;
        }
        page_va = (uint8_t *)va;
    }
    struct ipc_conn *c = sh_conn_any(cmd, BLK_SVC);
    if (!c)
        return false;
    if (c == disk_conn && c->tx == disk_tx && !disk.closed)
        return true;
    int e = blk_open(&disk, c, page, T_DEV);
    if (e) {
        printf("%s: %s: %s\n", cmd, BLK_SVC, blk_strerror(e));
        if (e == BLK_EDISCONNECTED)
            c->closed = true;   /* made again on the next use */
        return false;
    }
    disk_conn = c;
    disk_tx = c->tx;
    return true;
}

static void dump(const uint8_t *p, unsigned n)
{
    for (unsigned i = 0; i < n; i += 16) {
        printf("%03x ", i);
        for (unsigned k = 0; k < 16; k++)
            printf(" %02x", p[i + k]);
        printf("  ");
        for (unsigned k = 0; k < 16; k++)
            printf("%c", p[i + k] >= 0x20 && p[i + k] < 0x7f ? p[i + k] : '.');
        printf("\n");
    }
}

static bool done(const char *what, int e)
{
    if (e == BLK_OK)
        return true;
    printf("blk: %s: %s\n", what, blk_strerror(e));
    if (e == BLK_EDISCONNECTED)
        disk_conn->closed = true;
    return false;
}

void cmd_blk(int argc, char **argv)
{
    const char *use = "usage: blk info | read SECTOR | write SECTOR TEXT | flush\n";
    uint64_t sector = 0;
    if (argc < 2 || (strcmp(argv[1], "info") && strcmp(argv[1], "read") &&
                     strcmp(argv[1], "write") && strcmp(argv[1], "flush")) ||
        ((!strcmp(argv[1], "read") || !strcmp(argv[1], "write")) &&
         (argc < 3 || !sh_number(argv[2], &sector)))) {
        printf("%s", use);
        return;
    }
    if (!disk_ready(argv[0]))
        return;
    if (!strcmp(argv[1], "info")) {
        printf("%s: %llu sectors of %u bytes (%llu KiB)%s, %u requests in flight at most\n", BLK_SVC,
               (unsigned long long)disk.sectors, disk.sector_size,
               (unsigned long long)(disk.sectors / 2), disk.read_only ? ", read-only" : "",
               BLK_MAX_INFLIGHT);
    } else if (!strcmp(argv[1], "read")) {
        memset(page_va, 0, 512);
        if (done("read", blk_read(&disk, 0, sector, 1, T_DEV))) {
            printf("sector %llu:\n", (unsigned long long)sector);
            dump(page_va, 512);
        }
    } else if (!strcmp(argv[1], "write")) {
        memset(page_va, 0, 512);
        for (int i = 3, at = 0; i < argc && at < 511; i++)
            at += snprintf((char *)page_va + at, (size_t)(512 - at), i > 3 ? " %s" : "%s", argv[i]);
        if (done("write", blk_write(&disk, 0, sector, 1, T_DEV)))
            printf("wrote sector %llu\n", (unsigned long long)sector);
    } else if (done("flush", blk_flush(&disk, T_DEV))) {
        printf("flushed\n");
    }
}
