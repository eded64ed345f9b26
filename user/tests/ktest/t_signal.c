/* The Signal mask: wait, raise, call, timers, timeouts. */
#include "ktest.h"

KCASE(SIG0001, 0, "a pending bit is returned at once and cleared")
{
    v_handle s = (v_handle)K_OK(v_signal_mint(SELF, 0xff, V_SLOT_ANY));
    K_OK(v_signal_raise(s, 0x5));
    K_EQ(K_OK(v_signal_wait(0x4, 0)), 0x4);
    K_EQ(K_OK(v_signal_wait(0xff, 0)), 0x1);
    K_ERR(v_signal_wait(0xff, 0), V_ETIMEOUT);
    K_OK(v_cap_delete(s));
}

KCASE(SIG0002, 0, "a wait with a timeout returns V_ETIMEOUT no sooner than asked")
{
    uint64_t t0 = K_OK(v_clock());
    K_ERR(v_signal_wait(1ull << 10, 15000), V_ETIMEOUT);
    uint64_t t1 = K_OK(v_clock());
    K_TRUE(t1 - t0 >= 15000);
}

KCASE(SIG0003, 0, "the one-shot timer raises its bit once")
{
    K_OK(v_timer_set(20, 5000));
    K_EQ(K_OK(v_signal_wait(1ull << 20, 1000000)), 1ull << 20);
    K_ERR(v_signal_wait(1ull << 20, 20000), V_ETIMEOUT);
}

KCASE(SIG0004, 0, "a disarmed timer does not fire")
{
    K_OK(v_timer_set(21, 5000));
    K_OK(v_timer_set(21, 0));
    K_ERR(v_signal_wait(1ull << 21, 20000), V_ETIMEOUT);
}

KCASE(SIG0005, 1, "what if signal calls get a zero mask, zero bits, or bit 64?")
{
    v_handle s = (v_handle)K_OK(v_signal_mint(SELF, 0xff, V_SLOT_ANY));
    K_ERR(v_signal_wait(0, 0), V_EINVAL);
    K_ERR(v_signal_raise(s, 0), V_EINVAL);
    K_ERR(v_signal_call(s, 1, 0, 0), V_EINVAL);
    K_ERR(v_timer_set(64, 1000), V_EINVAL);
    K_ERR(v_timer_set(3, V_TIMEOUT_NEVER), V_EINVAL);
    K_ERR(v_signal_mint(SELF, 0, V_SLOT_ANY), V_EINVAL);
    K_OK(v_cap_delete(s));
}

KCASE(SIG0006, 1, "what if a signal capability raises bits it was not given?")
{
    v_handle s = (v_handle)K_OK(v_signal_mint(SELF, 0x0f, V_SLOT_ANY));
    K_ERR(v_signal_raise(s, 0x10), V_ERIGHTS);
    K_ERR(v_signal_raise(s, 0x1f), V_ERIGHTS);
    K_ERR(v_signal_wait(0x1f, 0), V_ETIMEOUT);   /* nothing was raised */
    K_OK(v_cap_delete(s));
}

KCASE(SIG0007, 1, "what if raise is given a Task, a frame, or a signal cap without write?")
{
    v_handle f = kt_frame();
    v_handle s = (v_handle)K_OK(v_signal_mint(SELF, 1, V_SLOT_ANY));
    v_handle ro = (v_handle)K_OK(v_cap_mint(s, V_SLOT_ANY, V_R_READ, 0));
    K_ERR(v_signal_raise(SELF, 1), V_ETYPE);
    K_ERR(v_signal_raise(f, 1), V_ETYPE);
    K_ERR(v_signal_raise(ro, 1), V_ERIGHTS);
    K_ERR(v_signal_mint(f, 1, V_SLOT_ANY), V_ETYPE);
    K_OK(v_cap_delete(s));
    K_OK(v_cap_delete(f));
}

KCASE(SIG0008, 0, "two Tasks in different address spaces wake each other 1000 times (signal_call)")
{
    v_handle peer = (v_handle)K_OK(v_signal_mint(SELF, 2, V_SLOT_ANY));
    struct rt_bundle_item it = {"peer", peer, true};
    struct rt_child c;
    SPAWN(M_PONG, 1000, 1, &it, 1, &c);
    v_handle to_child = (v_handle)K_OK(v_signal_mint(c.task, 1, V_SLOT_ANY));
    kt_sleep_ms(2);
    for (int i = 0; i < 1000; i++)
        K_EQ(K_OK(v_signal_call(to_child, 1, 2, 1000000)), 2);
    struct v_taskinfo info;
    WAIT(&c, &info);
    K_EQ(info.exit_code, 0);
    K_OK(v_cap_delete(to_child));
    K_EQ(rt_child_destroy(&c), 0);
}

KCASE(SIG0009, 0, "raising a bit on a dead Task is harmless")
{
    struct rt_child c;
    SPAWN(M_EXIT, 0, 1, 0, 0, &c);
    struct v_taskinfo i;
    WAIT(&c, &i);
    v_handle s = (v_handle)K_OK(v_signal_mint(c.task, 1, V_SLOT_ANY));
    K_OK(v_signal_raise(s, 1));
    K_OK(v_cap_delete(s));
    K_EQ(rt_child_destroy(&c), 0);
}

KCASE(SIG0010, 0, "a wait is woken by the first of several bits and keeps the others pending")
{
    v_handle s = (v_handle)K_OK(v_signal_mint(SELF, 0xf000, V_SLOT_ANY));
    K_OK(v_signal_raise(s, 0x3000));
    K_EQ(K_OK(v_signal_wait(0x1000, V_TIMEOUT_NEVER)), 0x1000);
    K_EQ(K_OK(v_signal_wait(0xf000, V_TIMEOUT_NEVER)), 0x2000);
    K_OK(v_cap_delete(s));
}

KCASE(SIG0011, 0, "the clock advances")
{
    uint64_t t0 = K_OK(v_clock());
    kt_sleep_ms(3);
    K_TRUE(K_OK(v_clock()) > t0);
}

/* Timer interrupts so far: cap_info of the debug capability reports them. */
static uint64_t timer_irqs(void)
{
    struct v_capinfo i;
    v_cap_info(DEBUG, (uint64_t)&i);
    return i.size;
}

KCASE(SIG0012, 0, "tickless: idle for 200 ms takes at most 2 timer interrupts, and sleeps still wake no sooner than asked, each on its own deadline")
{
    const struct v_bootinfo *bi = (const struct v_bootinfo *)V_BOOTINFO_ADDR;
    uint64_t n0 = timer_irqs(), t0 = K_OK(v_clock());
    K_ERR(v_signal_wait(1ull << 10, 200000), V_ETIMEOUT);
    uint64_t n1 = timer_irqs(), t1 = K_OK(v_clock());
    K_TRUE(t1 - t0 >= 200000);
    printf("KTEST NOTE SIG0012 200 ms idle: %lu timer interrupts (%s)\n",
           (unsigned long)(n1 - n0), bi->platform.flags & V_PLATFORM_TICKLESS ? "tickless" : "periodic");
    if (!(bi->platform.flags & V_PLATFORM_TICKLESS))
        return;                        /* no HPET: the 1 kHz tick, as before */
    /* the wake-up's own deadline, and at most one quantum's end armed
     * before the system went idle */
    K_TRUE(n1 - n0 >= 1 && n1 - n0 <= 2);
    /* 20 sleeps of 1 ms: each no sooner than asked, each one deadline */
    for (int i = 0; i < 20; i++) {
        uint64_t a = K_OK(v_clock());
        K_ERR(v_signal_wait(1ull << 10, 1000), V_ETIMEOUT);
        K_TRUE(K_OK(v_clock()) - a >= 1000);
    }
    uint64_t n2 = timer_irqs();
    K_TRUE(n2 - n1 >= 20 && n2 - n1 <= 40);
    /* the one-shot timer's bit, set ahead and disarmed: the deadline
     * armed for it may still interrupt once (finding nothing due), then
     * nothing more than the wait's own */
    K_OK(v_timer_set(21, 100000));
    K_OK(v_timer_set(21, 0));
    uint64_t n3 = timer_irqs();
    K_ERR(v_signal_wait(1ull << 21, 150000), V_ETIMEOUT);
    K_TRUE(timer_irqs() - n3 <= 2);
}
