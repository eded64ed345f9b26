/*
 * date: the proleptic Gregorian calendar in UTC, as Unix time, and the
 * decoding of a PC CMOS clock's registers.
 *
 *     int64_t t = date_to_unix(&(struct date){2026, 12, 3, 14, 5, 0});
 *     date_from_unix(t, &d);                d is that date again
 *
 * Days are counted by eras of 400 years (146 097 days), so the arithmetic
 * is exact for every year an int64_t of seconds can hold a day of, and
 * holds without tables or loops; there are no leap seconds (Unix time).
 *
 * date_from_cmos turns the raw registers of an MC146818-style clock (as
 * read twice alike by the caller) into Unix time, honouring register B's
 * binary/BCD and 12/24-hour bits and the century register when it holds
 * 19..21 (else the 21st century). Whatever the bytes, it returns a named
 * result: DATE_BAD when a field is out of its range (a clock that was
 * never set, or a corrupt register), never a time built from garbage.
 */
#ifndef LIB_DATE_DATE_H
#define LIB_DATE_DATE_H

#include <stdbool.h>
#include <stdint.h>

struct date {
    int64_t year;
    unsigned month, day;            /* 1..12, 1..31 */
    unsigned hour, minute, second;  /* 0..23, 0..59, 0..60 */
};

/* Days since 1970-01-01 (negative before), and back. */
int64_t date_days_from_civil(int64_t year, unsigned month, unsigned day);
void date_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day);

/* Whether d names a real instant: month, day (in that month, leap years
 * counted), hour, minute and second (60 for a leap second) in range. */
bool date_valid(const struct date *d);
int64_t date_to_unix(const struct date *d);   /* d must be date_valid */
void date_from_unix(int64_t t, struct date *d);

/* CMOS registers in the order date_from_cmos reads them. */
enum { CMOS_SEC, CMOS_MIN, CMOS_HOUR, CMOS_DAY, CMOS_MONTH, CMOS_YEAR, CMOS_CENTURY,
       CMOS_NREGS };
/* Their indices in the CMOS (the century's is ACPI FADT's usual 0x32). */
extern const uint8_t date_cmos_regs[CMOS_NREGS];
#define CMOS_STATUS_A 0x0a          /* bit 7: an update is in progress */
#define CMOS_STATUS_B 0x0b          /* bit 1: 24-hour; bit 2: binary */

enum date_result { DATE_OK = 0, DATE_BAD };
enum date_result date_from_cmos(const uint8_t regs[CMOS_NREGS], uint8_t status_b, int64_t *t);

#endif
