//! Typed condition values: numbers, dates, IP ranges, booleans and base64.
//!
//! Each parser is total (returns `None` on anything it does not accept) and
//! allocation-free, so the same functions read policy values once at compile
//! time and request values at evaluation time.

use std::net::IpAddr;

/// Parses an IAM number: an optionally signed integer or decimal.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty()
        || !digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
    {
        return None;
    }
    if !digits.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A point in time as nanoseconds since the Unix epoch.
pub(crate) type Instant = i128;

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// The years Joda-Time's ISO chronology can hold, which bound the years
/// IAM accepts (the recorded `DateLessThan` value `-292275054` is valid).
const MIN_YEAR: i64 = -292_275_054;
const MAX_YEAR: i64 = 292_278_993;

/// Parses a date the way the Date operators read one: epoch seconds, or an
/// ISO 8601 date as IAM's reader takes it, which behaves like Joda-Time's
/// `ISODateTimeFormat.dateTimeParser` (recorded `CreatePolicy` answers:
/// `01T` and `2016-12-13t2:00:00.593194+23` are valid; `234-13`,
/// `2016-12-13t2:00:00.593194+1`, `2016-12-13t2:00:00.1999999999+10:59`
/// and `9223372036854775808` are not).
///
/// - Epoch seconds: an optional `-` and digits that fit a signed 64-bit
///   integer, optionally `.` and one to nine digits of fraction. Four
///   digits or fewer without a fraction are a year instead.
/// - ISO 8601: a year of one to nine digits, optionally signed; optionally
///   `-M[M]` and then `-D[D]`; then optionally `T` (or `t`, which Joda reads
///   alike) with an optional time `h[h][:m[m][:s[s][.f…]]]` (a fraction of
///   one to nine digits after `.` or `,`) and an optional offset `Z` or
///   `±hh[:mm]`. Without an offset the time is UTC.
pub(crate) fn parse_date(text: &str) -> Option<Instant> {
    let t = text.trim();
    if let Some(epoch) = parse_epoch(t) {
        return Some(epoch);
    }
    parse_iso8601(t)
}

fn parse_epoch(t: &str) -> Option<Instant> {
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    let negative = int.starts_with('-');
    let int_digits = int.strip_prefix('-').unwrap_or(int);
    if int_digits.is_empty() || !int_digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Four digits or fewer read as an ISO year, not seconds since 1970.
    if int_digits.len() <= 4 && frac.is_none() {
        return None;
    }
    // Seconds are a signed 64-bit integer: `9223372036854775808` is refused.
    let seconds = i128::from(int.parse::<i64>().ok()?);
    let mut nanos: i128 = 0;
    if let Some(f) = frac {
        nanos = parse_fraction(f)?;
    }
    let total = seconds.abs() * NANOS_PER_SECOND + nanos;
    Some(if negative { -total } else { total })
}

/// One to nine digits of a decimal fraction of a second, as nanoseconds.
fn parse_fraction(digits: &str) -> Option<i128> {
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let scale = 10i128.checked_pow(9 - u32::try_from(digits.len()).ok()?)?;
    Some(digits.parse::<i128>().ok()? * scale)
}

/// A reading position in a date.
struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// Consumes the next byte when it is one of `set`.
    fn eat(&mut self, set: &[u8]) -> Option<u8> {
        let b = self.peek().filter(|b| set.contains(b))?;
        self.at += 1;
        Some(b)
    }

    /// Consumes as many ASCII digits as there are, up to `max`; `None`
    /// (consuming nothing) when there are fewer than `min`.
    fn digits(&mut self, min: usize, max: usize) -> Option<&'a str> {
        let rest = self.text.get(self.at..)?;
        let len = rest
            .bytes()
            .take(max)
            .take_while(u8::is_ascii_digit)
            .count();
        if len < min {
            return None;
        }
        self.at += len;
        rest.get(..len)
    }

    fn number(&mut self, min: usize, max: usize) -> Option<i64> {
        self.digits(min, max)?.parse().ok()
    }

    fn done(&self) -> bool {
        self.at >= self.text.len()
    }
}

fn parse_iso8601(t: &str) -> Option<Instant> {
    let mut c = Cursor { text: t, at: 0 };
    let sign = match c.eat(b"+-") {
        Some(b'-') => -1,
        _ => 1,
    };
    let year = sign * c.number(1, 9)?;
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return None;
    }
    let (mut month, mut day) = (1, 1);
    if c.eat(b"-").is_some() {
        month = c.number(1, 2)?;
        if c.eat(b"-").is_some() {
            day = c.number(1, 2)?;
        }
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut seconds_of_day = 0i64;
    let mut nanos = 0i128;
    let mut offset_seconds = 0i64;
    if c.eat(b"Tt").is_some() {
        if let Some(hour) = c.number(1, 2) {
            let (mut minute, mut second) = (0, 0);
            if c.eat(b":").is_some() {
                minute = c.number(1, 2)?;
                if c.eat(b":").is_some() {
                    second = c.number(1, 2)?;
                    if c.eat(b".,").is_some() {
                        nanos = parse_fraction(c.digits(1, 9)?)?;
                    }
                }
            }
            if hour > 23 || minute > 59 || second > 59 {
                return None;
            }
            seconds_of_day = hour * 3600 + minute * 60 + second;
        }
        if c.eat(b"Zz").is_none() {
            if let Some(sign) = c.eat(b"+-") {
                let hours = c.number(2, 2)?;
                let minutes = if c.eat(b":").is_some() {
                    c.number(2, 2)?
                } else {
                    0
                };
                if hours > 23 || minutes > 59 {
                    return None;
                }
                let magnitude = hours * 3600 + minutes * 60;
                offset_seconds = if sign == b'-' { -magnitude } else { magnitude };
            }
        }
    }
    if !c.done() {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + seconds_of_day - offset_seconds;
    Some(i128::from(seconds) * NANOS_PER_SECOND + nanos)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// An IPv4 or IPv6 network in CIDR form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cidr {
    /// The network address as a 128-bit number (IPv4 in the low 32 bits).
    network: u128,
    /// Mask over the same 128 bits.
    mask: u128,
    v6: bool,
}

impl Cidr {
    /// Parses `a.b.c.d/n`, `x:…/n`, or an address alone (a /32 or /128).
    pub(crate) fn parse(text: &str) -> Option<Cidr> {
        let t = text.trim();
        // Most values are plain IPv4 (`aws:SourceIp` on every request that
        // has one): read in one pass over the bytes. What that pass does
        // not take, the general reading decides.
        if let Some(cidr) = Cidr::parse_v4(t) {
            return Some(cidr);
        }
        Cidr::parse_general(t)
    }

    /// `a.b.c.d` or `a.b.c.d/n` as [`Cidr::parse_general`] reads it, in
    /// one pass: four octets of one to three decimal digits, no leading
    /// zero, at most 255 (the standard library's IPv4 syntax), then
    /// optionally `/` and one to three digits, at most 32. `None` for
    /// anything else, which the general reading then decides.
    fn parse_v4(t: &str) -> Option<Cidr> {
        let mut bytes = t.bytes();
        let mut address = 0u32;
        let mut has_prefix = false;
        for octet_index in 0..4 {
            let mut octet = 0u32;
            let mut digits = 0;
            loop {
                match bytes.next() {
                    Some(b @ b'0'..=b'9') => {
                        if digits == 1 && octet == 0 {
                            return None;
                        }
                        octet = octet * 10 + u32::from(b - b'0');
                        digits += 1;
                        if digits > 3 || octet > 255 {
                            return None;
                        }
                    }
                    Some(b'.') if octet_index < 3 && digits > 0 => break,
                    Some(b'/') if octet_index == 3 && digits > 0 => {
                        has_prefix = true;
                        break;
                    }
                    None if octet_index == 3 && digits > 0 => break,
                    _ => return None,
                }
            }
            address = address << 8 | octet;
        }
        let prefix = if has_prefix {
            let mut value = 0u32;
            let mut digits = 0;
            for b in bytes {
                if !b.is_ascii_digit() || digits == 3 {
                    return None;
                }
                value = value * 10 + u32::from(b - b'0');
                digits += 1;
            }
            if digits == 0 || value > 32 {
                return None;
            }
            value
        } else {
            32
        };
        let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
        Some(Cidr {
            network: u128::from(address & mask),
            mask: u128::from(mask),
            v6: false,
        })
    }

    /// Any address or network [`Cidr::parse`] takes, by the standard
    /// library's address syntax.
    fn parse_general(t: &str) -> Option<Cidr> {
        let (addr, prefix) = match t.split_once('/') {
            Some((a, p)) => {
                if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                (a, Some(p.parse::<u32>().ok()?))
            }
            None => (t, None),
        };
        let ip: IpAddr = addr.parse().ok()?;
        let (value, bits, v6) = match ip {
            IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32, false),
            IpAddr::V6(v6) => (u128::from(v6), 128, true),
        };
        let prefix = prefix.unwrap_or(bits);
        if prefix > bits {
            return None;
        }
        let host_bits = bits - prefix;
        let full: u128 = if bits == 128 {
            u128::MAX
        } else {
            (1u128 << bits) - 1
        };
        let mask = if host_bits >= 128 {
            0
        } else {
            full & !((1u128 << host_bits) - 1)
        };
        Some(Cidr {
            network: value & mask,
            mask,
            v6,
        })
    }

    /// True when `ip` (an address, or itself a range) lies inside this network.
    pub(crate) fn contains(&self, ip: &Cidr) -> bool {
        self.v6 == ip.v6
            && ip.mask & self.mask == self.mask
            && ip.network & self.mask == self.network
    }
}

/// Reads an IAM boolean: `true` or `false` in any case.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// True when `text` is well-formed base64 (standard alphabet, padded).
pub(crate) fn is_base64(text: &str) -> bool {
    let bytes = text.as_bytes();
    if !bytes.chunks_exact(4).remainder().is_empty() {
        return false;
    }
    let padding = bytes.iter().rev().take_while(|&&b| b == b'=').count();
    if padding > 2 {
        return false;
    }
    bytes
        .iter()
        .take(bytes.len() - padding)
        .all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NS: i128 = 1_000_000_000;

    proptest! {
        #[test]
        fn one_pass_ipv4_reads_what_the_general_reading_reads(
            text in "[0-9./ ]{0,20}|([0-9]{1,3}\\.){3}[0-9]{1,3}(/[0-9]{1,3})?",
        ) {
            let t = text.trim();
            if let Some(fast) = Cidr::parse_v4(t) {
                prop_assert_eq!(Some(fast), Cidr::parse_general(t));
            }
            prop_assert_eq!(Cidr::parse(&text), Cidr::parse_general(t));
        }
    }

    #[test]
    fn one_pass_ipv4_takes_plain_addresses_and_networks() {
        for text in [
            "192.0.2.7",
            "10.0.0.0/8",
            "0.0.0.0/0",
            "255.255.255.255/32",
            "1.2.3.4/032",
        ] {
            assert_eq!(Cidr::parse_v4(text), Cidr::parse_general(text), "{text}");
            assert!(Cidr::parse_v4(text).is_some(), "{text}");
        }
        for text in [
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "256.0.0.1",
            "1.2.3.4/33",
            "1.2.3.4/",
            "::1",
            "1.2.3.4/0001",
        ] {
            assert_eq!(Cidr::parse_v4(text), None, "{text}");
        }
    }

    #[test]
    fn dates_in_every_w3c_profile() {
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_date("2020-01-01T00:00:01Z"), Some(1_577_836_801 * NS));
        assert_eq!(parse_date("2020-01-01"), Some(1_577_836_800 * NS));
        assert_eq!(parse_date("2020"), Some(1_577_836_800 * NS));
        assert_eq!(parse_date("2020-01"), Some(1_577_836_800 * NS));
        assert_eq!(
            parse_date("2020-01-01T01:00+01:00"),
            Some(1_577_836_800 * NS)
        );
        assert_eq!(
            parse_date("2019-12-31T23:00:00.5-01:00"),
            Some(1_577_836_800 * NS + NS / 2)
        );
        assert_eq!(parse_date("1577836800"), Some(1_577_836_800 * NS));
    }

    // The forms Joda-Time's ISO parser adds to the W3C profiles, as IAM's
    // recorded answers show them.
    #[test]
    fn dates_as_iam_reads_them() {
        const DAY: i128 = 86_400 * NS;
        // A bare year followed by `T` (recorded valid).
        assert_eq!(parse_date("01T"), Some(-719_162 * DAY));
        assert_eq!(parse_date("1970T"), Some(0));
        // Lowercase `t`, a one-digit hour, an hours-only offset (recorded valid).
        assert_eq!(
            parse_date("2016-12-13t2:00:00.593194+23"),
            parse_date("2016-12-12T03:00:00.593194Z")
        );
        // No offset: UTC. One-digit month and day. Comma before the fraction.
        assert_eq!(parse_date("2020-01-01T00:00:00"), Some(1_577_836_800 * NS));
        assert_eq!(parse_date("2020-1-1"), Some(1_577_836_800 * NS));
        assert_eq!(
            parse_date("2020-01-01T00:00:00,5Z"),
            Some(1_577_836_800 * NS + NS / 2)
        );
        // `T` with only an offset.
        assert_eq!(parse_date("2020-01-01TZ"), Some(1_577_836_800 * NS));
        // Signed and long years, within Joda's range.
        assert!(parse_date("-0001-01-01").is_some());
        assert!(parse_date("292278993-12-31").is_some());
        assert_eq!(parse_date("292278994-01-01"), None);
        // Epoch seconds fill a signed 64-bit integer (recorded: -292275054 valid).
        assert_eq!(parse_date("-292275054"), Some(-292_275_054 * NS));
        assert_eq!(
            parse_date("9223372036854775807"),
            Some(i128::from(i64::MAX) * NS)
        );
    }

    #[test]
    fn malformed_dates_are_rejected() {
        for bad in [
            "",
            "2020-13-01",
            "2021-02-29",
            "2020-01-01T25:00Z",
            "2020-01-01T00:00:60Z",
            "yesterday",
            "2020/01/01",
            "2020-01-01Z",
            "2020-01-01T00:00:00+0100",
            "2020-",
            "T",
            // Recorded as refused by IAM.
            "sdfdsf",
            "234-13",
            "2016-12-13t2:00:00.593194+1",
            "2016-12-13t2:00:00.1999999999+10:59",
            "9223372036854775808",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert!(parse_date("2020-02-29").is_some());
    }

    #[test]
    fn cidr_containment_v4_and_v6() {
        let net = Cidr::parse("192.0.2.0/24").unwrap();
        assert!(net.contains(&Cidr::parse("192.0.2.7").unwrap()));
        assert!(!net.contains(&Cidr::parse("192.0.3.7").unwrap()));
        let v6 = Cidr::parse("2001:DB8:1234:5678::/64").unwrap();
        assert!(v6.contains(&Cidr::parse("2001:db8:1234:5678::1").unwrap()));
        assert!(!v6.contains(&Cidr::parse("192.0.2.7").unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains(&Cidr::parse("8.8.8.8").unwrap()));
        assert!(Cidr::parse("::/0")
            .unwrap()
            .contains(&Cidr::parse("::1").unwrap()));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("10.0.0/8"), None);
    }

    #[test]
    fn numbers_accept_integers_and_decimals_only() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("-1.5"), Some(-1.5));
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("ten"), None);
    }

    #[test]
    fn base64_shape() {
        assert!(is_base64("QmluYXJ5VmFsdWVJbkJhc2U2NA=="));
        assert!(!is_base64("not base64"));
    }
}
