/*
 * device.c: see device.h.
 */
#include "core/device.h"
#include "core/dma.h"
#include "core/label.h"
#include "core/sched.h"
#include "core/signal.h"
#include "core/syscall.h"

static struct {
    struct task *task;
    uint8_t bit;
    uint8_t awaiting_ack;
    uint8_t latched;            /* MSI: one came while awaiting the ack */
} lines[NLINES];

void irq_deliver(unsigned line)
{
    if (line >= NLINES || !lines[line].task) {
        arch_irq_mask(line);        /* nobody listens: keep it quiet */
        return;
    }
    if (lines[line].awaiting_ack) {
        lines[line].latched = 1;    /* an MSI line: the device cannot be told to wait */
        return;
    }
    arch_irq_mask(line);
    lines[line].awaiting_ack = 1;
    signal_deliver(lines[line].task, 1ull << lines[line].bit);
}

void irq_unbind_task(struct task *t)
{
    for (unsigned l = 0; l < NLINES; l++)
        if (lines[l].task == t) {
            lines[l].task = 0;
            arch_irq_mask(l);
        }
}

/* An IRQ capability went: a line whose binder no longer holds any IRQ
 * capability covering it in its table is released. Rare (drivers keep
 * theirs), so a scan of the binder's table is fine. */
void irq_cap_gone(const struct cap *gone)
{
    for (unsigned l = 0; l < NLINES; l++) {
        struct task *t = lines[l].task;
        if (!t || !(gone->arg & (1ull << l)))
            continue;
        struct captable *tab = task_table(t);
        bool held = false;
        for (uint32_t i = 1; tab && i < tab->nslots && !held; i++) {
            const struct cap *c = &captable_slots(tab)[i];
            held = c->type == V_TYPE_IRQ && (c->arg & (1ull << l));
        }
        if (!held) {
            lines[l].task = 0;
            arch_irq_mask(l);
        }
    }
}

static int lookup_line(struct task *self, uint64_t h, uint64_t line)
{
    struct cap *c;
    int e = cap_lookup(task_table(self), h, V_TYPE_IRQ, V_R_CONTROL, &c);
    if (e)
        return e;
    if (line >= NLINES)
        return V_ERANGE;
    if (!(c->arg & (1ull << line)))
        return V_ERIGHTS;
    return V_OK;
}

/* irq_bind(irq, line, bit, cfg): cfg, if not 0, is the configuration
 * page of the only PCI function that may raise the (MSI) line. */
struct v_ret sys_irq_bind(struct task *self, const struct sys_args *a)
{
    int e = lookup_line(self, a->a[0], a->a[1]);
    if (e)
        return sys_err(e);
    if (a->a[2] > 63)
        return sys_err(V_EINVAL);
    unsigned l = (unsigned)a->a[1];
    int32_t source = -1;
    if (a->a[3]) {
        struct cap *fc;
        uint16_t s;
        if ((e = cap_lookup(task_table(self), a->a[3], V_TYPE_FRAME, V_R_CONTROL, &fc)))
            return sys_err(e);
        if (l < V_IRQ_MSI_FIRST || !dma_config_source(fc, &s))
            return sys_err(V_EINVAL);
        source = s;
    }
    if (lines[l].task && lines[l].task != self && lines[l].task->state != TASK_DEAD)
        return sys_err(V_EBUSY);
    arch_msi_source(l, source);
    lines[l].task = self;
    lines[l].bit = (uint8_t)a->a[2];
    lines[l].awaiting_ack = 0;
    lines[l].latched = 0;
    arch_irq_unmask(l);
    return sys_ok(arch_msi_message(l));
}

/* irq_ack(irq, line): the driver has handled it; let the next one in. */
struct v_ret sys_irq_ack(struct task *self, const struct sys_args *a)
{
    int e = lookup_line(self, a->a[0], a->a[1]);
    if (e)
        return sys_err(e);
    unsigned l = (unsigned)a->a[1];
    if (lines[l].task != self)
        return sys_err(V_ESTATE);
    if (lines[l].latched) {
        lines[l].latched = 0;       /* still awaiting: this is the next one */
        signal_deliver(self, 1ull << lines[l].bit);
        return sys_ok(0);
    }
    lines[l].awaiting_ack = 0;
    arch_irq_unmask(l);
    return sys_ok(0);
}

static int lookup_port(struct task *self, uint64_t h, uint32_t right, uint64_t port,
                       uint64_t width)
{
    struct cap *c;
    int e = cap_lookup(task_table(self), h, V_TYPE_IOPORT, right, &c);
    if (e)
        return e;
    if (width != 1 && width != 2 && width != 4)
        return V_EINVAL;
    uint64_t base = V_IOPORTS_BASE(c->arg), count = V_IOPORTS_COUNT(c->arg);
    if (port > 0xffff || port < base || port + width > base + count)
        return V_ERANGE;
    return V_OK;
}

/* io_in(ioport, port, width) -> value */
struct v_ret sys_io_in(struct task *self, const struct sys_args *a)
{
    int e = lookup_port(self, a->a[0], V_R_READ, a->a[1], a->a[2]);
    if (e)
        return sys_err(e);
    return sys_ok(arch_io_in((uint16_t)a->a[1], (unsigned)a->a[2]));
}

/* io_out(ioport, port, width, value) */
struct v_ret sys_io_out(struct task *self, const struct sys_args *a)
{
    int e = lookup_port(self, a->a[0], V_R_WRITE, a->a[1], a->a[2]);
    if (e)
        return sys_err(e);
    if (task_lw(self))
        return sys_err(V_EFLOW);    /* a port is the world outside */
    arch_io_out((uint16_t)a->a[1], (unsigned)a->a[2], (uint32_t)a->a[3]);
    return sys_ok(0);
}

/* debug_write(debug, ptr, len): bytes to the kernel console, at most
 * 4 KiB a call. */
struct v_ret sys_debug_write(struct task *self, const struct sys_args *a)
{
    struct cap *c;
    int e = cap_lookup(task_table(self), a->a[0], V_TYPE_DEBUG, V_R_WRITE, &c);
    if (e)
        return sys_err(e);
    if (task_lw(self))
        return sys_err(V_EFLOW);    /* the console is the world outside */
    uint64_t ptr = a->a[1], len = a->a[2];
    char buf[4096];     /* copied whole first: a bad pointer prints nothing */
    if (len > sizeof buf)
        return sys_err(V_ETOOBIG);
    if (arch_copy_from_user(buf, ptr, len) != V_OK)
        return sys_err(V_EFAULT);
    for (uint64_t i = 0; i < len; i++)
        arch_console_putc(buf[i]);
    return sys_ok(len);
}
