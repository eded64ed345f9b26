/*
 * test_date: lib/date against glibc's timegm/gmtime_r over random instants
 * across +-10 000 years, the round trip of every day in +-2 million,
 * date_valid's edges (leap years by the 4/100/400 rules), and the CMOS
 * decoder: BCD and binary, 12- and 24-hour, the century register, and
 * hostile registers (bad BCD nibbles, month 13, 31 November, hour 13 on
 * a 12-hour clock, every byte value) answered with DATE_BAD, never a
 * time built from garbage.
 */
#define _GNU_SOURCE
#include "date/date.h"
#include "vtest.h"
#include "vtest_util.h"

#include <time.h>

static uint64_t rng = 0x2545f4914f6cdd1dull;

TEST(known_days)
{
    CHECK_EQ(date_days_from_civil(1970, 1, 1), 0);
    CHECK_EQ(date_days_from_civil(1969, 12, 31), -1);
    CHECK_EQ(date_days_from_civil(2000, 3, 1), 11017);
    CHECK_EQ(date_days_from_civil(0, 3, 1), -719468);
    struct date d = {2026, 12, 3, 14, 5, 0};
    CHECK_EQ(date_to_unix(&d), 1796306700);
}

TEST(every_day_round_trips)
{
    int64_t prev_y = 0;
    unsigned prev_m = 0, prev_d = 0;
    for (int64_t days = -2000000; days <= 2000000; days++) {
        int64_t y;
        unsigned m, d;
        date_civil_from_days(days, &y, &m, &d);
        struct date dt = {y, m, d, 0, 0, 0};
        if (!date_valid(&dt) || date_days_from_civil(y, m, d) != days)
            vtest_fail(__FILE__, __LINE__, "day %lld -> %lld-%u-%u", (long long)days,
                       (long long)y, m, d);
        if (days > -2000000 && !(y > prev_y || m > prev_m || d > prev_d))
            vtest_fail(__FILE__, __LINE__, "day %lld does not follow the last", (long long)days);
        prev_y = y, prev_m = m, prev_d = d;
    }
}

TEST(agrees_with_glibc)
{
    for (int n = 0; n < 200000; n++) {
        int64_t t = (int64_t)(vtest_xorshift64(&rng) % (2 * 315569520000ull)) - 315569520000ll;
        time_t tt = (time_t)t;
        struct tm tm;
        CHECK(gmtime_r(&tt, &tm));
        struct date d;
        date_from_unix(t, &d);
        if (d.year != tm.tm_year + 1900ll || d.month != (unsigned)tm.tm_mon + 1 ||
            d.day != (unsigned)tm.tm_mday || d.hour != (unsigned)tm.tm_hour ||
            d.minute != (unsigned)tm.tm_min || d.second != (unsigned)tm.tm_sec)
            vtest_fail(__FILE__, __LINE__, "%lld: ours %lld-%u-%u %u:%u:%u", (long long)t,
                       (long long)d.year, d.month, d.day, d.hour, d.minute, d.second);
        CHECK(date_valid(&d));
        CHECK_EQ(date_to_unix(&d), t);
        CHECK_EQ(date_to_unix(&d), (int64_t)timegm(&tm));
    }
}

TEST(validity_edges)
{
    static const struct {
        struct date d;
        int ok;
    } cases[] = {
        {{2024, 2, 29, 0, 0, 0}, 1},  {{2023, 2, 29, 0, 0, 0}, 0},
        {{2000, 2, 29, 0, 0, 0}, 1},  {{1900, 2, 29, 0, 0, 0}, 0},
        {{2026, 11, 31, 0, 0, 0}, 0}, {{2026, 12, 31, 23, 59, 60}, 1},
        {{2026, 0, 1, 0, 0, 0}, 0},   {{2026, 13, 1, 0, 0, 0}, 0},
        {{2026, 1, 0, 0, 0, 0}, 0},   {{2026, 1, 1, 24, 0, 0}, 0},
        {{2026, 1, 1, 0, 60, 0}, 0},  {{2026, 1, 1, 0, 0, 61}, 0},
        {{-4000, 1, 1, 0, 0, 0}, 1},  {{(int64_t)1 << 40, 1, 1, 0, 0, 0}, 0},
        {{-((int64_t)1 << 40), 1, 1, 0, 0, 0}, 0},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (date_valid(&cases[i].d) != cases[i].ok)
            vtest_fail(__FILE__, __LINE__, "case %u: valid %d", i, !cases[i].ok);
}

static uint8_t bcd(unsigned v) { return (uint8_t)((v / 10) << 4 | v % 10); }

TEST(cmos_bcd_binary_12_24_century)
{
    int64_t t = 0, want = date_to_unix(&(struct date){2026, 12, 3, 14, 5, 9});
    uint8_t r[CMOS_NREGS] = {bcd(9), bcd(5), bcd(14), bcd(3), bcd(12), bcd(26), bcd(20)};
    CHECK_EQ(date_from_cmos(r, 0x02, &t), DATE_OK);            /* BCD, 24-hour */
    CHECK_EQ(t, want);
    uint8_t b[CMOS_NREGS] = {9, 5, 14, 3, 12, 26, 20};
    CHECK_EQ(date_from_cmos(b, 0x06, &t), DATE_OK);            /* binary, 24-hour */
    CHECK_EQ(t, want);
    r[CMOS_HOUR] = 0x80 | bcd(2);                              /* 2 pm */
    CHECK_EQ(date_from_cmos(r, 0x00, &t), DATE_OK);
    CHECK_EQ(t, want);
    r[CMOS_HOUR] = bcd(12);                                    /* 12 am is 00 */
    CHECK_EQ(date_from_cmos(r, 0x00, &t), DATE_OK);
    CHECK_EQ(t, want - 14 * 3600);
    r[CMOS_HOUR] = 0x80 | bcd(12);                             /* 12 pm is 12 */
    CHECK_EQ(date_from_cmos(r, 0x00, &t), DATE_OK);
    CHECK_EQ(t, want - 2 * 3600);
    r[CMOS_HOUR] = bcd(14);
    r[CMOS_CENTURY] = bcd(19);
    CHECK_EQ(date_from_cmos(r, 0x02, &t), DATE_OK);
    CHECK_EQ(t, date_to_unix(&(struct date){1926, 12, 3, 14, 5, 9}));
    r[CMOS_CENTURY] = 0;                                       /* no century register */
    CHECK_EQ(date_from_cmos(r, 0x02, &t), DATE_OK);
    CHECK_EQ(t, want);
}

TEST(cmos_hostile_registers_are_bad)
{
    int64_t t = 12345;
    uint8_t r[CMOS_NREGS] = {bcd(9), bcd(5), bcd(14), bcd(3), bcd(12), bcd(26), bcd(20)};
    r[CMOS_SEC] = 0x5a;                                        /* not BCD */
    CHECK_EQ(date_from_cmos(r, 0x02, &t), DATE_BAD);
    r[CMOS_SEC] = bcd(9);
    r[CMOS_MONTH] = bcd(13);
    CHECK_EQ(date_from_cmos(r, 0x02, &t), DATE_BAD);
    r[CMOS_MONTH] = bcd(11);
    r[CMOS_DAY] = bcd(31);                                     /* 31 November */
    CHECK_EQ(date_from_cmos(r, 0x02, &t), DATE_BAD);
    r[CMOS_DAY] = bcd(3);
    r[CMOS_HOUR] = bcd(13);                                    /* 13 on a 12-hour clock */
    CHECK_EQ(date_from_cmos(r, 0x00, &t), DATE_BAD);
    r[CMOS_HOUR] = 0;                                          /* 0 on a 12-hour clock */
    CHECK_EQ(date_from_cmos(r, 0x00, &t), DATE_BAD);
    uint8_t b[CMOS_NREGS] = {9, 5, 14, 3, 12, 126, 20};        /* binary year 126 */
    CHECK_EQ(date_from_cmos(b, 0x06, &t), DATE_BAD);
    CHECK_EQ(t, 12345);                                        /* untouched when bad */
    /* every byte in every register, the others valid: OK only with a valid date */
    for (int reg = 0; reg < CMOS_NREGS; reg++)
        for (unsigned v = 0; v < 256; v++)
            for (uint8_t sb = 0; sb < 8; sb++) {
                uint8_t x[CMOS_NREGS] = {9, 5, 14, 3, 12, 26, 20};
                if (!(sb & 4))
                    for (int i = 0; i < CMOS_NREGS; i++)
                        x[i] = bcd(x[i]);
                if (!(sb & 2))
                    x[CMOS_HOUR] = (uint8_t)(sb & 4 ? 2 : bcd(2)) | 0x80;
                x[reg] = (uint8_t)v;
                if (date_from_cmos(x, sb, &t) == DATE_OK) {
                    struct date d;
                    date_from_unix(t, &d);
                    CHECK(date_valid(&d));
                    CHECK(d.year >= 1900 && d.year <= 2199);
                }
            }
}
