//! Time-based one-time passwords (RFC 6238: HMAC-SHA-1, 6 digits, 30-second
//! steps), the seeds of virtual MFA devices, and the QR code that carries a
//! seed to an authenticator app.
//!
//! A code is accepted within one step either side of the current one, and
//! a step once accepted for a device is refused afterwards (the device
//! record keeps the last step used), so a code cannot be replayed.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per TOTP step.
pub const STEP_SECONDS: i64 = 30;
/// Steps accepted either side of the current one.
pub const WINDOW_STEPS: i64 = 1;

/// The code of `seed` at `step`.
pub fn code_at(seed: &[u8], step: i64) -> Option<u32> {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(seed).ok()?;
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest.get(19)? & 0x0f);
    let slice = digest.get(offset..offset + 4)?;
    let value = u32::from_be_bytes([
        slice.first()? & 0x7f,
        *slice.get(1)?,
        *slice.get(2)?,
        *slice.get(3)?,
    ]);
    Some(value % 1_000_000)
}

/// The step a 6-digit `code` matches at `now` (seconds since the epoch),
/// within the window and after `last_step`; `None` when it matches none.
pub fn verify(seed: &[u8], code: &str, now: i64, last_step: Option<i64>) -> Option<i64> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let wanted: u32 = code.parse().ok()?;
    let current = now.div_euclid(STEP_SECONDS);
    (current - WINDOW_STEPS..=current + WINDOW_STEPS)
        .filter(|step| last_step.is_none_or(|last| *step > last))
        .find(|step| code_at(seed, *step) == Some(wanted))
}

/// Two consecutive codes, as `EnableMFADevice` and `ResyncMFADevice` take
/// them: answers the step of the second.
pub fn verify_consecutive(seed: &[u8], first: &str, second: &str, now: i64) -> Option<i64> {
    // Authenticators may run ahead or behind; look a little wider.
    let current = now.div_euclid(STEP_SECONDS);
    (current - 10..=current + 10).find_map(|step| {
        let matches = |code: &str, at: i64| {
            code.parse::<u32>()
                .ok()
                .is_some_and(|c| code_at(seed, at) == Some(c))
        };
        (matches(first, step) && matches(second, step + 1)).then_some(step + 1)
    })
}

/// RFC 4648 base32 without padding, as authenticator apps read seeds.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            let index = usize::try_from((buffer >> bits) & 31).unwrap_or(0);
            out.push(char::from(ALPHABET.get(index).copied().unwrap_or(b'A')));
        }
    }
    if bits > 0 {
        let index = usize::try_from((buffer << (5 - bits)) & 31).unwrap_or(0);
        out.push(char::from(ALPHABET.get(index).copied().unwrap_or(b'A')));
    }
    out
}

/// The `otpauth://` URI an authenticator app reads from the QR code.
pub fn otpauth_uri(device_name: &str, account: &str, seed: &[u8]) -> String {
    let label = percent_encoding::utf8_percent_encode(
        &format!("Amazon Web Services:{device_name}@{account}"),
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string();
    format!(
        "otpauth://totp/{label}?secret={}&issuer=Amazon%20Web%20Services",
        base32(seed)
    )
}

/// A PNG of the QR code of `text` (4-module quiet zone, 4 pixels per
/// module, black on white).
pub fn qr_png(text: &str) -> Option<Vec<u8>> {
    const SCALE: usize = 4;
    const QUIET: usize = 4;
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let size = (width + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; size * size];
    for y in 0..width {
        for x in 0..width {
            if colors.get(y * width + x) == Some(&qrcode::Color::Dark) {
                for dy in 0..SCALE {
                    let row = (y + QUIET) * SCALE + dy;
                    for dx in 0..SCALE {
                        let col = (x + QUIET) * SCALE + dx;
                        if let Some(p) = pixels.get_mut(row * size + col) {
                            *p = 0;
                        }
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let side = u32::try_from(size).ok()?;
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().ok()?;
        writer.write_image_data(&pixels).ok()?;
    }
    Some(out)
}

/// Base64 of bytes, as the Query protocol carries blobs.
pub fn blob(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_rfc_6238s_sha1_vectors() {
        // RFC 6238, appendix B: seed "12345678901234567890", 8 digits;
        // the last six digits are the 6-digit code.
        let seed = b"12345678901234567890";
        for (time, eight) in [
            (59i64, 94_287_082u32),
            (1_111_111_109, 7_081_804),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
        ] {
            assert_eq!(code_at(seed, time / 30), Some(eight % 1_000_000), "{time}");
        }
    }

    #[test]
    fn a_code_is_accepted_once_within_a_step_either_side() {
        let seed = b"12345678901234567890";
        let now = 1_234_567_890;
        let step = now / 30;
        let code = format!("{:06}", code_at(seed, step + 1).expect("code"));
        assert_eq!(verify(seed, &code, now, None), Some(step + 1));
        assert_eq!(verify(seed, &code, now, Some(step + 1)), None, "replayed");
        let far = format!("{:06}", code_at(seed, step + 3).expect("code"));
        assert_eq!(verify(seed, &far, now, None), None, "out of window");
        assert_eq!(verify(seed, "12345", now, None), None);
    }

    #[test]
    fn seeds_are_base32_and_the_qr_code_is_a_png() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        let png = qr_png("otpauth://totp/x?secret=MZXW6YTBOI").expect("png");
        assert_eq!(png.get(..8), Some(&b"\x89PNG\r\n\x1a\n"[..]));
    }
}
