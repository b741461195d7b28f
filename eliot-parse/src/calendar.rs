//! Calendar dates of Unix days: the one place that turns a count of days
//! since 1970-01-01 into a year, month and day, and back.
//!
//! Logs give times as Unix timestamps; the `eliot-tree` command draws and
//! reads dates with these functions, and eliot-core's syslog destination
//! writes its timestamps with them. Each applies its own rounding of seconds
//! before asking for a date.
//!
//! ```
//! use eliot_parse::calendar::{civil_from_days, days_from_civil, is_valid_date};
//!
//! assert_eq!(civil_from_days(0), (1970, 1, 1));
//! assert_eq!(days_from_civil(2026, 11, 26), 20_783);
//! assert!(!is_valid_date(2026, 2, 29));
//! ```

/// The proleptic Gregorian date (year, month 1 to 12, day 1 to 31) of a
/// count of days since 1970-01-01, negative before it (Howard Hinnant's
/// `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`). A day past the end of its month counts on into the
/// next month (`2026-02-31` is `2026-03-03`); [`is_valid_date`] tells.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Whether `year-month-day` is a date of the calendar: month 1 to 12, and
/// a day that the month has.
pub fn is_valid_date(year: i64, month: u32, day: u32) -> bool {
    (1..=12).contains(&month)
        && day >= 1
        && civil_from_days(days_from_civil(year, month, day)) == (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_the_civil_calendar() {
        for days in [-719_468, -1, 0, 1, 365, 10_957, 20_000, 20_783, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(days_from_civil(2026, 11, 26), 20_783);
    }

    #[test]
    fn only_days_that_the_month_has_are_valid() {
        assert!(is_valid_date(2024, 2, 29), "a leap day");
        assert!(is_valid_date(2000, 2, 29), "divisible by 400: a leap year");
        assert!(
            !is_valid_date(1900, 2, 29),
            "divisible by 100: not a leap year"
        );
        assert!(!is_valid_date(2026, 2, 29));
        assert!(!is_valid_date(2026, 2, 31));
        assert!(!is_valid_date(2026, 4, 31));
        assert!(is_valid_date(2026, 12, 31));
        assert!(!is_valid_date(2026, 13, 1));
        assert!(!is_valid_date(2026, 0, 1));
        assert!(!is_valid_date(2026, 1, 0));
    }
}
