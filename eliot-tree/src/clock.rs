//! The date and time of a timestamp, in UTC or in the local time zone,
//! exactly as Python's `datetime.fromtimestamp` gives them: the fraction is
//! rounded to the microsecond (half to even), and only the years 1 to 9999
//! exist.

use std::fmt::Write as _;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// Where dates are shown.
#[derive(Clone, Debug)]
pub(crate) struct Clock {
    zone: TimeZone,
    local: bool,
}

/// A date and time on the wall clock of a [`Clock`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WallTime {
    pub(crate) year: i16,
    pub(crate) month: i8,
    pub(crate) day: i8,
    pub(crate) hour: i8,
    pub(crate) minute: i8,
    pub(crate) second: i8,
    pub(crate) microsecond: u32,
}

impl Clock {
    /// Dates in UTC.
    pub(crate) fn utc() -> Self {
        Clock {
            zone: TimeZone::UTC,
            local: false,
        }
    }

    /// Dates in the system's time zone: `TZ` when set, else
    /// `/etc/localtime`, as libc (and so Python) finds it. A zone that cannot
    /// be found is UTC, as it is for libc.
    pub(crate) fn local() -> Self {
        Clock {
            zone: TimeZone::system(),
            local: true,
        }
    }

    /// UTC, or the local time zone when `local`.
    pub(crate) fn new(local: bool) -> Self {
        if local { Self::local() } else { Self::utc() }
    }

    /// Whether this clock shows local time.
    pub(crate) fn is_local(&self) -> bool {
        self.local
    }

    /// Appends a timestamp as Python's eliot-tree shows it in this zone:
    /// `2026-11-26 08:52:30`, to the second (the microseconds rounded
    /// first, as Python does); a timestamp beyond the years 1 to 9999 as a
    /// number.
    pub(crate) fn date_into(&self, out: &mut String, timestamp: f64) {
        match self.wall_time_of_float(timestamp) {
            Some(wall) => {
                let _ = write!(
                    out,
                    "{:04}-{:02}-{:02} {:02}:{:02}:{:02}{}",
                    wall.year,
                    wall.month,
                    wall.day,
                    wall.hour,
                    wall.minute,
                    wall.second,
                    if self.local { "" } else { "Z" }
                );
            }
            None => crate::format::python_float_into(out, timestamp),
        }
    }

    /// The wall time of a timestamp in seconds since the epoch, or `None`
    /// where Python's `datetime` fails (NaN, beyond the years 1 to 9999).
    pub(crate) fn wall_time_of_float(&self, timestamp: f64) -> Option<WallTime> {
        let (seconds, microsecond) = round_to_microseconds(timestamp)?;
        self.wall_time(seconds, microsecond)
    }

    /// The wall time of whole seconds and microseconds since the epoch, or
    /// `None` beyond the years 1 to 9999.
    pub(crate) fn wall_time(&self, seconds: i64, microsecond: u32) -> Option<WallTime> {
        // jiff's instants stop a day short of the end of year 9999 (so that
        // any offset keeps a date in range), Python's do not: past the last
        // one, its offset is used.
        let nearest = seconds.clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
        let offset = self.zone.to_offset(Timestamp::from_second(nearest).ok()?);
        let local_seconds = seconds.checked_add(i64::from(offset.seconds()))?;
        let civil = DateTime::constant(1970, 1, 1, 0, 0, 0, 0)
            .checked_add(SignedDuration::from_secs(local_seconds))
            .ok()?;
        if !(1..=9999).contains(&civil.year()) {
            return None;
        }
        Some(WallTime {
            year: civil.year(),
            month: civil.month(),
            day: civil.day(),
            hour: civil.hour(),
            minute: civil.minute(),
            second: civil.second(),
            microsecond,
        })
    }
}

/// Whole seconds and microseconds, Python's way (`_PyTime_ObjectToTimeval`
/// with `ROUND_HALF_EVEN`): the fraction is rounded to the microsecond, half
/// to even, and carried into the seconds. `None` for NaN and for seconds
/// beyond a 64-bit `time_t`.
pub(crate) fn round_to_microseconds(timestamp: f64) -> Option<(i64, u32)> {
    // ±2^63: beyond it the seconds do not fit (NaN fails the test too).
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    let whole = timestamp.trunc();
    if !(-LIMIT..LIMIT).contains(&whole) {
        return None;
    }
    let mut micros = ((timestamp - whole) * 1e6).round_ties_even();
    // In range: checked above.
    let mut seconds = whole as i64;
    if micros >= 1e6 {
        micros -= 1e6;
        seconds = seconds.checked_add(1)?;
    } else if micros < 0.0 {
        micros += 1e6;
        seconds = seconds.checked_sub(1)?;
    }
    // 0 <= micros < 1e6 here.
    Some((seconds, micros as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_round_half_to_even() {
        assert_eq!(round_to_microseconds(1.5), Some((1, 500_000)));
        assert_eq!(round_to_microseconds(0.000_000_5), Some((0, 0)));
        assert_eq!(round_to_microseconds(0.000_001_5), Some((0, 2)));
        assert_eq!(
            round_to_microseconds(1_795_683_150.999_999_7),
            Some((1_795_683_151, 0))
        );
        assert_eq!(round_to_microseconds(-0.5), Some((-1, 500_000)));
        assert_eq!(round_to_microseconds(-1e-7), Some((0, 0)));
        assert_eq!(round_to_microseconds(f64::NAN), None);
        assert_eq!(round_to_microseconds(1e19), None);
    }

    #[test]
    fn only_years_one_to_9999_exist() {
        let utc = Clock::utc();
        let first = utc.wall_time(-62_135_596_800, 0).unwrap();
        assert_eq!((first.year, first.month, first.day), (1, 1, 1));
        assert!(utc.wall_time(-62_135_596_801, 0).is_none());
        let last = utc.wall_time(253_402_300_799, 999_999).unwrap();
        assert_eq!((last.year, last.hour, last.second), (9999, 23, 59));
        assert!(utc.wall_time(253_402_300_800, 0).is_none());
        assert!(utc.wall_time(i64::MAX, 0).is_none());
    }
}
