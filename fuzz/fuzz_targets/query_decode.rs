//! Fuzzes the Query request decoder: arbitrary bytes as a form body,
//! parsed into pairs and decoded for an operation of IAM or STS chosen by
//! the first byte. Neither step may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let model = if selector & 1 == 0 { tessera_wire::iam() } else { tessera_wire::sts() };
    let count = model.operation_names().count().max(1);
    let index = usize::from(selector >> 1) % count;
    let Some(operation) = model.operation_names().nth(index) else {
        return;
    };
    if let Ok(pairs) = tessera_wire::parse_query_pairs(body) {
        let _ = model.decode_input(operation, &pairs);
    }
});
