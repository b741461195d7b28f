//! Choosing which tasks to show. Filters decide on whole tasks: a task is
//! shown with all of its lines or not at all, never as the partial tree that
//! Python's eliot-tree draws when its `--select` matches only some lines of
//! a task (eliottree issue 63).

use eliot_parse::Task;
use jmespath::{Expression, Variable};

use eliot_parse::calendar::{days_from_civil, is_valid_date};

/// Which tasks to show.
///
/// ```
/// use eliot_parse::parse_log;
/// use eliot_tree::filter::TaskFilter;
///
/// let log = r#"{"status":500,"timestamp":1.0,"task_uuid":"t1","task_level":[1],"message_type":"http:response"}
/// {"status":200,"timestamp":2.0,"task_uuid":"t2","task_level":[1],"message_type":"http:response"}
/// "#;
/// let tasks = parse_log(log).tasks;
/// let filter = TaskFilter::new().select("status == `500`").unwrap();
/// let shown: Vec<&str> = tasks.iter().filter(|t| filter.accepts(t)).map(|t| t.task_uuid()).collect();
/// assert_eq!(shown, ["t1"]);
/// ```
#[derive(Default)]
pub struct TaskFilter {
    start: Option<f64>,
    end: Option<f64>,
    queries: Vec<Expression<'static>>,
}

impl TaskFilter {
    /// A filter that accepts every task.
    pub fn new() -> Self {
        TaskFilter::default()
    }

    /// Keeps only tasks in which at least one message matches the JMESPath
    /// `query` (evaluated on each message as logged, with Python's notion
    /// of a true result: not `null`, `false`, `0`, `""`, `[]` or `{}`).
    /// Several queries must all be matched, each by some message.
    pub fn select(mut self, query: &str) -> Result<Self, String> {
        let expression = jmespath::compile(query).map_err(|e| e.to_string())?;
        self.queries.push(expression);
        Ok(self)
    }

    /// Keeps only tasks still running at or after `time` (seconds since the
    /// epoch): their last message is not earlier.
    pub fn start(mut self, time: f64) -> Self {
        self.start = Some(time);
        self
    }

    /// Keeps only tasks that began before `time` (seconds since the epoch):
    /// their first message is earlier.
    pub fn end(mut self, time: f64) -> Self {
        self.end = Some(time);
        self
    }

    /// Whether `task` is to be shown.
    pub fn accepts(&self, task: &Task) -> bool {
        if self.start.is_some_and(|start| task.end_time() < start) {
            return false;
        }
        if self.end.is_some_and(|end| task.start_time() >= end) {
            return false;
        }
        if self.queries.is_empty() {
            return true;
        }
        let mut matched = vec![false; self.queries.len()];
        for message in task.messages() {
            let Ok(data) = Variable::from_json(message.as_json()) else {
                continue;
            };
            let data = std::rc::Rc::new(data);
            for (query, matched) in self.queries.iter().zip(matched.iter_mut()) {
                if !*matched {
                    *matched = query
                        .search(data.clone())
                        .is_ok_and(|found| python_truthy(&found));
                }
            }
            if matched.iter().all(|m| *m) {
                return true;
            }
        }
        false
    }
}

impl std::fmt::Debug for TaskFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskFilter")
            .field("start", &self.start)
            .field("end", &self.end)
            .field(
                "queries",
                &self
                    .queries
                    .iter()
                    .map(Expression::as_str)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Python's `bool()` of a query result, which is what Python's eliot-tree
/// tests (JMESPath's own truthiness differs only on `0`).
fn python_truthy(value: &Variable) -> bool {
    match value {
        Variable::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        other => other.is_truthy(),
    }
}

/// Reads a time given on the command line: seconds since the epoch
/// (`1795683150.5`), or an ISO 8601 date and time, `2026-11-26`,
/// `2026-11-26T08:52`, `2026-11-26 08:52:30.25Z`, `2026-11-26T10:52:30+02:00`.
/// A time without a zone is UTC, as in Python's eliot-tree.
///
/// ```
/// use eliot_tree::filter::parse_time;
///
/// assert_eq!(parse_time("1970-01-02").unwrap(), 86400.0);
/// assert_eq!(parse_time("1970-01-01T01:00:00+01:00").unwrap(), 0.0);
/// assert_eq!(parse_time("1795683150.5").unwrap(), 1795683150.5);
/// assert!(parse_time("yesterday").is_err());
/// ```
pub fn parse_time(text: &str) -> Result<f64, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>()
        && seconds.is_finite()
    {
        return Ok(seconds);
    }
    parse_iso8601(text).ok_or_else(|| {
        format!(
            "{text:?} is not a time: give an ISO 8601 date and time (2026-11-26, \
             2026-11-26T08:52:30Z, 2026-11-26 08:52:30+02:00) or seconds since the epoch"
        )
    })
}

fn parse_iso8601(text: &str) -> Option<f64> {
    let number = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
    };
    let (date, rest) = match text.find(['T', 't', ' ']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year: i64 = number(parts.next()?)?.into();
    let month = number(parts.next()?)?;
    let day = number(parts.next()?)?;
    if parts.next().is_some() || !is_valid_date(year, month, day) {
        return None;
    }
    let mut seconds = days_from_civil(year, month, day) as f64 * 86_400.0;
    let Some(rest) = rest else {
        return Some(seconds);
    };
    // Split off the zone: `Z`, `+HH:MM`, `+HHMM`, `+HH`, or the same with `-`.
    let (time, offset) = match rest.find(['Z', 'z', '+', '-']) {
        Some(at) => (&rest[..at], zone_offset(&rest[at..])?),
        None => (rest, 0.0),
    };
    let mut fields = time.split(':');
    let hour = number(fields.next()?)?;
    let minute = number(fields.next()?)?;
    let second: f64 = match fields.next() {
        Some(s) => {
            let (whole, fraction) = s.split_once(['.', ',']).unwrap_or((s, ""));
            let whole = number(whole)?;
            let fraction = if fraction.is_empty() {
                0.0
            } else if fraction.bytes().all(|b| b.is_ascii_digit()) {
                // Any number of digits: nanoseconds and beyond overflow a u32.
                format!("0.{fraction}").parse().ok()?
            } else {
                return None;
            };
            f64::from(whole) + fraction
        }
        None => 0.0,
    };
    // 24:00:00 is the end of the day; a leap second may be numbered 60.
    let end_of_day = hour == 24 && minute == 0 && second == 0.0;
    if fields.next().is_some() || (hour > 23 && !end_of_day) || minute > 59 || second >= 61.0 {
        return None;
    }
    seconds += f64::from(hour) * 3600.0 + f64::from(minute) * 60.0 + second - offset;
    Some(seconds)
}

/// Seconds east of UTC of a zone designator.
fn zone_offset(zone: &str) -> Option<f64> {
    if zone.eq_ignore_ascii_case("z") {
        return Some(0.0);
    }
    let sign = match zone.as_bytes().first()? {
        b'+' => 1.0,
        b'-' => -1.0,
        _ => return None,
    };
    let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 2 && digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: f64 = digits[..2].parse().ok()?;
    let minutes: f64 = if digits.len() == 4 {
        digits[2..].parse().ok()?
    } else {
        0.0
    };
    if hours > 23.0 || minutes > 59.0 {
        return None;
    }
    Some(sign * (hours * 3600.0 + minutes * 60.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_of_a_second_may_have_any_number_of_digits() {
        // Ten digits and more used to be refused (they overflowed a u32).
        assert_eq!(
            parse_time("1970-01-01T00:00:01.1234567891234Z").unwrap(),
            1.123_456_789_123_4
        );
        assert_eq!(parse_time("1970-01-01 00:00:01,5000000000").unwrap(), 1.5);
        assert!(parse_time("1970-01-01T00:00:01.5x").is_err());
        assert_eq!(
            parse_time("1970-01-01T01:00:00+23:59").unwrap(),
            3600.0 - 86340.0
        );
    }

    #[test]
    fn only_real_dates_and_times_are_read() {
        assert_eq!(parse_time("2026-02-28").unwrap(), 1_772_236_800.0);
        assert_eq!(parse_time("2024-02-29").unwrap(), 1_709_164_800.0);
        assert_eq!(
            parse_time("2026-02-28T24:00:00Z").unwrap(),
            parse_time("2026-03-01").unwrap(),
            "24:00 is the end of the day"
        );
        assert_eq!(
            parse_time("2026-03-01T23:59:60Z").unwrap(),
            parse_time("2026-03-02").unwrap(),
            "a leap second"
        );
        for wrong in [
            "2026-02-29",
            "2026-02-31",
            "2026-04-31",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "2026-02-28T24:30",
            "2026-02-28T24:00:01",
            "2026-02-28T25:00",
            "2026-02-28T12:60",
            "2026-02-28T12:00:61",
            "2026-02-28T12:00:00+24:00",
            "2026-02-28T12:00:00-0960",
        ] {
            assert!(parse_time(wrong).is_err(), "{wrong} was read");
        }
    }
}
