//! SigV4 timestamps: the ISO 8601 basic format (`20150830T123600Z`) of
//! `X-Amz-Date`, the RFC 1123 form of the `Date` header, and conversions to
//! and from Unix seconds. Nothing here reads the clock.

use std::time::{Duration, SystemTime, UNIX_EPOCH};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Parses `YYYYMMDDTHHMMSSZ` into Unix seconds.
pub(crate) fn parse_amz_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes.get(8) != Some(&b'T') || bytes.get(15) != Some(&b'Z') {
        return None;
    }
    let year = digits(text, 0, 4)?;
    let month = digits(text, 4, 6)?;
    let day = digits(text, 6, 8)?;
    let hour = digits(text, 9, 11)?;
    let minute = digits(text, 11, 13)?;
    let second = digits(text, 13, 15)?;
    to_unix(year, month, day, hour, minute, second)
}

/// Parses an RFC 1123 date (`Sun, 30 Aug 2015 12:36:00 GMT`) into Unix seconds.
pub(crate) fn parse_http_date(text: &str) -> Option<i64> {
    let text = text.trim();
    let rest = match text.split_once(',') {
        Some((_weekday, rest)) => rest.trim(),
        None => text,
    };
    let mut fields = rest.split_ascii_whitespace();
    let day: u32 = fields.next()?.parse().ok()?;
    let month_name = fields.next()?;
    let year: u32 = fields.next()?.parse().ok()?;
    let clock = fields.next()?;
    let zone = fields.next()?;
    if fields.next().is_some() || !(zone == "GMT" || zone == "UTC" || zone == "Z") {
        return None;
    }
    let month = MONTHS
        .iter()
        .position(|name| name.eq_ignore_ascii_case(month_name))?;
    let mut clock_fields = clock.split(':');
    let hour: u32 = clock_fields.next()?.parse().ok()?;
    let minute: u32 = clock_fields.next()?.parse().ok()?;
    let second: u32 = clock_fields.next()?.parse().ok()?;
    if clock_fields.next().is_some() {
        return None;
    }
    to_unix(
        year,
        u32::try_from(month).ok()? + 1,
        day,
        hour,
        minute,
        second,
    )
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn digits(text: &str, start: usize, end: usize) -> Option<u32> {
    let slice = text.get(start..end)?;
    if !slice.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    slice.parse().ok()
}

fn to_unix(year: u32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Option<i64> {
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date =
        Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    let time = Time::from_hms(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
    )
    .ok()?;
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// Formats Unix seconds as `YYYYMMDDTHHMMSSZ`; out-of-range values are
/// clamped into what the format can hold.
pub(crate) fn format_amz_date(unix_seconds: i64) -> String {
    let clamped = unix_seconds.clamp(MIN_FORMATTABLE, MAX_FORMATTABLE);
    let Ok(moment) = OffsetDateTime::from_unix_timestamp(clamped) else {
        return String::from("00000101T000000Z");
    };
    // Written digit by digit: every signed request formats its date, and
    // `format!` cost several times the digits themselves.
    let mut text = String::with_capacity(16);
    // The clamp keeps the year within 0..=9999.
    push_digits(&mut text, u32::try_from(moment.year()).unwrap_or(0), 4);
    push_digits(&mut text, u32::from(u8::from(moment.month())), 2);
    push_digits(&mut text, u32::from(moment.day()), 2);
    text.push('T');
    push_digits(&mut text, u32::from(moment.hour()), 2);
    push_digits(&mut text, u32::from(moment.minute()), 2);
    push_digits(&mut text, u32::from(moment.second()), 2);
    text.push('Z');
    text
}

/// Appends the last `width` decimal digits of `value`, zero-padded.
fn push_digits(text: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = (value / 10u32.pow(place)) % 10;
        text.push(char::from_digit(digit, 10).unwrap_or('0'));
    }
}

/// 0000-01-01T00:00:00Z.
const MIN_FORMATTABLE: i64 = -62_167_219_200;
/// 9999-12-31T23:59:59Z.
const MAX_FORMATTABLE: i64 = 253_402_300_799;

/// Converts a `SystemTime` to Unix seconds (floor), saturating.
pub(crate) fn system_time_to_unix(moment: SystemTime) -> i64 {
    match moment.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let duration = before.duration();
            let whole = i64::try_from(duration.as_secs()).unwrap_or(i64::MAX);
            let floor = if duration.subsec_nanos() > 0 {
                whole.saturating_add(1)
            } else {
                whole
            };
            floor.saturating_neg()
        }
    }
}

/// Converts Unix seconds to a `SystemTime`, saturating at what it can hold.
pub(crate) fn unix_to_system_time(unix_seconds: i64) -> SystemTime {
    let magnitude = Duration::from_secs(unix_seconds.unsigned_abs());
    if unix_seconds >= 0 {
        UNIX_EPOCH.checked_add(magnitude).unwrap_or(UNIX_EPOCH)
    } else {
        UNIX_EPOCH.checked_sub(magnitude).unwrap_or(UNIX_EPOCH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_date_round_trips() {
        let seconds = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(seconds, 1_440_938_160);
        assert_eq!(format_amz_date(seconds), "20150830T123600Z");
    }

    #[test]
    fn amz_date_digits_match_the_formatter_across_the_range() {
        let formatted = |seconds: i64| {
            let m = OffsetDateTime::from_unix_timestamp(seconds).unwrap();
            format!(
                "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
                m.year(),
                u8::from(m.month()),
                m.day(),
                m.hour(),
                m.minute(),
                m.second()
            )
        };
        let mut seconds = MIN_FORMATTABLE;
        while seconds < MAX_FORMATTABLE {
            assert_eq!(format_amz_date(seconds), formatted(seconds), "{seconds}");
            seconds += 86_400 * 97 + 3_671;
        }
        assert_eq!(format_amz_date(i64::MIN), "00000101T000000Z");
        assert_eq!(format_amz_date(i64::MAX), "99991231T235959Z");
    }

    #[test]
    fn amz_date_rejects_other_shapes() {
        for text in [
            "2015-08-30T12:36:00Z",
            "20150830T123600",
            "20151330T123600Z",
            "2015083OT123600Z",
            "+0150830T123600Z",
        ] {
            assert_eq!(parse_amz_date(text), None, "{text}");
        }
    }

    #[test]
    fn http_date_parses() {
        assert_eq!(
            parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"),
            Some(1_440_938_160)
        );
        assert_eq!(parse_http_date("Sun, 30 Foo 2015 12:36:00 GMT"), None);
    }
}
