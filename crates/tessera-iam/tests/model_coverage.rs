//! Every operation of the vendored IAM and STS models has a row in the
//! operation table, so no request the model allows is answered
//! `NotImplemented`; and no row names an operation the model lacks.

use tessera_iam::ops::{self, Service};

fn unimplemented(service: Service, model: &tessera_wire::ServiceModel) -> Vec<String> {
    model
        .operation_names()
        .filter(|name| ops::find(service, name).is_none())
        .map(str::to_string)
        .collect()
}

#[test]
fn every_iam_operation_of_the_model_is_implemented() {
    let model = tessera_wire::iam();
    assert_eq!(model.operation_names().count(), 176);
    assert_eq!(unimplemented(Service::Iam, model), Vec::<String>::new());
}

#[test]
fn every_sts_operation_of_the_model_is_implemented() {
    let model = tessera_wire::sts();
    assert_eq!(model.operation_names().count(), 11);
    assert_eq!(unimplemented(Service::Sts, model), Vec::<String>::new());
}

#[test]
fn every_row_of_the_table_is_an_operation_of_its_model() {
    for operation in ops::all() {
        let model = match operation.service {
            Service::Iam => tessera_wire::iam(),
            Service::Sts => tessera_wire::sts(),
        };
        assert!(
            model.has_operation(operation.name),
            "{} is not in the model",
            operation.name
        );
    }
}
