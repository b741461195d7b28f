//! Timestamps as a person reads them: the time of day of a message, and how
//! long an action took.

use std::io::Write as _;

/// A message's `timestamp`, read exactly from its decimal text: whole
/// seconds since the Unix epoch and nanoseconds. Kept apart so that the
/// difference of two timestamps (a duration) keeps its precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Timestamp {
    secs: u64,
    nanos: u32,
}

/// The last second shown as a time: the end of year 9999.
const LAST_SECOND: u64 = 253_402_300_799;

impl Timestamp {
    /// Reads a JSON number of seconds since the Unix epoch; `None` for any
    /// other value, and for times before 1970 or after year 9999.
    pub(super) fn parse(raw: &str) -> Option<Self> {
        Self::parse_decimal(raw)
            .or_else(|| Self::from_seconds(raw.parse().ok()?))
            .filter(|t| t.secs <= LAST_SECOND)
    }

    /// `1795682709.1234567`, the form Eliot writes: read digit by digit,
    /// without going through a float.
    fn parse_decimal(raw: &str) -> Option<Self> {
        let b = raw.as_bytes();
        let mut at = 0;
        let mut secs = 0u64;
        while let Some(digit) = b.get(at).filter(|c| c.is_ascii_digit()) {
            if at == 12 {
                return None;
            }
            secs = secs * 10 + u64::from(digit - b'0');
            at += 1;
        }
        if at == 0 {
            return None;
        }
        let mut nanos = 0u32;
        if at < b.len() {
            if b[at] != b'.' || at + 1 == b.len() {
                return None;
            }
            // Digits past the nanosecond are checked, not counted.
            let fraction = &b[at + 1..];
            for (place, &digit) in fraction.iter().enumerate() {
                if !digit.is_ascii_digit() {
                    return None;
                }
                if place < 9 {
                    nanos = nanos * 10 + u32::from(digit - b'0');
                }
            }
            nanos *= 10u32.pow(9u32.saturating_sub(fraction.len() as u32));
        }
        Some(Timestamp { secs, nanos })
    }

    /// Any other number (`1.7e9`), through a float.
    fn from_seconds(seconds: f64) -> Option<Self> {
        if !(0.0..=LAST_SECOND as f64).contains(&seconds) {
            return None;
        }
        let whole = seconds.floor();
        let nanos = ((seconds - whole) * 1e9) as u32;
        Some(Timestamp {
            secs: whole as u64,
            nanos: nanos.min(999_999_999),
        })
    }

    /// Seconds from `earlier` to this time, negative when it is later.
    pub(super) fn seconds_since(self, earlier: Timestamp) -> f64 {
        let secs = self.secs as f64 - earlier.secs as f64;
        secs + (f64::from(self.nanos) - f64::from(earlier.nanos)) * 1e-9
    }

    /// `HH:MM:SS.mmmZ`, the UTC time of day.
    pub(super) fn write_time_of_day(self, out: &mut Vec<u8>) {
        // Rounded to the microsecond first, as Python's datetime does, then
        // cut to the millisecond.
        let micros = self.secs * 1_000_000 + u64::from((self.nanos + 500) / 1000);
        let millis = micros / 1000;
        let of_day = millis / 1000 % 86_400;
        let ms = millis % 1000;
        let digit = |n: u64| b'0' + (n % 10) as u8;
        let (hours, minutes, seconds) = (of_day / 3600, of_day % 3600 / 60, of_day % 60);
        out.extend_from_slice(&[
            digit(hours / 10),
            digit(hours),
            b':',
            digit(minutes / 10),
            digit(minutes),
            b':',
            digit(seconds / 10),
            digit(seconds),
            b'.',
            digit(ms / 100),
            digit(ms / 10),
            digit(ms),
            b'Z',
        ]);
    }
}

/// A duration with three significant digits in the unit that suits it:
/// `850µs`, `1.25ms`, `2.50s`, `1m05s`, `2h03m`.
pub(super) fn write_duration(out: &mut Vec<u8>, seconds: f64, micro: &str) {
    if !seconds.is_finite() {
        out.push(b'?');
        return;
    }
    if seconds < 0.0 {
        out.push(b'-');
    }
    let s = seconds.abs();
    let us = s * 1e6;
    let ms = s * 1e3;
    // Writing to a Vec cannot fail.
    let _ = if us < 9.95 {
        write!(out, "{us:.1}{micro}")
    } else if us < 999.5 {
        write!(out, "{us:.0}{micro}")
    } else if ms < 9.995 {
        write!(out, "{ms:.2}ms")
    } else if ms < 99.95 {
        write!(out, "{ms:.1}ms")
    } else if ms < 999.5 {
        write!(out, "{ms:.0}ms")
    } else if s < 9.995 {
        write!(out, "{s:.2}s")
    } else if s < 59.95 {
        write!(out, "{s:.1}s")
    } else {
        let total = s.round() as u64;
        if total < 3600 {
            write!(out, "{}m{:02}s", total / 60, total % 60)
        } else {
            write!(out, "{}h{:02}m", total / 3600, total % 3600 / 60)
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duration(seconds: f64) -> String {
        let mut out = Vec::new();
        write_duration(&mut out, seconds, "µs");
        String::from_utf8(out).unwrap()
    }

    fn time(raw: &str) -> String {
        let mut out = Vec::new();
        Timestamp::parse(raw).unwrap().write_time_of_day(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn durations_keep_three_significant_digits() {
        assert_eq!(duration(0.000_000_4), "0.4µs");
        assert_eq!(duration(0.000_012_34), "12µs");
        assert_eq!(duration(0.000_85), "850µs");
        assert_eq!(duration(0.000_999_7), "1.00ms");
        assert_eq!(duration(0.001_25), "1.25ms");
        assert_eq!(duration(0.012_34), "12.3ms");
        assert_eq!(duration(0.123_4), "123ms");
        assert_eq!(duration(2.5), "2.50s");
        assert_eq!(duration(12.34), "12.3s");
        assert_eq!(duration(65.0), "1m05s");
        assert_eq!(duration(7380.0), "2h03m");
        assert_eq!(duration(-0.002), "-2.00ms");
        assert_eq!(duration(f64::NAN), "?");
    }

    #[test]
    fn times_are_utc_times_of_day_to_the_millisecond() {
        assert_eq!(time("0"), "00:00:00.000Z");
        assert_eq!(time("1795682709.127"), "08:45:09.127Z");
        assert_eq!(
            time("1795682709.1269996"),
            "08:45:09.127Z",
            "to the µs, then cut"
        );
        assert_eq!(time("1795682709.1269994"), "08:45:09.126Z");
        assert_eq!(time("86399.9999996"), "00:00:00.000Z");
        assert_eq!(time("86399.9996"), "23:59:59.999Z");
        assert_eq!(time("1.7956827091e9"), "08:45:09.100Z");
        assert_eq!(
            time("3600.0004999999999"),
            "01:00:00.000Z",
            "digits past the nanosecond do not count"
        );
    }

    #[test]
    fn only_numbers_of_the_calendar_are_times() {
        for raw in ["-1", "\"1.5\"", "1e300", "NaN", "", "253402300800", "null"] {
            assert_eq!(Timestamp::parse(raw), None, "{raw}");
        }
        assert!(Timestamp::parse("253402300799.999").is_some());
    }

    #[test]
    fn durations_are_exact_differences() {
        let start = Timestamp::parse("1795682709.1234567").unwrap();
        let end = Timestamp::parse("1795682709.1247067").unwrap();
        assert!((end.seconds_since(start) - 0.00125).abs() < 1e-12);
        assert!((start.seconds_since(end) + 0.00125).abs() < 1e-12);
    }
}
