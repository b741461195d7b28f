//! A decimal number's value as an `f64`, from its digits read as they are
//! scanned: every line has a timestamp, and parsing its text again with
//! `str::parse` cost as much as scanning a quarter of the line.
//!
//! Loggers write timestamps as plain digits with a fraction: 17 significant
//! digits for Python's `time.time()` (more than the 15 of the classic fast
//! path, which divides two exact `f64`s). Here the quotient is taken in
//! integers, wide enough that its low bits and remainder decide the
//! rounding: the result is the correctly rounded one, as `str::parse` gives.

/// `digits / 10^scale`, correctly rounded to the nearest `f64` (ties to
/// even), for `scale` up to 19.
pub(crate) fn ratio_to_f64(digits: u64, scale: u32) -> f64 {
    debug_assert!(scale <= 19);
    if digits == 0 {
        return 0.0;
    }
    let divisor = u128::from(10u64.pow(scale));
    // The dividend shifted to 127 bits, so that the quotient has 63 bits
    // or more (the divisor has 64 at most): 53 for the mantissa, and the
    // rest to round with.
    let shift = digits.leading_zeros() + 63;
    let dividend = u128::from(digits) << shift;
    let (quotient, remainder) = (dividend / divisor, dividend % divisor);
    let below = 128 - quotient.leading_zeros() - 53;
    let mut mantissa = (quotient >> below) as u64;
    let low = quotient & ((1 << below) - 1);
    let half = 1 << (below - 1);
    let round_up = low > half || (low == half && (remainder != 0 || mantissa & 1 == 1));
    let mut exponent = below as i32 - shift as i32;
    if round_up {
        mantissa += 1;
        if mantissa == 1 << 53 {
            mantissa >>= 1;
            exponent += 1;
        }
    }
    // Both factors are exact (the mantissa has 53 bits; the exponent is
    // within -127..=64), and so is their product.
    mantissa as f64 * power_of_two(exponent)
}

fn power_of_two(exponent: i32) -> f64 {
    f64::from_bits(((1023 + exponent) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(digits: u64, scale: u32) -> f64 {
        format!("{digits}e-{scale}").parse().unwrap()
    }

    #[test]
    fn ratios_round_as_std_parses_their_text() {
        // Timestamps as Python and eliot-rs write them, and numbers of
        // every length and scale; a xorshift for the same cases each run.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..1_000_000 {
            let random = next();
            let digits = match random % 4 {
                0 => 17_000_000_000_000_000 + next() % 1_000_000_000_000_000,
                1 => random >> (next() % 64),
                2 => next() % 10u64.pow((next() % 20) as u32),
                _ => u64::MAX - next() % 1000,
            };
            let scale = (next() % 20) as u32;
            assert_eq!(
                ratio_to_f64(digits, scale).to_bits(),
                parsed(digits, scale).to_bits(),
                "{digits}e-{scale}"
            );
        }
    }

    #[test]
    fn halfway_cases_round_to_even() {
        // 2^53 + 1/2 and 2^53 + 3/2: exactly between two doubles.
        let base = 1u64 << 53;
        for (digits, scale) in [
            (base * 10 + 5, 1),
            (base * 10 + 15, 1),
            (base * 100 + 50, 2),
            (base * 100 + 51, 2),
            (base * 100 + 49, 2),
            ((base + 1) * 10 + 5, 1),
        ] {
            assert_eq!(
                ratio_to_f64(digits, scale),
                parsed(digits, scale),
                "{digits}e-{scale}"
            );
        }
        assert_eq!(ratio_to_f64(0, 7), 0.0);
        assert_eq!(ratio_to_f64(1, 19), 1e-19);
        assert_eq!(ratio_to_f64(u64::MAX, 0), u64::MAX as f64);
        assert_eq!(
            ratio_to_f64(17_965_862_109_375_565, 7),
            1_796_586_210.937_556_5
        );
    }
}
