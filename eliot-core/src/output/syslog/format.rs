//! RFC 5424 formatting: the header of each message, and the shortened
//! stand-in of a message longer than the receiver takes.

use serde::Deserialize;

use super::Severity;
use super::buffer::State;
use super::builder::Target;
use super::destination::SyslogDestination;
use crate::message::Message;

impl SyslogDestination {
    /// Frames one message: the RFC 5424 message, shortened if needed, with
    /// the octet count in front over TCP.
    pub(super) fn frame(&self, message: &Message, state: &mut State) -> Vec<u8> {
        let head = Head::of(message);
        let pri = self.config.facility.code() * 8 + head.severity().code();
        let mut header = format!("<{pri}>1 ");
        match head.timestamp.and_then(rfc3339) {
            Some(timestamp) => header.push_str(&timestamp),
            None => header.push('-'),
        }
        header.push_str(&self.header_tail);
        let max = self.config.max_message_size;
        let json = message.as_json();
        let body: std::borrow::Cow<'_, str> = if header.len() + json.len() <= max {
            json.into()
        } else {
            state.report.truncated += 1;
            shorten(message, max.saturating_sub(header.len())).into()
        };
        let mut syslog_message = header.into_bytes();
        syslog_message.extend_from_slice(body.as_bytes());
        if syslog_message.len() > max {
            // The stand-in did not fit either: cut at the end, as RFC 5424
            // has receivers do, without splitting a UTF-8 character.
            let mut end = max;
            while end > 0 && (syslog_message[end] & 0xC0) == 0x80 {
                end -= 1;
            }
            syslog_message.truncate(end);
        }
        match self.config.target {
            Target::Tcp(_) => {
                let mut framed = format!("{} ", syslog_message.len()).into_bytes();
                framed.extend_from_slice(&syslog_message);
                framed
            }
            _ => syslog_message,
        }
    }
}

/// The few fields of a message the syslog header needs.
#[derive(Deserialize, Default)]
pub(super) struct Head<'a> {
    #[serde(borrow, default)]
    action_status: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    message_type: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    pub(super) timestamp: Option<f64>,
}

impl<'a> Head<'a> {
    pub(super) fn of(message: &'a Message) -> Self {
        // A line that is not what Eliot writes (a duplicate key, a
        // non-number timestamp) still goes out, as `info`, stamped `-`.
        serde_json::from_str(message.as_json()).unwrap_or_default()
    }

    pub(super) fn severity(&self) -> Severity {
        if self.action_status.as_deref() == Some("failed") {
            return Severity::Error;
        }
        match self.message_type.as_deref() {
            Some("eliot:traceback") => Severity::Error,
            Some("eliot:messages_dropped" | "eliot:destination_failure") => Severity::Warning,
            _ => Severity::Informational,
        }
    }
}

/// A shortened stand-in for a message longer than `budget` octets: Eliot's
/// own fields, and `eliot:truncated` with the original size and as much of
/// its start as fits.
pub(super) fn shorten(message: &Message, budget: usize) -> String {
    const KEPT: [&str; 7] = [
        "exception",
        "action_status",
        "timestamp",
        "task_uuid",
        "action_type",
        "task_level",
        "message_type",
    ];
    let original = message.as_json();
    let fields = message.to_map().unwrap_or_default();
    let mut tail = Vec::new();
    for key in KEPT {
        if let Some(value) = fields.get(key) {
            tail.push(b',');
            crate::util::json::write_str(&mut tail, key);
            tail.push(b':');
            // A `Value` always serializes, and writing into a `Vec` cannot
            // fail.
            let _ = serde_json::to_writer(&mut tail, value);
        }
    }
    let prefix = format!(
        "{{\"eliot:truncated\":{{\"size\":{},\"max\":{},\"start\":\"",
        original.len(),
        budget
    );
    let closing = b"\"}";
    let fixed = prefix.len() + closing.len() + tail.len() + 1;
    let room = budget.saturating_sub(fixed);
    let mut out = prefix.into_bytes();
    // As much of the original as fits, escaped as JSON escapes it, cut
    // between two characters (never inside an escape).
    let mut escaped = Vec::with_capacity(8);
    let mut used = 0;
    for c in original.chars() {
        escaped.clear();
        crate::util::json::write_str(&mut escaped, c.encode_utf8(&mut [0; 4]));
        let inner = &escaped[1..escaped.len() - 1]; // without the quotes
        if used + inner.len() > room {
            break;
        }
        used += inner.len();
        out.extend_from_slice(inner);
    }
    out.extend_from_slice(closing);
    out.extend_from_slice(&tail);
    out.push(b'}');
    // Whole characters and JSON only: always UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A header field: printable ASCII only (others become `_`), at most `max`
/// octets, `-` when empty.
pub(super) fn header_field(value: &str, max: usize) -> String {
    let field: String = value
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .take(max)
        .collect();
    if field.is_empty() {
        "-".to_owned()
    } else {
        field
    }
}

/// The kernel's host name, or empty (sent as `-`).
pub(super) fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_default()
}

/// Seconds since the epoch as RFC 3339 UTC with microseconds
/// (`2024-05-01T12:34:56.123456Z`); None outside years 1970..=9999.
pub(super) fn rfc3339(seconds: f64) -> Option<String> {
    if !(0.0..253_402_300_800.0).contains(&seconds) {
        return None;
    }
    let micros = (seconds * 1e6).round() as i64;
    let (secs, micro) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
    let (days, day_secs) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = eliot_parse::calendar::civil_from_days(days);
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micro:06}Z",
        day_secs / 3600,
        day_secs / 60 % 60,
        day_secs % 60
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc_with_microseconds() {
        assert_eq!(rfc3339(0.0).unwrap(), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            rfc3339(1795682709.2272968).unwrap(),
            "2026-11-26T08:45:09.227297Z"
        );
        // A leap day, and the end of a year.
        assert_eq!(
            rfc3339(951_782_400.5).unwrap(),
            "2000-02-29T00:00:00.500000Z"
        );
        assert_eq!(
            rfc3339(1_704_067_199.0).unwrap(),
            "2023-12-31T23:59:59.000000Z"
        );
        assert_eq!(rfc3339(f64::NAN), None);
        assert_eq!(rfc3339(-1.0), None);
    }

    #[test]
    fn header_fields_are_printable_ascii_of_bounded_length() {
        assert_eq!(header_field("my app", 48), "my_app");
        assert_eq!(header_field("", 48), "-");
        assert_eq!(header_field("é", 48), "_");
        assert_eq!(header_field(&"x".repeat(100), 48).len(), 48);
    }

    #[test]
    fn a_shortened_message_keeps_eliots_fields_and_fits() {
        let big = "y".repeat(5000);
        let line = format!(
            r#"{{"blob":"{big}","action_status":"started","timestamp":1.5,"task_uuid":"u-1","action_type":"app:big","task_level":[3,1]}}"#
        );
        let message = Message::from_json(&line).unwrap();
        let short = shorten(&message, 600);
        assert!(short.len() <= 600, "{}", short.len());
        let fields = Message::from_json(&short).unwrap().to_map().unwrap();
        assert_eq!(fields["action_type"], "app:big");
        assert_eq!(fields["task_level"], serde_json::json!([3, 1]));
        assert_eq!(fields["eliot:truncated"]["size"], line.len());
        let start = fields["eliot:truncated"]["start"].as_str().unwrap();
        assert!(line.starts_with(start) && start.len() > 300, "{start}");
    }

    #[test]
    fn a_shortened_start_is_escaped_and_cut_between_characters() {
        // Quotes, backslashes, control characters and multi-byte
        // characters, to be cut at every possible place.
        let text = "\"q\" \\ \n\t\u{1}\u{8} é ü 😀 ".repeat(200);
        let line = serde_json::json!({ "text": text, "message_type": "app:odd" }).to_string();
        let message = Message::from_json(&line).unwrap();
        for budget in 300..400 {
            let short = shorten(&message, budget);
            assert!(short.len() <= budget, "{budget}: {}", short.len());
            let fields = Message::from_json(&short).unwrap().to_map().unwrap();
            assert_eq!(fields["message_type"], "app:odd");
            let start = fields["eliot:truncated"]["start"].as_str().unwrap();
            assert!(line.starts_with(start), "{budget}: {start}");
            assert!(start.len() > 100, "{budget}: {start}");
        }
    }
}
