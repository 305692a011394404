/* The time of a Common/Combined line in epoch seconds, by arithmetic (see epoch_seconds). */
#include "kernel.h"

static inline int two_digits(const unsigned char *at, int low, int high) {
    if (!is_digit(at[0]) || !is_digit(at[1])) return -1;
    int value = (at[0] - '0') * 10 + (at[1] - '0');
    return value >= low && value <= high ? value : -1;
}

/* Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t year, int month, int day) {
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t of_era = year - era * 400;
    int64_t of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    return era * 146097 + of_era * 365 + of_era / 4 - of_era / 100 + of_year - 719468;
}

/* UTC epoch seconds of `dd/Mon/yyyy:HH:MM:SS +zzzz`, or UNREAD_TIME for anything but a plain
   valid time (English month names as written, a real day of the month, 00-23:00-59:00-59, an
   offset of -23:59 to +23:59): those the caller reads with pandas, whose answer is the rule. */
int64_t epoch_seconds(const unsigned char *at) {
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    static const int month_days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (at[2] != '/' || at[6] != '/' || at[11] != ':' || at[14] != ':' || at[17] != ':' || at[20] != ' '
        || (at[21] != '+' && at[21] != '-'))
        return UNREAD_TIME;
    int month = 0;
    while (month < 12 && memcmp(names + 3 * month, at + 3, 3) != 0) month++;
    int day = two_digits(at, 1, 31), century = two_digits(at + 7, 0, 99), years = two_digits(at + 9, 0, 99);
    int hour = two_digits(at + 12, 0, 23), minute = two_digits(at + 15, 0, 59), second = two_digits(at + 18, 0, 59);
    int offset_hours = two_digits(at + 22, 0, 23), offset_minutes = two_digits(at + 24, 0, 59);
    if (month == 12 || day < 0 || century < 0 || years < 0 || hour < 0 || minute < 0 || second < 0
        || offset_hours < 0 || offset_minutes < 0)
        return UNREAD_TIME;
    int year = century * 100 + years;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (year == 0 || day > month_days[month] || (month == 1 && day == 29 && !leap)) return UNREAD_TIME;
    int64_t offset = (offset_hours * 3600 + offset_minutes * 60) * (at[21] == '-' ? -1 : 1);
    return days_from_civil(year, month + 1, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
}

