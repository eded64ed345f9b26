/*
 * date.c: civil dates <-> days by 400-year eras (see date.h). An era is
 * 146 097 days; within it, a year of the shifted calendar starts on
 * 1 March, so the leap day is the last day of its year and the month
 * lengths from March are the regular 153-days-per-5-months pattern.
 */
#include "date/date.h"

const uint8_t date_cmos_regs[CMOS_NREGS] = {0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32};

static int64_t floor_div(int64_t a, int64_t b)
{
    return (a >= 0 ? a : a - (b - 1)) / b;
}

int64_t date_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;                                    /* [0, 399] */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void date_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool date_valid(const struct date *d)
{
    static const uint8_t mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    /* years far enough from 0 that seconds cannot overflow: +-2^37 */
    if (d->year < -(1ll << 37) || d->year > 1ll << 37)
        return false;
    if (d->month < 1 || d->month > 12 || d->day < 1 || d->day > mdays[d->month - 1])
        return false;
    if (d->month == 2 && d->day == 29 && !leap(d->year))
        return false;
    return d->hour <= 23 && d->minute <= 59 && d->second <= 60;
}

int64_t date_to_unix(const struct date *d)
{
    return date_days_from_civil(d->year, d->month, d->day) * 86400 + d->hour * 3600 +
           d->minute * 60 + d->second;
}

void date_from_unix(int64_t t, struct date *d)
{
    int64_t days = floor_div(t, 86400), s = t - days * 86400;
    date_civil_from_days(days, &d->year, &d->month, &d->day);
    d->hour = (unsigned)(s / 3600);
    d->minute = (unsigned)(s / 60 % 60);
    d->second = (unsigned)(s % 60);
}

static bool bcd_ok(uint8_t v) { return (v >> 4) <= 9 && (v & 15) <= 9; }

enum date_result date_from_cmos(const uint8_t regs[CMOS_NREGS], uint8_t status_b, int64_t *t)
{
    unsigned v[CMOS_NREGS];
    bool binary = status_b & 4, h24 = status_b & 2;
    bool pm = !h24 && (regs[CMOS_HOUR] & 0x80);
    for (int i = 0; i < CMOS_NREGS; i++) {
        uint8_t r = i == CMOS_HOUR && !h24 ? regs[i] & 0x7f : regs[i];
        if (!binary && !bcd_ok(r))
            return DATE_BAD;
        v[i] = binary ? r : (unsigned)(r >> 4) * 10 + (r & 15);
    }
    if (!h24) {
        if (v[CMOS_HOUR] < 1 || v[CMOS_HOUR] > 12)
            return DATE_BAD;
        v[CMOS_HOUR] = v[CMOS_HOUR] % 12 + (pm ? 12 : 0);
    }
    unsigned century = v[CMOS_CENTURY] >= 19 && v[CMOS_CENTURY] <= 21 ? v[CMOS_CENTURY] : 20;
    if (v[CMOS_YEAR] > 99)
        return DATE_BAD;
    struct date d = {century * 100 + v[CMOS_YEAR], v[CMOS_MONTH], v[CMOS_DAY],
                     v[CMOS_HOUR], v[CMOS_MIN], v[CMOS_SEC]};
    if (!date_valid(&d))
        return DATE_BAD;
    *t = date_to_unix(&d);
    return DATE_OK;
}
