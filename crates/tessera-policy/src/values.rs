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

/// Parses a date the way the Date operators read it: epoch seconds (all
/// digits, more than four of them, optionally with a fraction) or one of
/// the W3C ISO 8601 profiles (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`,
/// `YYYY-MM-DDThh:mm[:ss[.s…]]TZD` with `TZD` = `Z` or `±hh:mm`).
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
    // Four digits or fewer read as an ISO year, not seconds since 1970.
    if int_digits.len() <= 4 && frac.is_none() || int_digits.is_empty() || int_digits.len() > 18 {
        return None;
    }
    if !int_digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds: i128 = int_digits.parse().ok()?;
    let mut nanos: i128 = 0;
    if let Some(f) = frac {
        if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let scale = 10i128.pow(9 - f.len() as u32);
        nanos = f.parse::<i128>().ok()? * scale;
    }
    let total = seconds * 1_000_000_000 + nanos;
    Some(if negative { -total } else { total })
}

fn digits(text: &str, at: usize, len: usize) -> Option<i64> {
    let s = text.get(at..at + len)?;
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
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

fn parse_iso8601(t: &str) -> Option<Instant> {
    let year = digits(t, 0, 4)?;
    let (month, day, rest) = match t.len() {
        4 => (1, 1, ""),
        7 if t.get(4..5) == Some("-") => (digits(t, 5, 2)?, 1, ""),
        _ => {
            if t.get(4..5) != Some("-") || t.get(7..8) != Some("-") {
                return None;
            }
            (digits(t, 5, 2)?, digits(t, 8, 2)?, t.get(10..)?)
        }
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut seconds_of_day = 0i64;
    let mut nanos = 0i128;
    let mut offset_seconds = 0i64;
    if !rest.is_empty() {
        let time = rest.strip_prefix(['T', 't'])?;
        let hour = digits(time, 0, 2)?;
        if time.get(2..3) != Some(":") {
            return None;
        }
        let minute = digits(time, 3, 2)?;
        let mut cursor = 5;
        let mut second = 0;
        if time.get(5..6) == Some(":") {
            second = digits(time, 6, 2)?;
            cursor = 8;
            if time.get(8..9) == Some(".") {
                let frac_start = 9;
                let frac_len = time
                    .get(frac_start..)?
                    .bytes()
                    .take_while(u8::is_ascii_digit)
                    .count();
                if frac_len == 0 {
                    return None;
                }
                let kept = frac_len.min(9);
                let frac: i128 = time.get(frac_start..frac_start + kept)?.parse().ok()?;
                nanos = frac * 10i128.pow(9 - kept as u32);
                cursor = frac_start + frac_len;
            }
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        seconds_of_day = hour * 3600 + minute * 60 + second;
        let zone = time.get(cursor..)?;
        offset_seconds = match zone {
            "Z" | "z" => 0,
            _ => {
                let sign = match zone.get(0..1)? {
                    "+" => 1,
                    "-" => -1,
                    _ => return None,
                };
                if zone.len() != 6 || zone.get(3..4) != Some(":") {
                    return None;
                }
                let zh = digits(zone, 1, 2)?;
                let zm = digits(zone, 4, 2)?;
                if zh > 23 || zm > 59 {
                    return None;
                }
                sign * (zh * 3600 + zm * 60)
            }
        };
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + seconds_of_day - offset_seconds;
    Some(i128::from(seconds) * 1_000_000_000 + nanos)
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

    const NS: i128 = 1_000_000_000;

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

    #[test]
    fn malformed_dates_are_rejected() {
        for bad in [
            "",
            "2020-13-01",
            "2021-02-29",
            "2020-01-01T25:00Z",
            "yesterday",
            "2020-01-01T00:00:00",
            "2020/01/01",
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
