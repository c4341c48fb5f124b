//! The 5×5 workload shared by the benchmarks: generated identity policies of
//! five statements each, mixing service-specific and wildcard actions and
//! resources, two statements in five with conditions.

use serde_json::{json, Value};

/// The account of every generated ARN.
pub const ACCOUNT: &str = "123456789012";

/// Statement `index` (0..5) of generated policy `policy`; `team` is the
/// principal tag its `StringEquals` condition expects.
pub fn statement(policy: usize, index: usize, team: &str) -> Value {
    let (actions, resources): (Vec<String>, Vec<String>) = match index {
        0 => (
            vec!["s3:Get*".into(), "s3:List*".into()],
            vec![
                format!("arn:aws:s3:::bucket-{policy}/*"),
                format!("arn:aws:s3:::bucket-{policy}"),
            ],
        ),
        1 => (vec!["ec2:Describe*".into()], vec!["*".into()]),
        2 => (
            vec!["iam:Get*".into(), "iam:List*".into()],
            vec![format!("arn:aws:iam::{ACCOUNT}:user/team-{policy}/*")],
        ),
        3 => (
            vec!["dynamodb:*".into(), "*:List*".into()],
            vec![format!("arn:aws:dynamodb:*:{ACCOUNT}:table/app-{policy}-*")],
        ),
        _ => (
            vec!["sqs:Send*".into(), "sns:Publish".into()],
            vec![format!("arn:aws:sqs:*:{ACCOUNT}:queue-{policy}*")],
        ),
    };
    let mut s = json!({"Sid": format!("S{policy}x{index}"), "Effect": "Allow", "Action": actions, "Resource": resources});
    let condition = match (index + policy) % 5 {
        0 => Some(json!({"StringEquals": {"aws:PrincipalTag/team": team}})),
        2 => Some(json!({
            "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]},
            "Bool": {"aws:SecureTransport": "true"},
            "ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "owner"]}
        })),
        _ => None,
    };
    if let Some(c) = condition {
        s["Condition"] = c;
    }
    s
}
