/*
 * rtc.c: the wall clock, read from the PC's CMOS clock through the "rtc"
 * port grant (0x70-0x71), for the certificate validity checks of boot
 * verification. Reading is the only hardware part; turning registers
 * into a time is lib/date's (date_from_cmos, tested on the host).
 *
 * The registers are read twice, alike, outside an update (status A bit
 * 7), so a second that ticks over in the middle cannot mix two times.
 */
#include <string.h>

#include "capsvc.h"
#include "date/date.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71

static uint8_t cmos(v_handle rtc, unsigned reg)
{
    v_io_out(rtc, CMOS_INDEX, 1, reg);
    return (uint8_t)v_io_in(rtc, CMOS_DATA, 1).val;
}

int64_t rtc_now(void)
{
    v_handle rtc = rt_cap("rtc");
    if (!rtc)
        return -1;
    uint8_t t[CMOS_NREGS], u[CMOS_NREGS];
    for (int tries = 0; tries < 8; tries++) {
        for (int w = 0; w < 100000 && (cmos(rtc, CMOS_STATUS_A) & 0x80); w++)
            ;                           /* an update is in progress */
        for (int i = 0; i < CMOS_NREGS; i++)
            t[i] = cmos(rtc, date_cmos_regs[i]);
        for (int i = 0; i < CMOS_NREGS; i++)
            u[i] = cmos(rtc, date_cmos_regs[i]);
        if (!memcmp(t, u, sizeof t))
            break;
    }
    int64_t now;
    return date_from_cmos(t, cmos(rtc, CMOS_STATUS_B), &now) == DATE_OK ? now : -1;
}
