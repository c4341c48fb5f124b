//! Property tests: parsing and decoding never panic, whatever a client sends.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;
use tessera_wire::{iam, parse_query_pairs, sts};

/// Names built from the models' own vocabulary, so that decoding reaches
/// deep into shapes rather than ignoring unknown names.
fn param_name() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        Just("Tags".to_owned()),
        Just("member".to_owned()),
        Just("entry".to_owned()),
        Just("key".to_owned()),
        Just("value".to_owned()),
        Just("Key".to_owned()),
        Just("Value".to_owned()),
        Just("TagKeys".to_owned()),
        Just("PolicyArns".to_owned()),
        Just("arn".to_owned()),
        Just("UserName".to_owned()),
        Just("MaxItems".to_owned()),
        Just("DurationSeconds".to_owned()),
        Just("ContextEntries".to_owned()),
        Just("ContextKeyValues".to_owned()),
        "[0-9]{1,3}",
        "-?[0-9]{1,25}",
        ".{0,6}",
    ];
    prop::collection::vec(segment, 1..6).prop_map(|segments| segments.join("."))
}

fn operation() -> impl Strategy<Value = (bool, String)> {
    let iam_ops: Vec<String> = iam().operation_names().map(str::to_owned).collect();
    let sts_ops: Vec<String> = sts().operation_names().map(str::to_owned).collect();
    prop_oneof![
        prop::sample::select(iam_ops).prop_map(|op| (true, op)),
        prop::sample::select(sts_ops).prop_map(|op| (false, op)),
        ".{0,12}".prop_map(|op| (true, op)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn parse_query_pairs_never_panics(raw in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_query_pairs(&raw);
    }

    #[test]
    fn parse_query_pairs_never_panics_on_escape_heavy_text(raw in "[%&=+a-fA-F0-9.]{0,64}") {
        let _ = parse_query_pairs(raw.as_bytes());
    }

    #[test]
    fn decode_input_never_panics(
        (is_iam, op) in operation(),
        params in prop::collection::vec((param_name(), ".{0,20}"), 0..12),
    ) {
        let model = if is_iam { iam() } else { sts() };
        let _ = model.decode_input(&op, &params);
    }

    #[test]
    fn decoding_a_valid_error_never_yields_an_empty_message(
        (is_iam, op) in operation(),
        params in prop::collection::vec((param_name(), ".{0,20}"), 0..12),
    ) {
        let model = if is_iam { iam() } else { sts() };
        if let Err(error) = model.decode_input(&op, &params) {
            prop_assert!(!error.message.is_empty());
            prop_assert!(error.status >= 400);
        }
    }
}
