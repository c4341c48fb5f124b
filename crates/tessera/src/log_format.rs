//! The shape of a log line, text or JSON, written straight into the line
//! buffer: the request log puts one event on every request's path, and the
//! general-purpose formatters' time formatting and escaping cost more than
//! the rest of the line.
//!
//! Text: `2026-12-02T13:25:18.577578Z  INFO tessera::request: request
//! request_id="…" status=200 …` (string values quoted, as `tracing` does).
//! JSON: one object per line, `timestamp`, `level`, the event's fields at
//! the top level, then `target`.

use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Formats every event as one text or JSON line.
#[derive(Debug, Clone, Copy)]
pub struct LineFormat {
    /// JSON rather than text.
    pub json: bool,
}

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = String::with_capacity(512);
        let meta = event.metadata();
        let level = meta.level().as_str();
        if self.json {
            line.push_str("{\"timestamp\":\"");
            push_timestamp(&mut line, SystemTime::now());
            line.push_str("\",\"level\":\"");
            line.push_str(level);
            line.push('"');
            event.record(&mut JsonFields { line: &mut line });
            line.push_str(",\"target\":");
            push_json_string(&mut line, meta.target());
            line.push('}');
        } else {
            push_timestamp(&mut line, SystemTime::now());
            // Level names right-aligned to five characters, as `tracing` does.
            for _ in level.len()..6 {
                line.push(' ');
            }
            line.push_str(level);
            line.push(' ');
            line.push_str(meta.target());
            line.push(':');
            event.record(&mut TextFields { line: &mut line });
        }
        line.push('\n');
        writer.write_str(&line)
    }
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, in UTC.
fn push_timestamp(line: &mut String, now: SystemTime) {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs();
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    push_digits(line, u64::try_from(year).unwrap_or(0), 4);
    line.push('-');
    push_digits(line, month, 2);
    line.push('-');
    push_digits(line, day, 2);
    line.push('T');
    push_digits(line, of_day / 3600, 2);
    line.push(':');
    push_digits(line, of_day / 60 % 60, 2);
    line.push(':');
    push_digits(line, of_day % 60, 2);
    line.push('.');
    push_digits(line, u64::from(since.subsec_micros()), 6);
    line.push('Z');
}

/// The proleptic Gregorian date of a day counted from 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u64, u64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (
        year,
        u64::try_from(month).unwrap_or(1),
        u64::try_from(day).unwrap_or(1),
    )
}

/// `value` in decimal, zero-padded to `width` digits.
fn push_digits(line: &mut String, value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut rest = value;
    let mut used = 0;
    while rest > 0 || used == 0 {
        if let Some(slot) = digits.get_mut(19 - used) {
            *slot = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        used += 1;
    }
    for _ in used..width {
        line.push('0');
    }
    for digit in digits.iter().skip(20 - used) {
        line.push(char::from(*digit));
    }
}

fn push_json_string(line: &mut String, value: &str) {
    line.push('"');
    for c in value.chars() {
        match c {
            '"' => line.push_str("\\\""),
            '\\' => line.push_str("\\\\"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            '\t' => line.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(line, "\\u{:04x}", u32::from(c));
            }
            c => line.push(c),
        }
    }
    line.push('"');
}

/// A text value, quoted with `"` and `\` escaped and control characters
/// spelled out, so that a line stays one line.
fn push_text_string(line: &mut String, value: &str) {
    line.push('"');
    for c in value.chars() {
        match c {
            '"' => line.push_str("\\\""),
            '\\' => line.push_str("\\\\"),
            c if c.is_control() => line.extend(c.escape_default()),
            c => line.push(c),
        }
    }
    line.push('"');
}

struct JsonFields<'a> {
    line: &'a mut String,
}

impl JsonFields<'_> {
    fn key(&mut self, field: &Field) {
        self.line.push(',');
        push_json_string(self.line, field.name());
        self.line.push(':');
    }
}

impl Visit for JsonFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field);
        push_json_string(self.line, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        push_digits(self.line, value, 1);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        let _ = write!(self.line, "{value}");
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        self.line.push_str(if value { "true" } else { "false" });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.key(field);
        push_json_string(self.line, &format!("{value:?}"));
    }
}

struct TextFields<'a> {
    line: &'a mut String,
}

impl Visit for TextFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.line.push(' ');
        if field.name() == "message" {
            self.line.push_str(value);
        } else {
            self.line.push_str(field.name());
            self.line.push('=');
            push_text_string(self.line, value);
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.line.push(' ');
        self.line.push_str(field.name());
        self.line.push('=');
        push_digits(self.line, value, 1);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.line.push(' ');
        if field.name() != "message" {
            self.line.push_str(field.name());
            self.line.push('=');
        }
        let _ = write!(self.line, "{value:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_with_microseconds() {
        let mut line = String::new();
        let at = UNIX_EPOCH + Duration::from_micros(1_796_218_518_577_578);
        push_timestamp(&mut line, at);
        assert_eq!(line, "2026-12-02T13:35:18.577578Z");
        line.clear();
        push_timestamp(&mut line, UNIX_EPOCH + Duration::from_secs(951_782_400));
        assert_eq!(line, "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn digits_are_zero_padded_and_never_truncated() {
        let mut line = String::new();
        push_digits(&mut line, 7, 2);
        push_digits(&mut line, 0, 1);
        push_digits(&mut line, 123_456, 2);
        assert_eq!(line, "070123456");
    }

    #[test]
    fn json_strings_escape_quotes_and_control_characters() {
        let mut line = String::new();
        push_json_string(&mut line, "a\"b\\c\nd\u{1}");
        assert_eq!(line, r#""a\"b\\c\nd\u0001""#);
    }

    #[test]
    fn text_values_stay_on_one_line() {
        let mut line = String::new();
        push_text_string(&mut line, "x\"y\nz");
        assert_eq!(line, r#""x\"y\nz""#);
    }
}
