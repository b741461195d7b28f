//! How values, timestamps and durations are written: the way Python's
//! eliot-tree writes them, with terminal control characters neutralised.

use std::cell::RefCell;
use std::fmt::Write;

use eliot_parse::calendar::civil_from_days;

/// Appends `text` with every terminal control character replaced by a
/// harmless visible stand-in, so that a field cannot move the cursor,
/// change colours or retitle the window (eliottree issue 44).
///
/// C0 controls and DEL become their Unicode control pictures (`␛` for
/// ESC), as in Python's eliot-tree; C1 controls (U+0080 to U+009F, which
/// some terminals obey too, and which Python's eliot-tree lets through)
/// become `\u{9b}`-style text, and so do the bidirectional embeddings,
/// overrides and isolates (U+202A to U+202E, U+2066 to U+2069), which
/// would reorder the rest of the line so that it reads as something else
/// ("Trojan Source"). With `keep_newlines`, `\n` is kept.
///
/// ```
/// let mut out = String::new();
/// eliot_tree::format::escape_into(&mut out, "red\x1b[31m\u{9b}2J", false);
/// assert_eq!(out, "red␛[31m\\u{9b}2J");
/// out.clear();
/// eliot_tree::format::escape_into(&mut out, "user\u{202e}nimda", false);
/// assert_eq!(out, "user\\u{202e}nimda");
/// ```
#[inline]
pub fn escape_into(out: &mut String, text: &str, keep_newlines: bool) {
    escape_lines_into(out, text, |out| {
        if keep_newlines {
            out.push('\n');
        } else {
            out.push('\u{240a}');
        }
    });
}

/// [`escape_into`], with each newline written by `newline`.
// Inlined: most keys and names are printable ASCII, pushed after one test;
// the rest is out of line, so that this costs no call and no saved
// registers.
#[inline]
pub(crate) fn escape_lines_into(out: &mut String, text: &str, newline: impl FnMut(&mut String)) {
    if is_printable_ascii(text.as_bytes(), false) {
        out.push_str(text);
    } else {
        escape_other_into(out, text, newline);
    }
}

/// [`escape_lines_into`] for text that is not all printable ASCII.
#[inline(never)]
fn escape_other_into(out: &mut String, text: &str, mut newline: impl FnMut(&mut String)) {
    if !has_control(text.as_bytes()) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '\n' => newline(out),
            '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
            '\u{7f}' => out.push('\u{2421}'),
            '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// Whether `bytes` are all printable ASCII, space to `~` (and no backslash,
/// with `no_backslash`). Most keys and values are: they are written as they
/// are, after this test of eight bytes at a time.
#[inline]
pub(crate) fn is_printable_ascii(bytes: &[u8], no_backslash: bool) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = ONES * 0x80;
    let printable = |word: u64| {
        // A byte's high bit is set in `below_space` when the byte is below
        // 0x20, in `del_or_above` when it is 0x7F or above, in `backslash`
        // when it is one (the "has a zero byte" tests: exact for whether any
        // byte is, which is all that is asked).
        let below_space = word.wrapping_sub(ONES * 0x20) & !word;
        let del_or_above = word | word.wrapping_add(ONES);
        let backslash = if no_backslash {
            (word ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES) & !word
        } else {
            0
        };
        (below_space | del_or_above | backslash) & HIGHS == 0
    };
    // The last eight bytes (which may overlap the last whole word); of a
    // shorter text, its bytes as two overlapping halves, or its first,
    // middle and last bytes before spaces: read in place, in a few
    // instructions, where copying them into a padded word called memcpy
    // and a loop took a step a byte.
    const SPACES: u64 = ONES * 0x20;
    let len = bytes.len();
    let half = |at: usize| {
        u64::from(u32::from_le_bytes(
            bytes[at..at + 4].try_into().unwrap_or_default(),
        ))
    };
    let tail = match len {
        8.. => u64::from_le_bytes(bytes[len - 8..].try_into().unwrap_or_default()),
        4..=7 => half(0) | half(len - 4) << 32,
        1..=3 => {
            u64::from(bytes[0])
                | u64::from(bytes[len / 2]) << 8
                | u64::from(bytes[len - 1]) << 16
                | SPACES << 24
        }
        0 => SPACES,
    };
    printable(tail)
        && bytes
            .chunks_exact(8)
            .all(|chunk| printable(u64::from_le_bytes(chunk.try_into().unwrap_or_default())))
}

/// Whether UTF-8 `bytes` hold a control character: a C0 control or DEL
/// (one byte each), a C1 control (`0xC2` followed by `0x80..=0x9F`), or a
/// bidirectional control (`E2 80 AA..=AE`, `E2 81 A6..=A9`).
fn has_control(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().any(|(i, &b)| {
        b < 0x20
            || b == 0x7f
            || (b == 0xc2 && bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)))
            || (b == 0xe2
                && matches!(
                    bytes.get(i + 1..i + 3),
                    Some([0x80, 0xaa..=0xae] | [0x81, 0xa6..=0xa9])
                ))
    })
}

/// Where a value is cut to be shown: at its first newline or after `limit`
/// characters, whichever comes first (no cut for a `limit` of 0). Returns
/// the part shown and whether anything was cut.
pub(crate) fn cut(text: &str, limit: usize) -> (&str, bool) {
    if limit == 0 {
        return (text, false);
    }
    let (first, more_lines) = match text.find('\n') {
        Some(at) => (&text[..at], true),
        None => (text, false),
    };
    if first.len() <= limit {
        return (first, more_lines); // At most `limit` bytes: at most that many characters.
    }
    match first.char_indices().nth(limit) {
        Some((at, _)) => (&first[..at], true),
        None => (first, more_lines),
    }
}

/// Appends `f` as Python's `repr(float)` writes it: the shortest digits that
/// read back to the same float, in positional form for exponents from -4 to
/// 15 (always with a decimal point) and scientific form otherwise.
///
/// ```
/// let repr = |f: f64| {
///     let mut s = String::new();
///     eliot_tree::format::python_float_into(&mut s, f);
///     s
/// };
/// assert_eq!(repr(1.0), "1.0");
/// assert_eq!(repr(1.25), "1.25");
/// assert_eq!(repr(1e16), "1e+16");
/// assert_eq!(repr(0.00001), "1e-05");
/// assert_eq!(repr(1795683150.9656672), "1795683150.9656672");
/// ```
pub fn python_float_into(out: &mut String, f: f64) {
    if !f.is_finite() {
        out.push_str(if f.is_nan() {
            "nan"
        } else if f > 0.0 {
            "inf"
        } else {
            "-inf"
        });
        return;
    }
    // Zmij finds the shortest round-trip digits, on a tie the even ones as
    // Python (David Gay's dtoa) does, and lays them out positionally for
    // 1e-5 <= |f| < 1e16 ("0.00001", "1e+16", "-1.5e-7"): Python's layout
    // but for the exponent's two digits, and for 1e-5 <= |f| < 1e-4, which
    // Python writes as "1e-05".
    let mut buffer = zmij::Buffer::new();
    let shortest = buffer.format_finite(f);
    // Most floats logged are there: the layout is Python's as it is.
    if (1e-4..1e16).contains(&f.abs()) || f == 0.0 {
        out.push_str(shortest);
        return;
    }
    python_layout_into(out, shortest);
}

/// Appends Zmij's `shortest` digits of a float below 1e-4 or from 1e16 up
/// in Python's layout.
#[inline(never)]
fn python_layout_into(out: &mut String, shortest: &str) {
    let (sign, unsigned) = match shortest.strip_prefix('-') {
        Some(unsigned) => ("-", unsigned),
        None => ("", shortest),
    };
    if let Some((mantissa, exponent)) = unsigned.split_once('e') {
        out.push_str(sign);
        out.push_str(mantissa);
        push_python_exponent(out, exponent);
    } else if let Some(digits) = unsigned.strip_prefix("0.0000") {
        // Below 1e-4, Zmij's "0.0000123": Python's "1.23e-05".
        out.push_str(sign);
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str("e-05");
    } else {
        out.push_str(shortest);
    }
}

/// Appends Zmij's exponent `exponent` ("+16", "-7") as Python writes it:
/// `e`, its sign always, at least two digits ("e+16", "e-07").
fn push_python_exponent(out: &mut String, exponent: &str) {
    let (sign, digits) = match exponent.strip_prefix('-') {
        Some(digits) => ('-', digits),
        None => ('+', exponent.strip_prefix('+').unwrap_or(exponent)),
    };
    out.push('e');
    out.push(sign);
    if digits.len() < 2 {
        out.push('0');
    }
    out.push_str(digits);
}

/// Cuts `text` at its first newline or after `limit` characters, whichever
/// comes first, marking the cut with `…`; a `limit` of 0 keeps everything.
///
/// ```
/// assert_eq!(eliot_tree::format::truncate("Traceback\n  File", 100), "Traceback…");
/// assert_eq!(eliot_tree::format::truncate("abcdef", 3), "abc…");
/// assert_eq!(eliot_tree::format::truncate("abc", 3), "abc");
/// ```
pub fn truncate(text: &str, limit: usize) -> std::borrow::Cow<'_, str> {
    match cut(text, limit) {
        (shown, true) => format!("{shown}…").into(),
        (shown, false) => shown.into(),
    }
}

/// Appends a timestamp as `2026-11-26 08:52:30Z`: UTC, to the second, as
/// Python's eliot-tree shows them (Python's rounding to the microsecond
/// included). A timestamp too large for a date (beyond ±2^63 seconds) is
/// written as a number.
///
/// ```
/// let mut s = String::new();
/// eliot_tree::format::timestamp_into(&mut s, 1795683150.9656672);
/// assert_eq!(s, "2026-11-26 08:52:30Z");
/// ```
pub fn timestamp_into(out: &mut String, timestamp: f64) {
    // Beyond ±2^63 seconds the whole seconds do not fit an i64 (they would
    // saturate into a wrong date): show the number as logged. (Python's
    // eliot-tree fails on anything past the year 9999.)
    if timestamp.is_nan() || timestamp.abs() >= 9_223_372_036_854_775_808.0 {
        python_float_into(out, timestamp);
        return;
    }
    // Python's datetime.utcfromtimestamp: round the fraction to the
    // microsecond (half to even), carry into the seconds, then drop it. The
    // cast truncates as `trunc` does, and the fraction's microseconds
    // round up to a whole second from 999,999.5 (a tie rounds to the even
    // 1,000,000) and down below zero under -0.5 (-0.5 is -0): the same
    // tests on the unrounded product, without the calls to libm.
    let mut seconds = timestamp as i64;
    let micros = (timestamp - seconds as f64) * 1e6;
    if micros >= 999_999.5 {
        seconds += 1;
    } else if micros < -0.5 {
        seconds -= 1;
    }
    // Most messages drawn one after the other share their second: a date
    // is written once, then copied.
    let cached = LAST_DATE.with_borrow(|(second, text)| {
        let hit = *second == seconds;
        if hit {
            out.push_str(text);
        }
        hit
    });
    if cached {
        return;
    }
    let start = out.len();
    date_into(out, seconds);
    LAST_DATE.with_borrow_mut(|(second, text)| {
        *second = seconds;
        text.clear();
        text.push_str(&out[start..]);
    });
}

thread_local! {
    /// The last date that [`timestamp_into`] wrote on this thread, with its
    /// whole seconds since the epoch (at first `i64::MIN`, which no
    /// timestamp it dates rounds to).
    static LAST_DATE: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) };
}

/// Appends the date of `seconds` since the epoch as [`timestamp_into`] does.
fn date_into(out: &mut String, seconds: i64) {
    let (date, time) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(date);
    let Ok(year @ 0..=9999) = u32::try_from(year) else {
        let _ = write!(
            out,
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}Z",
            time / 3600,
            time % 3600 / 60,
            time % 60
        );
        return;
    };
    // Every message drawn shows its time: its digits are set in place, two
    // at a time, and the whole pushed at once, as `write!` with padding
    // cost several times as much.
    let time = time as u32; // Below 86,400.
    let mut text = *b"0000-00-00 00:00:00Z";
    set_two_digits(&mut text[0..2], year / 100);
    set_two_digits(&mut text[2..4], year % 100);
    set_two_digits(&mut text[5..7], month);
    set_two_digits(&mut text[8..10], day);
    set_two_digits(&mut text[11..13], time / 3600);
    set_two_digits(&mut text[14..16], time % 3600 / 60);
    set_two_digits(&mut text[17..19], time % 60);
    out.push_str(std::str::from_utf8(&text).unwrap_or_default());
}

/// Writes `value` (below 100) as two ASCII digits into `place`.
fn set_two_digits(place: &mut [u8], value: u32) {
    let value = value as u8;
    place[0] = b'0' + value / 10;
    place[1] = b'0' + value % 10;
}

/// Appends a task level the way Eliot writes it, `/3/2` (`/` for a task's
/// root), as the label of every node drawn shows it.
pub fn level_into(out: &mut String, level: &[u32]) {
    if level.is_empty() {
        out.push('/');
    }
    for &slot in level {
        out.push('/');
        decimal_into(out, u64::from(slot));
    }
}

/// Appends `value` in decimal, without going through `fmt` (which costs
/// several times as much for the numbers of every line drawn).
// Inlined for the one or two digits of most levels and indexes.
#[inline]
pub fn decimal_into(out: &mut String, value: u64) {
    match u8::try_from(value) {
        Ok(digit @ 0..=9) => out.push(char::from(b'0' + digit)),
        Ok(tens @ 10..=99) => {
            out.push(char::from(b'0' + tens / 10));
            out.push(char::from(b'0' + tens % 10));
        }
        _ => digits_into(out, value),
    }
}

/// [`decimal_into`] for any value.
#[inline(never)]
fn digits_into(out: &mut String, value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = value;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &digit in &digits[at..] {
        out.push(char::from(digit));
    }
}

/// Appends a duration in seconds as `0.013s`: rounded to the millisecond
/// as `{:.3}` rounds it.
pub fn duration_into(out: &mut String, seconds: f64) {
    // `{:.3}` rounds the float's exact value. Below 2^40 milliseconds the
    // product with 1000 is within 2^-13 of that value's, so unless it is
    // that close to half a millisecond both round to the same millisecond:
    // written in place, where `fmt` took ten times as long. Negative
    // durations (-0.0 included) and ties go to `fmt`.
    let millis = seconds * 1000.0;
    if seconds.is_sign_positive() && millis < 1e12 {
        let whole = millis as u64;
        let fraction = millis - whole as f64;
        let rounded = if fraction < 0.499 {
            Some(whole)
        } else if fraction > 0.501 {
            Some(whole + 1)
        } else {
            None
        };
        if let Some(rounded) = rounded {
            decimal_into(out, rounded / 1000);
            let mut text = *b".000s";
            let thousandths = (rounded % 1000) as u32;
            text[1] = b'0' + (thousandths / 100) as u8;
            set_two_digits(&mut text[2..4], thousandths % 100);
            out.push_str(std::str::from_utf8(&text).unwrap_or_default());
            return;
        }
    }
    let _ = write!(out, "{seconds:.3}s");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `fmt`-based `repr(float)` that `python_float_into` replaced, kept as
    /// an independent oracle: Rust's shortest digits, ties fixed up to even.
    /// For finite floats.
    fn python_float_by_fmt(out: &mut String, f: f64) {
        // Rust's `{:e}` gives the shortest round-trip digits, e.g. "-1.25e-7".
        let scientific = format!("{f:e}");
        let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
        let exponent: i32 = exponent.parse().unwrap_or(0);
        let (negative, mantissa) = match mantissa.strip_prefix('-') {
            Some(m) => (true, m),
            None => (false, mantissa),
        };
        let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        if let Some(even) = even_digits_on_a_tie(f, &digits, exponent) {
            digits = even;
        }
        if negative {
            out.push('-');
        }
        if (-4..16).contains(&exponent) {
            if exponent < 0 {
                out.push_str("0.");
                for _ in 0..(-exponent - 1) {
                    out.push('0');
                }
                out.push_str(&digits);
            } else {
                let point = exponent as usize + 1;
                if digits.len() <= point {
                    out.push_str(&digits);
                    for _ in digits.len()..point {
                        out.push('0');
                    }
                    out.push_str(".0");
                } else {
                    out.push_str(&digits[..point]);
                    out.push('.');
                    out.push_str(&digits[point..]);
                }
            }
        } else {
            out.push_str(&digits[..1]);
            if digits.len() > 1 {
                out.push('.');
                out.push_str(&digits[1..]);
            }
            let _ = write!(
                out,
                "e{}{:02}",
                if exponent < 0 { '-' } else { '+' },
                exponent.abs()
            );
        }
    }

    /// The other shortest digits of `f` when Rust's choice (`digits`, the
    /// first at `10^exponent`) is odd and exactly as close to `f` as an even
    /// one that reads back the same: Python (David Gay's algorithm) rounds such
    /// a tie to even, Rust up or down. `772923967271795.25` is written
    /// `772923967271795.2` by Python, `772923967271795.3` by Rust.
    fn even_digits_on_a_tie(f: f64, digits: &str, exponent: i32) -> Option<String> {
        let last = *digits.as_bytes().last()?;
        if last % 2 == 0 {
            return None;
        }
        // A tie needs the exact value of f to end, in decimal, one digit after
        // `digits`, with a 5. With f = m * 2^e (m odd) and e < 0, the exact
        // value's last digit is at 10^e: a cheap test that rules out nearly
        // every float before the exact expansion is written.
        let place = exponent - i32::try_from(digits.len()).ok()?;
        let bits = f.abs().to_bits();
        let (mantissa, binary_exponent) = match (bits >> 52) as i32 {
            0 => (bits, -1074),
            biased => ((bits & ((1 << 52) - 1)) | (1 << 52), biased - 1075),
        };
        let binary_exponent = binary_exponent + mantissa.trailing_zeros() as i32;
        let possible = if binary_exponent < 0 {
            binary_exponent == place
        } else {
            place >= 0
        };
        if !possible {
            return None;
        }
        // 800 digits hold any double exactly (it has at most 767).
        let exact = format!("{:.800e}", f.abs());
        let (exact_digits, exact_exponent) = exact.split_once('e')?;
        let exact_digits: String = exact_digits.chars().filter(char::is_ascii_digit).collect();
        if exact_exponent.parse::<i32>().ok()? != exponent
            || !exact_digits[digits.len() + 1..].bytes().all(|d| d == b'0')
            || exact_digits.as_bytes()[digits.len()] != b'5'
        {
            return None;
        }
        let exact_head = &exact_digits[..digits.len()];
        let mut other = digits.as_bytes().to_vec();
        if exact_head == digits && last != b'9' {
            *other.last_mut()? += 1; // f lies halfway up to the next digits.
        } else if exact_head.as_bytes()[..digits.len() - 1] == digits.as_bytes()[..digits.len() - 1]
            && exact_head.as_bytes().last() == Some(&(last - 1))
        {
            *other.last_mut()? -= 1; // f lies halfway down to the previous ones.
        } else {
            return None;
        }
        let other = String::from_utf8(other).ok()?;
        let reads_back = format!("{}.{}e{exponent}", &other[..1], &other[1..])
            .parse::<f64>()
            .is_ok_and(|g| g == f.abs());
        reads_back.then_some(other)
    }

    fn repr(f: f64) -> String {
        let mut s = String::new();
        python_float_into(&mut s, f);
        s
    }

    #[test]
    // The tie cases are written as their exact values, on purpose.
    #[allow(clippy::excessive_precision)]
    fn floats_read_like_python_repr() {
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (0.5, "0.5"),
            (100000.0, "100000.0"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.2345678901234568e17, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (1.5e-5, "1.5e-05"),
            (-2.5e-300, "-2.5e-300"),
            (9.5367431640625e-07, "9.5367431640625e-07"),
            (123.456, "123.456"),
            // Two shortest digits, as close as each other: Python takes the
            // even one.
            (772923967271795.25, "772923967271795.2"),
            (717374533582110.25, "717374533582110.2"),
            (0.5000000000000001, "0.5000000000000001"),
        ];
        for (f, want) in cases {
            assert_eq!(repr(f), want, "repr({f:?})");
        }
    }

    /// The floats where layouts and rounding change: powers of ten and the
    /// numbers either side of them, the layout boundaries, subnormals,
    /// extremes and rounding ties.
    // The ties and the largest subnormal are written as their exact values.
    #[allow(clippy::excessive_precision)]
    fn edge_floats() -> Vec<f64> {
        let mut floats = vec![
            0.0,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::EPSILON,
            5e-324,
            2.2250738585072009e-308, // The largest subnormal.
            772923967271795.25,
            717374533582110.25,
            0.5000000000000001,
            9.5367431640625e-07,
            123456789.125,
            9999999999999998.0,
            0.30000000000000004,
        ];
        for exponent in -324..=308 {
            let power: f64 = format!("1e{exponent}").parse().unwrap();
            for f in [power, 5.0 * power, 9.5 * power, 1.25 * power] {
                floats.extend([f, f.next_up(), f.next_down()]);
            }
        }
        for bits in 0..2000u64 {
            floats.push(f64::from_bits(bits)); // Subnormals.
            floats.push(f64::from_bits((1 << 52) + bits * 977)); // Their neighbours.
        }
        // Two shortest digits as close as each other: between 2^49 and
        // 2^50 the floats are eighths, and each odd quarter (17 digits) is
        // halfway between two 16-digit neighbours that both read back.
        for n in 0..2000u64 {
            let whole = ((1u64 << 49) + n * 7_919_111_123) as f64;
            floats.extend([whole + 0.25, whole + 0.75, whole + 0.125]);
            floats.push((1u64 << 53) as f64 + (n * 2) as f64);
        }
        floats.extend(floats.clone().into_iter().map(|f: f64| -f));
        floats
    }

    /// Random floats over every exponent: random bits.
    fn random_floats(count: usize) -> impl Iterator<Item = f64> {
        let mut random = crate::test_random::Xorshift::new(0x9e37_79b9_7f4a_7c15);
        std::iter::repeat_with(move || f64::from_bits(random.next_u64()))
            .filter(|f| f.is_finite())
            .take(count)
    }

    #[test]
    fn floats_written_by_zmij_read_as_the_fmt_ones() {
        let mut by_fmt = String::new();
        for f in edge_floats()
            .into_iter()
            .chain(random_floats(300_000))
            .filter(|f| f.is_finite())
        {
            by_fmt.clear();
            python_float_by_fmt(&mut by_fmt, f);
            assert_eq!(repr(f), by_fmt, "{f:e}");
            assert_eq!(repr(f).parse::<f64>().unwrap().to_bits(), f.to_bits());
        }
        for (f, want) in [
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(repr(f), want);
        }
    }

    #[test]
    fn timestamps_round_to_the_microsecond_like_python() {
        let mut s = String::new();
        timestamp_into(&mut s, 1_795_683_150.999_999_7);
        assert_eq!(s, "2026-11-26 08:52:31Z");
        s.clear();
        timestamp_into(&mut s, -0.5);
        assert_eq!(s, "1969-12-31 23:59:59Z");
    }

    #[test]
    fn dates_pushed_digit_by_digit_read_as_formatted_ones() {
        // From before year 0 to after 9999, by steps that cross every
        // field's carry, the times of a day included.
        let mut seconds: i64 = -62_200_000_000;
        while seconds < 253_500_000_000 {
            let mut s = String::new();
            timestamp_into(&mut s, seconds as f64);
            let (date, time) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
            let (year, month, day) = civil_from_days(date);
            let expected = format!(
                "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}Z",
                time / 3600,
                time % 3600 / 60,
                time % 60
            );
            assert_eq!(s, expected);
            seconds += 86_399 * 37 + 3_599;
        }
    }

    #[test]
    fn decimals_and_levels_read_as_formatted_ones() {
        for n in [0, 1, 9, 10, 99, 100, 4_294_967_295, u64::MAX - 1, u64::MAX] {
            let mut s = String::new();
            decimal_into(&mut s, n);
            assert_eq!(s, n.to_string());
        }
        for level in [&[][..], &[1], &[3, 2], &[12, 4_294_967_295, 7]] {
            let mut s = String::new();
            level_into(&mut s, level);
            assert_eq!(s, eliot_parse::TaskLevel::from(level).to_string());
        }
    }

    #[test]
    fn dates_near_a_second_and_written_again_read_as_rounded_ones() {
        // The rounding as it was written first: `trunc`, then the fraction
        // rounded to the microsecond, half to even, and carried.
        let rounded = |t: f64| {
            let whole = t.trunc();
            let micros = ((t - whole) * 1e6).round_ties_even();
            let mut seconds = whole as i64;
            if micros >= 1e6 {
                seconds += 1;
            } else if micros < 0.0 {
                seconds -= 1;
            }
            let mut s = String::new();
            date_into(&mut s, seconds);
            s
        };
        let mut random = crate::test_random::Xorshift::new(0x5eed_da7e);
        let mut s = String::new();
        for _ in 0..20_000 {
            // Near the epoch a float has room for the microseconds; far
            // from it, past the year 9999 too, the fraction is coarse.
            let range =
                [2_000_000, 4_000_000_000, 800_000_000_000][(random.next_u64() % 3) as usize];
            let second = (random.next_u64() % range) as f64 - (range / 2) as f64;
            let fractions = [
                0.0, 0.4999995, 0.5, 0.9999994, 0.9999995, 0.9999996, -0.0000005,
            ];
            let fraction = fractions[(random.next_u64() % 7) as usize];
            let t = second + fraction;
            for t in [
                t,
                t.next_up(),
                t,
                t.next_down(),
                t.next_down(),
                second + 0.25,
            ] {
                s.clear();
                timestamp_into(&mut s, t);
                assert_eq!(s, rounded(t), "{t}");
            }
        }
        // Every float either side of a microsecond's tie that carries.
        for second in [0.0_f64, 1.0, 1_795_683_150.0, -1.0, -86_400.0] {
            for tie in [second + 0.9999995, second - 0.0000005] {
                let mut t = tie;
                for _ in 0..64 {
                    t = t.next_down();
                }
                for _ in 0..128 {
                    s.clear();
                    timestamp_into(&mut s, t);
                    assert_eq!(s, rounded(t), "{t}");
                    t = t.next_up();
                }
            }
        }
    }

    #[test]
    fn durations_read_as_formatted_ones() {
        let mut durations = vec![
            0.0, -0.0, 0.0005, 0.0015, 0.0025, 1.0625, 2.5e-4, 0.9995, 1e9,
        ];
        durations.extend([
            999.9995,
            1e9 - 0.0005,
            1.099511627776e9,
            1e12,
            -1.5,
            f64::NAN,
        ]);
        durations.extend([f64::INFINITY, f64::MAX, f64::MIN_POSITIVE, 5e-324]);
        let mut random = crate::test_random::Xorshift::new(0xd0e5);
        for _ in 0..200_000 {
            let bits = random.next_u64();
            let scale = 10f64.powi((bits % 14) as i32 - 4);
            let unit = (bits >> 11) as f64 / (1u64 << 53) as f64;
            durations.push(unit * scale);
            // Halves and near-halves of a millisecond.
            let half = ((bits >> 20) % 1_000_000) as f64 / 1000.0 + 0.0005;
            durations.extend([half, half.next_up(), half.next_down()]);
        }
        let mut s = String::new();
        for d in durations {
            s.clear();
            duration_into(&mut s, d);
            assert_eq!(s, format!("{d:.3}s"), "{d:e}");
        }
    }

    #[test]
    fn timestamps_beyond_any_date_are_written_as_numbers() {
        let shown = |t: f64| {
            let mut s = String::new();
            timestamp_into(&mut s, t);
            s
        };
        // They used to saturate into the date of i64::MAX seconds.
        assert_eq!(shown(1e308), "1e+308");
        assert_eq!(shown(-1e300), "-1e+300");
        assert_eq!(shown(9_223_372_036_854_775_808.0), "9.223372036854776e+18");
        // Those that fit are dates (proleptic Gregorian).
        assert!(shown(9.2e18).ends_with('Z'), "{}", shown(9.2e18));
        assert_eq!(shown(-1e18), "-31688736537-03-10 22:13:20Z");
    }

    #[test]
    fn bidirectional_controls_are_neutralised() {
        // They would reorder what follows on the line: a key or value could
        // read as another one (Python's eliot-tree lets them through).
        let mut s = String::new();
        escape_into(
            &mut s,
            "a\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}\u{2066}\u{2067}\u{2068}\u{2069}z",
            false,
        );
        assert_eq!(
            s,
            "a\\u{202a}\\u{202b}\\u{202c}\\u{202d}\\u{202e}\\u{2066}\\u{2067}\\u{2068}\\u{2069}z"
        );
        // Their neighbours are ordinary text.
        s.clear();
        escape_into(&mut s, "\u{2029}\u{202f}\u{2065}\u{206a}é", false);
        assert_eq!(s, "\u{2029}\u{202f}\u{2065}\u{206a}é");
    }

    #[test]
    fn control_characters_are_neutralised() {
        let mut s = String::new();
        escape_into(&mut s, "a\tb\u{7f}\u{1b}]0;title\u{7}\nz", true);
        assert_eq!(s, "a␉b␡␛]0;title␇\nz");
        s.clear();
        escape_into(&mut s, "x\ny", false);
        assert_eq!(s, "x␊y");
    }

    #[test]
    fn printable_ascii_is_told_apart_at_every_place_of_a_word() {
        for len in 0..20 {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = byte;
                    let printable = (0x20..0x7f).contains(&byte);
                    assert_eq!(is_printable_ascii(&bytes, false), printable, "{bytes:?}");
                    let without = printable && byte != b'\\';
                    assert_eq!(is_printable_ascii(&bytes, true), without, "{bytes:?}");
                }
            }
            assert!(is_printable_ascii(&vec![b'~'; len], true));
            assert!(is_printable_ascii(&vec![b' '; len], true));
        }
    }

    #[test]
    fn each_escaped_character_is_found_alone() {
        // `has_control` spots them in UTF-8 bytes before the text is
        // escaped char by char: each must be spotted on its own.
        let mut s = String::new();
        for c in ('\u{0}'..='\u{1f}').chain(['\u{7f}']) {
            s.clear();
            escape_into(&mut s, &format!("{c}é"), false);
            assert_ne!(s.chars().next(), Some(c), "{c:?} got through");
        }
        let escaped = ('\u{80}'..='\u{9f}')
            .chain('\u{202a}'..='\u{202e}')
            .chain('\u{2066}'..='\u{2069}');
        for c in escaped {
            s.clear();
            escape_into(&mut s, &format!("{c}é"), false);
            assert_eq!(s, format!("\\u{{{:x}}}é", c as u32));
        }
    }
}
