//! `tessera policy validate|evaluate|simulate`, run as the built binary.

use std::process::{Command, Output};

use tempfile::TempDir;

/// A directory for one test's files, removed when the test ends.
fn scratch(name: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("tessera-policy-cli-{name}-"))
        .tempdir()
        .unwrap()
}

fn write(dir: &TempDir, file: &str, text: &str) -> String {
    let path = dir.path().join(file);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn tessera(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn validate_reports_file_line_column_and_fails_on_errors() {
    let dir = scratch("validate");
    let good = write(
        &dir,
        "good.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
    );
    let bad = write(&dir, "bad.json", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:Get:Object\", \"Resource\": \"*\"}\n}\n");
    let ok = tessera(&["policy", "validate", &good]);
    assert!(ok.status.success(), "{}", stdout(&ok));
    assert_eq!(stdout(&ok), "");
    let failed = tessera(&["policy", "validate", &good, &bad]);
    assert!(!failed.status.success());
    let text = stdout(&failed);
    assert!(
        text.starts_with(&format!(
            "{bad}:3:46: error: action `s3:Get:Object` has more than one `:`"
        )),
        "{text}"
    );
}

#[test]
fn validate_type_selects_the_grammar_and_warnings_do_not_fail() {
    let dir = scratch("validate-type");
    let trust = write(
        &dir,
        "trust.json",
        r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
    );
    let as_trust = tessera(&["policy", "validate", "--type", "trust", &trust]);
    assert!(as_trust.status.success());
    assert!(
        stdout(&as_trust).contains(": warning: no `Version`"),
        "{}",
        stdout(&as_trust)
    );
    let as_identity = tessera(&["policy", "validate", &trust]);
    assert!(!as_identity.status.success());
    assert!(
        stdout(&as_identity).contains("must not name a `Principal`"),
        "{}",
        stdout(&as_identity)
    );
}

#[test]
fn evaluate_answers_each_case_in_order_and_keeps_going_after_errors() {
    let dir = scratch("evaluate");
    let allow_get = r#"{"Version":"2012-10-17","Statement":[{"Sid":"AllowGetObject","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::mydata/*"}]}"#;
    let deny_ip = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyIPRange","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}}]}"#;
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"sts:AssumeRole"}]}"#;
    let scp_deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:AttachRolePolicy","Resource":"*","Condition":{"StringEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/AdministratorAccess"}}}]}"#;
    let full =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let lines = [
        format!(r#"{{"id":1,"identityPolicies":[{allow_get},{deny_ip}],"request":{{"principal":"arn:aws:iam::123456789012:user/bob","action":"s3:GetObject","resource":"arn:aws:s3:::mydata/a","context":{{"aws:SourceIp":"192.0.2.7"}}}}}}"#),
        format!(r#"{{"id":"two","identityPolicies":[{allow_get},{deny_ip}],"request":{{"principal":"arn:aws:iam::123456789012:user/bob","action":"s3:GetObject","resource":"arn:aws:s3:::mydata/a","context":{{"aws:SourceIp":"198.51.100.1"}}}}}}"#),
        r#"{"id":3,"identityPolicies":["{not json"],"request":{"principal":"arn:aws:iam::123456789012:user/bob","action":"s3:GetObject"}}"#.to_string(),
        r#"{"id":4,"request":{"principal":"arn:aws:iam::123456789012:user/bob","action":"iam:ListUsers","resource":"arn:aws:iam::123456789012:user/"}}"#.to_string(),
        format!(r#"{{"id":5,"resourcePolicy":{trust},"request":{{"principal":"arn:aws:iam::123456789012:user/bob","action":"sts:AssumeRole","resource":"arn:aws:iam::123456789012:role/app"}}}}"#),
        format!(r#"{{"id":6,"identityPolicies":[{full}],"scps":[[{full}],[{full},{scp_deny}]],"request":{{"principal":"arn:aws:sts::123456789012:assumed-role/admin/s","action":"iam:AttachRolePolicy","resource":"arn:aws:iam::123456789012:role/app","context":{{"iam:PolicyARN":"arn:aws:iam::aws:policy/AdministratorAccess"}}}}}}"#),
        r#"{"id":7,"identityPolicies":[],"resourcePolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]},"request":{"principal":"anonymous","action":"s3:GetObject","resource":"arn:aws:s3:::public/x","resourceAccount":"123456789012"}}"#.to_string(),
    ];
    let cases = write(&dir, "cases.jsonl", &lines.join("\n"));
    let out = tessera(&["policy", "evaluate", "--cases", &cases, "--repeat", "10"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 7);
    let decision = |i: usize| answers[i]["decision"].as_str().unwrap_or("").to_string();
    assert_eq!(answers[0]["id"], 1);
    assert_eq!(decision(0), "allowed");
    assert_eq!(
        answers[0]["explanation"]["matchedStatements"][0]["sid"],
        "AllowGetObject"
    );
    assert_eq!(decision(1), "explicitDeny");
    assert_eq!(answers[1]["explanation"]["deniedBy"], "identity");
    assert_eq!(answers[2]["id"], 3);
    assert!(answers[2]["error"]
        .as_str()
        .unwrap()
        .contains("identityPolicies[0]"));
    assert_eq!(decision(3), "implicitDeny");
    assert_eq!(
        answers[3]["explanation"]["accessDeniedMessage"],
        "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::123456789012:user/ because no identity-based policy allows the iam:ListUsers action"
    );
    assert_eq!(decision(4), "allowed");
    assert_eq!(decision(5), "explicitDeny");
    assert_eq!(answers[5]["explanation"]["deniedBy"], "serviceControl");
    assert_eq!(decision(6), "allowed");
    assert!(String::from_utf8_lossy(&out.stderr).contains("decisions/s"));
}

#[test]
fn simulate_explains_a_decision() {
    let dir = scratch("simulate");
    let identity = write(
        &dir,
        "id.json",
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:Get*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#,
    );
    let boundary = write(
        &dir,
        "boundary.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
    );
    let args = |secure: &'static str| {
        vec![
            "policy".to_string(),
            "simulate".into(),
            "--identity".into(),
            identity.clone(),
            "--boundary".into(),
            boundary.clone(),
            "--principal".into(),
            "arn:aws:iam::123456789012:user/bob".into(),
            "--action".into(),
            "s3:GetObject".into(),
            "--resource".into(),
            "arn:aws:s3:::b/k".into(),
            "--context".into(),
            format!("aws:SecureTransport={secure}"),
            "--context".into(),
            "aws:TagKeys=a".into(),
            "--context".into(),
            "aws:TagKeys=b".into(),
        ]
    };
    let run = |a: Vec<String>| {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        tessera(&refs)
    };
    let allowed = run(args("true"));
    assert!(allowed.status.success());
    assert!(
        stdout(&allowed).contains("decision: allowed"),
        "{}",
        stdout(&allowed)
    );
    assert!(stdout(&allowed).contains("statement `Read` (#0): Allow"));
    let denied = run(args("false"));
    let text = stdout(&denied);
    assert!(text.contains("decision: implicitDeny"), "{text}");
    assert!(text.contains("AccessDenied: User: arn:aws:iam::123456789012:user/bob is not authorized to perform: s3:GetObject"), "{text}");
    assert!(
        text.contains("condition Bool on aws:SecureTransport does not hold"),
        "{text}"
    );
}

const KEY_ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ALLOW_KMS: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#;

fn key_policy(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"kms:*","Resource":"*"}}]}}"#
    )
}

// KMS Developer Guide, key-policies: "Unless the key policy explicitly allows it, you cannot use
// IAM policies to allow access to a KMS key"; reference_policies_evaluation-logic: key policies
// "must explicitly allow access for principals". The case's "resourcePolicyKind" overrides.
#[test]
fn evaluate_reads_a_kms_key_policy_as_a_key_policy_unless_the_case_says_otherwise() {
    let other_role = key_policy("arn:aws:iam::123456789012:role/other");
    let account = key_policy("arn:aws:iam::123456789012:root");
    let bucket = "arn:aws:s3:::b/k";
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        // (resource policy, "resourcePolicyKind" member, resource, decision, kind used)
        (&other_role, "", KEY_ARN, "implicitDeny", "key"),
        (&account, "", KEY_ARN, "allowed", "key"),
        ("null", "", KEY_ARN, "implicitDeny", "key"),
        (&other_role, r#""resourcePolicyKind":"standard","#, KEY_ARN, "allowed", "standard"),
        (&other_role, "", bucket, "allowed", "standard"),
        (&other_role, r#""resourcePolicyKind":"key","#, bucket, "implicitDeny", "key"),
        (&other_role, r#""resourcePolicyKind":null,"#, KEY_ARN, "implicitDeny", "key"),
    ];
    let dir = scratch("evaluate-key-policy");
    let line = |(policy, kind, resource, _, _): &(&str, &str, &str, &str, &str)| {
        format!(
            r#"{{"identityPolicies":[{ALLOW_KMS}],"resourcePolicy":{policy},{kind}"request":{{"principal":"arn:aws:iam::123456789012:user/bob","action":"kms:Decrypt","resource":"{resource}"}}}}"#
        )
    };
    let mut lines: Vec<String> = cases.iter().map(line).collect();
    lines.push(format!(
        r#"{{"resourcePolicy":{other_role},"resourcePolicyKind":"kms","request":{{"principal":"arn:aws:iam::123456789012:user/bob","action":"kms:Decrypt","resource":"{KEY_ARN}"}}}}"#
    ));
    let file = write(&dir, "cases.jsonl", &lines.join("\n"));
    let out = tessera(&["policy", "evaluate", "--cases", &file]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), cases.len() + 1);
    for (answer, case) in answers.iter().zip(cases) {
        let (_, kind, resource, decision, used) = case;
        assert_eq!(answer["decision"], *decision, "{kind} {resource}: {answer}");
        assert_eq!(
            answer["explanation"]["resourcePolicyKind"], *used,
            "{answer}"
        );
    }
    assert_eq!(answers[0]["explanation"]["missingAllow"], "resource");
    let error = answers[cases.len()]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("resourcePolicyKind") && error.contains("`kms`"),
        "{error}"
    );
}

// KMS Developer Guide, key-policies: "--resource-policy-kind" on evaluate is the kind of every
// case that names none; a case's own "resourcePolicyKind" still wins.
#[test]
fn evaluate_flag_sets_the_resource_policy_kind_of_cases_that_name_none() {
    let other_role = key_policy("arn:aws:iam::123456789012:role/other");
    let dir = scratch("evaluate-kind-flag");
    let case = |kind: &str, resource: &str| {
        format!(
            r#"{{"identityPolicies":[{ALLOW_KMS}],"resourcePolicy":{other_role},{kind}"request":{{"principal":"arn:aws:iam::123456789012:user/bob","action":"kms:Decrypt","resource":"{resource}"}}}}"#
        )
    };
    let lines = [
        case("", KEY_ARN),
        case("", "arn:aws:s3:::b/k"),
        case(r#""resourcePolicyKind":"key","#, KEY_ARN),
    ];
    let file = write(&dir, "cases.jsonl", &lines.join("\n"));
    let run = |flag: &str| -> Vec<(String, String)> {
        let out = tessera(&[
            "policy",
            "evaluate",
            "--cases",
            &file,
            "--resource-policy-kind",
            flag,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout(&out)
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    v["decision"].as_str().unwrap_or_default().to_string(),
                    v["explanation"]["resourcePolicyKind"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect()
    };
    let pair = |d: &str, k: &str| (d.to_string(), k.to_string());
    assert_eq!(
        run("standard"),
        [
            pair("allowed", "standard"),
            pair("allowed", "standard"),
            pair("implicitDeny", "key")
        ]
    );
    assert_eq!(
        run("key"),
        [
            pair("implicitDeny", "key"),
            pair("implicitDeny", "key"),
            pair("implicitDeny", "key")
        ]
    );
    let bad = tessera(&[
        "policy",
        "evaluate",
        "--cases",
        &file,
        "--resource-policy-kind",
        "kms",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("use standard, trust or key"));
}

#[test]
fn simulate_takes_the_resource_policy_kind_from_the_key_arn_or_the_flag() {
    let dir = scratch("simulate-key-policy");
    let identity = write(&dir, "id.json", ALLOW_KMS);
    let key = write(
        &dir,
        "key.json",
        &key_policy("arn:aws:iam::123456789012:role/other"),
    );
    let run = |extra: &[&str]| {
        let mut args = vec![
            "policy",
            "simulate",
            "--identity",
            &identity,
            "--resource-policy",
            &key,
            "--principal",
            "arn:aws:iam::123456789012:user/bob",
            "--action",
            "kms:Decrypt",
            "--resource",
            KEY_ARN,
        ];
        args.extend_from_slice(extra);
        tessera(&args)
    };
    let default = run(&[]);
    let text = stdout(&default);
    assert!(default.status.success(), "{text}");
    assert!(
        text.contains("resource policy kind: key (a KMS key policy, which must allow explicitly)"),
        "{text}"
    );
    assert!(text.contains("decision: implicitDeny"), "{text}");
    assert!(
        text.contains("because no resource-based policy allows the kms:Decrypt action"),
        "{text}"
    );
    let standard = run(&["--resource-policy-kind", "standard"]);
    assert!(
        stdout(&standard).contains("decision: allowed"),
        "{}",
        stdout(&standard)
    );
    let bad = run(&["--resource-policy-kind", "kms"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("use standard, trust or key"));
}

/// The README's offline-policy block, run as written with the built
/// `tessera` first on the `PATH`.
#[test]
fn the_readme_policy_commands_run_as_written() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let (_, after) = readme
        .split_once("<!-- policy:offline -->\n```sh\n")
        .expect("README.md has the policy:offline block");
    let (block, _) = after.split_once("```").unwrap();
    let dir = scratch("readme");
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_tessera"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let out = Command::new("bash")
        .args(["-euc", block])
        .current_dir(dir.path())
        .env("PATH", path)
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("decision: allowed"), "{text}");
    assert!(
        text.contains(r#""id":"bob-lists""#) && text.contains(r#""decision":"implicitDeny""#),
        "{text}"
    );
}
