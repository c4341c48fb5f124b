//! The QR code `CreateVirtualMFADevice` returns decodes, with an
//! independent QR reader (`rqrr`), to the `otpauth://` URI an
//! authenticator app needs: the device's label and the same seed as
//! `Base32StringSeed`.

mod support;

use base64::{engine::general_purpose::STANDARD, Engine};
use support::World;

fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut pixels = vec![0u8; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut pixels).expect("one frame");
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    (info.width, info.height, pixels)
}

#[test]
fn the_qr_code_of_a_virtual_device_reads_as_its_otpauth_uri() {
    let world = World::new(7);
    let out = world
        .call(
            &World::root(),
            "CreateVirtualMFADevice",
            &[("VirtualMFADeviceName", "phone")],
        )
        .expect("created");
    let device = &out["VirtualMFADevice"];
    let seed = String::from_utf8(
        STANDARD
            .decode(device["Base32StringSeed"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let png = STANDARD
        .decode(device["QRCodePNG"].as_str().unwrap())
        .unwrap();

    let (width, height, pixels) = decode_png(&png);
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width as usize, height as usize, |x, y| {
            pixels[y * width as usize + x]
        });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    let (_, text) = grids[0].decode().expect("the code decodes");
    assert_eq!(
        text,
        format!(
            "otpauth://totp/Amazon%20Web%20Services%3Aphone%40{}?secret={seed}&issuer=Amazon%20Web%20Services",
            support::ACCOUNT
        )
    );
}
