//! `tessera policy …`: offline validation, evaluation and simulation.
//!
//! Everything here is a thin shell over `tessera-policy`: read files, call
//! the library, print. No network, no server.

use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;
use tessera_policy::{
    describe_reason, evaluate, validate, CompiledPolicy, ContextValue, Evaluation, OwnedPolicySet,
    PolicyKind, PolicySet, PolicyType, Principal, Reason, Request, ResourcePolicyKind,
    StatementOutcome, ValidationConfig,
};

/// Work with IAM policy documents offline.
#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Check policy files; prints `file:line:col: error|warning: message`
    /// and exits non-zero when any file has an error.
    Validate(ValidateArgs),
    /// Evaluate test cases from a JSON-lines file, one answer line per case.
    Evaluate(EvaluateArgs),
    /// Decide one request against policies from files and explain it.
    Simulate(Box<SimulateArgs>),
}

/// Arguments of `tessera policy validate`.
#[derive(Args)]
pub struct ValidateArgs {
    /// What the documents are: identity, resource, trust, boundary, scp,
    /// rcp or session.
    #[arg(long = "type", default_value = "identity", value_parser = parse_kind)]
    kind: PolicyKind,
    /// Refuse documents without "Version": "2012-10-17", as CreatePolicy does.
    #[arg(long)]
    require_version: bool,
    /// Policy files.
    #[arg(required = true)]
    files: Vec<String>,
}

/// Arguments of `tessera policy evaluate`.
#[derive(Args)]
pub struct EvaluateArgs {
    /// JSON-lines file of cases: {"id", "identityPolicies", "resourcePolicy",
    /// "resourcePolicyKind", "permissionsBoundary", "sessionPolicies",
    /// "scps", "rcps", "request"}.
    ///
    /// "resourcePolicyKind" is "standard", "trust" (a role trust policy) or
    /// "key" (a KMS key policy); trust and key policies must allow the
    /// request explicitly. Without it the request decides: "key" for a KMS
    /// key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/...), "trust" for
    /// sts:AssumeRole* on a role ARN, "standard" otherwise. The answer's
    /// explanation names the kind used.
    #[arg(long)]
    cases: String,
    /// The resource policy kind for cases without "resourcePolicyKind":
    /// `standard`, `trust` or `key`. Without it the request decides, as
    /// above.
    #[arg(long = "resource-policy-kind", value_parser = parse_resource_kind)]
    resource_policy_kind: Option<ResourcePolicyKind>,
    /// After answering, evaluate every case N more times and print
    /// decisions per second (evaluation only) on stderr.
    #[arg(long)]
    repeat: Option<u64>,
}

/// Arguments of `tessera policy simulate`.
#[derive(Args)]
pub struct SimulateArgs {
    /// An identity policy file (repeatable).
    #[arg(long = "identity")]
    identity: Vec<String>,
    /// The resource's policy file. For `sts:AssumeRole*` on a role ARN it
    /// is read as the role's trust policy, for a KMS key ARN as the key
    /// policy (see --resource-policy-kind).
    #[arg(long = "resource-policy")]
    resource_policy: Option<String>,
    /// What the resource policy is: `standard`, `trust` (a role trust
    /// policy) or `key` (a KMS key policy).
    ///
    /// Trust and key policies must allow the request explicitly: "Unless
    /// the key policy explicitly allows it, you cannot use IAM policies to
    /// allow access to a KMS key" (KMS Developer Guide, key-policies); a key
    /// policy naming the account (`arn:aws:iam::ACCOUNT:root`) lets identity
    /// policies allow. By default the request decides: `key` for a KMS key
    /// ARN (`arn:PARTITION:kms:REGION:ACCOUNT:key/…`), `trust` for
    /// `sts:AssumeRole*` on a role ARN, `standard` otherwise. This holds
    /// without --resource-policy too: a request on a key, or
    /// `sts:AssumeRole*` on a role, is then denied; say `standard` to judge
    /// by identity policies alone.
    #[arg(long = "resource-policy-kind", value_parser = parse_resource_kind)]
    resource_policy_kind: Option<ResourcePolicyKind>,
    /// The permissions boundary file.
    #[arg(long)]
    boundary: Option<String>,
    /// A session policy file (repeatable).
    #[arg(long = "session-policy")]
    session_policy: Vec<String>,
    /// An SCP file (repeatable); each file is one level, root first.
    #[arg(long)]
    scp: Vec<String>,
    /// The caller: an ARN (user, root, assumed-role, federated-user),
    /// `anonymous`, `service:NAME` or `federated:PROVIDER`.
    #[arg(long)]
    principal: String,
    /// The action, e.g. `s3:GetObject`.
    #[arg(long)]
    action: String,
    /// The resource ARN (`*` for actions without one).
    #[arg(long, default_value = "*")]
    resource: String,
    /// The account owning the resource (default: from the resource ARN,
    /// else the caller's).
    #[arg(long)]
    resource_account: Option<String>,
    /// A context key, `key=value` (repeatable). Giving the same key more
    /// than once makes it multivalued: `--context aws:TagKeys=a
    /// --context aws:TagKeys=b`. Values are taken literally (commas too).
    #[arg(long = "context")]
    context: Vec<String>,
}

fn parse_resource_kind(name: &str) -> Result<ResourcePolicyKind, String> {
    match ResourcePolicyKind::from_name(name) {
        Some(ResourcePolicyKind::FromRequest) | None => Err(format!(
            "unknown resource policy kind `{name}`; use standard, trust or key"
        )),
        Some(kind) => Ok(kind),
    }
}

/// The kind of resource policy for a request: the one given, else the one
/// the action and resource imply.
fn resource_kind(
    given: Option<ResourcePolicyKind>,
    action: &str,
    resource: &str,
) -> ResourcePolicyKind {
    given.unwrap_or_default().resolve(action, resource)
}

/// The grammar a resource policy of `kind` is validated with.
fn resource_policy_grammar(kind: ResourcePolicyKind) -> PolicyKind {
    if kind == ResourcePolicyKind::RoleTrust {
        PolicyKind::Trust
    } else {
        PolicyKind::Resource
    }
}

fn parse_kind(name: &str) -> Result<PolicyKind, String> {
    PolicyKind::from_name(name).ok_or_else(|| format!("unknown policy type `{name}`; use identity, resource, trust, boundary, scp, rcp or session"))
}

/// Runs a `tessera policy` subcommand.
pub fn run(cmd: PolicyCommand) -> ExitCode {
    match cmd {
        PolicyCommand::Validate(args) => run_validate(&args),
        PolicyCommand::Evaluate(args) => run_evaluate(&args),
        PolicyCommand::Simulate(args) => run_simulate(&args),
    }
}

fn run_validate(args: &ValidateArgs) -> ExitCode {
    let config = ValidationConfig {
        require_current_version: args.require_version,
        ..ValidationConfig::for_kind(args.kind)
    };
    let mut failed = false;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for file in &args.files {
        let text = match fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{file}: error: cannot read the file: {e}");
                failed = true;
                continue;
            }
        };
        let report = validate(&text, &config);
        for d in &report.diagnostics {
            let at = if d.path.is_empty() {
                String::new()
            } else {
                format!(" (at {})", d.path)
            };
            let _ = writeln!(
                out,
                "{file}:{}:{}: {}: {}{at}",
                d.position.line, d.position.column, d.severity, d.message
            );
        }
        failed |= report.has_errors();
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn document_text(value: &Value, name: &str) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Object(_) => Ok(value.to_string()),
        other => Err(format!(
            "{name}: a policy must be a JSON object or a JSON string, found {other}"
        )),
    }
}

fn compile_doc(value: &Value, name: &str, kind: PolicyKind) -> Result<Arc<CompiledPolicy>, String> {
    let text = document_text(value, name)?;
    CompiledPolicy::compile_kind(name, &text, kind)
        .map(Arc::new)
        .map_err(|e| format!("{name}: {e}"))
}

fn compile_list(
    value: Option<&Value>,
    name: &str,
    kind: PolicyKind,
) -> Result<Vec<Arc<CompiledPolicy>>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, d)| compile_doc(d, &format!("{name}[{i}]"), kind))
            .collect(),
        Some(_) => Err(format!("{name}: expected an array of policies")),
    }
}

fn compile_levels(
    value: Option<&Value>,
    name: &str,
    kind: PolicyKind,
) -> Result<Vec<Vec<Arc<CompiledPolicy>>>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(levels)) => levels
            .iter()
            .enumerate()
            .map(|(i, level)| match level {
                Value::Array(_) => compile_list(Some(level), &format!("{name}[{i}]"), kind),
                single => compile_doc(single, &format!("{name}[{i}]"), kind).map(|p| vec![p]),
            })
            .collect(),
        Some(_) => Err(format!(
            "{name}: expected an array of levels, root first, each an array of policies"
        )),
    }
}

fn parse_principal(text: &str) -> Result<Principal, String> {
    if text == "anonymous" {
        return Ok(Principal::anonymous());
    }
    if let Some(name) = text.strip_prefix("service:") {
        return Ok(Principal::service(name));
    }
    if let Some(provider) = text.strip_prefix("federated:") {
        return Ok(Principal::identity_provider(provider));
    }
    Principal::from_arn(text).map_err(|e| e.to_string())
}

fn context_value(key: &str, value: &Value) -> Result<ContextValue, String> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!(
            "context key `{key}`: values must be strings, numbers or booleans, found {other}"
        )),
    };
    match value {
        Value::Array(items) => items
            .iter()
            .map(scalar)
            .collect::<Result<Vec<_>, _>>()
            .map(ContextValue::Multi),
        other => scalar(other).map(ContextValue::Single),
    }
}

/// Builds one case; `default_kind` is the resource policy kind for a case
/// that does not name one.
fn build_case(
    case: &Value,
    default_kind: Option<ResourcePolicyKind>,
) -> Result<(OwnedPolicySet, Request), String> {
    let request = case.get("request").ok_or("the case has no `request`")?;
    let field = |name: &str| request.get(name).and_then(Value::as_str);
    let principal = parse_principal(field("principal").ok_or("`request.principal` is missing")?)?;
    let action = field("action").ok_or("`request.action` is missing")?;
    let resource = field("resource").unwrap_or("*");
    let mut req = Request::new(principal, action, resource);
    if let Some(account) = field("resourceAccount") {
        req = req.with_resource_account(account);
    }
    if let Some(context) = request.get("context") {
        let Value::Object(entries) = context else {
            return Err("`request.context` must be an object".into());
        };
        for (k, v) in entries {
            req = req.with_context(k, context_value(k, v)?);
        }
    }
    let given = match case.get("resourcePolicyKind") {
        None | Some(Value::Null) => default_kind,
        Some(Value::String(name)) => {
            Some(parse_resource_kind(name).map_err(|e| format!("resourcePolicyKind: {e}"))?)
        }
        Some(other) => {
            return Err(format!(
                "resourcePolicyKind: expected \"standard\", \"trust\" or \"key\", found {other}"
            ))
        }
    };
    let kind = resource_kind(given, action, resource);
    let mut compiled = OwnedPolicySet {
        identity: compile_list(
            case.get("identityPolicies"),
            "identityPolicies",
            PolicyKind::Identity,
        )?,
        session: compile_list(
            case.get("sessionPolicies"),
            "sessionPolicies",
            PolicyKind::Session,
        )?,
        service_control: compile_levels(case.get("scps"), "scps", PolicyKind::ServiceControl)?,
        resource_control: compile_levels(case.get("rcps"), "rcps", PolicyKind::ResourceControl)?,
        ..OwnedPolicySet::default()
    };
    if let Some(b) = case.get("permissionsBoundary").filter(|v| !v.is_null()) {
        compiled.permissions_boundary =
            Some(compile_doc(b, "permissionsBoundary", PolicyKind::Boundary)?);
    }
    if let Some(r) = case.get("resourcePolicy").filter(|v| !v.is_null()) {
        compiled.resource = Some(compile_doc(
            r,
            "resourcePolicy",
            resource_policy_grammar(kind),
        )?);
    }
    compiled.resource_kind = kind;
    Ok((compiled, req))
}

fn explanation(eval: &Evaluation<'_>, request: &Request, kind: ResourcePolicyKind) -> Value {
    let mut out = Map::new();
    out.insert("reason".into(), json!(describe_reason(eval.reason())));
    out.insert("resourcePolicyKind".into(), json!(kind.as_str()));
    match eval.reason() {
        Reason::ExplicitDeny(t) => {
            out.insert("deniedBy".into(), json!(t.as_str()));
        }
        Reason::ImplicitDeny(t) => {
            out.insert("missingAllow".into(), json!(t.as_str()));
        }
        Reason::Allowed(_) => {}
    }
    if let Some(message) = eval.access_denied_message(request) {
        out.insert("accessDeniedMessage".into(), json!(message));
    }
    let matched: Vec<Value> = eval
        .matched_statements()
        .map(|m| {
            json!({
                "policyType": m.policy_type.as_str(),
                "policy": m.policy_name(),
                "sid": m.sid(),
                "statementIndex": m.statement_index,
                "level": m.level,
                "effect": match m.effect { tessera_policy::Effect::Allow => "Allow", tessera_policy::Effect::Deny => "Deny" },
            })
        })
        .collect();
    out.insert("matchedStatements".into(), Value::Array(matched));
    Value::Object(out)
}

fn run_evaluate(args: &EvaluateArgs) -> ExitCode {
    let file = match fs::File::open(&args.cases) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{}: error: cannot read the file: {e}", args.cases);
            return ExitCode::FAILURE;
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut ready: Vec<(OwnedPolicySet, Request)> = Vec::new();
    for (number, line) in BufReader::new(file).lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("{}:{}: error: {e}", args.cases, number + 1);
                return ExitCode::FAILURE;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let case: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                let _ = writeln!(
                    out,
                    "{}",
                    json!({"id": Value::Null, "error": format!("line {}: not JSON: {e}", number + 1)})
                );
                continue;
            }
        };
        let id = case.get("id").cloned().unwrap_or(Value::Null);
        let answer = match build_case(&case, args.resource_policy_kind) {
            Ok((compiled, request)) => {
                let answer = {
                    let set = compiled.as_set();
                    let eval = evaluate(&set, &request);
                    json!({"id": id, "decision": eval.decision().as_str(), "explanation": explanation(&eval, &request, compiled.resource_kind)})
                };
                ready.push((compiled, request));
                answer
            }
            Err(message) => json!({"id": id, "error": message}),
        };
        let _ = writeln!(out, "{answer}");
    }
    if let Some(times) = args.repeat {
        let sets: Vec<(PolicySet<'_>, &Request)> =
            ready.iter().map(|(c, r)| (c.as_set(), r)).collect();
        let start = Instant::now();
        let mut decisions = 0u64;
        for _ in 0..times {
            for (set, request) in &sets {
                std::hint::black_box(evaluate(set, request).decision());
                decisions += 1;
            }
        }
        let seconds = start.elapsed().as_secs_f64();
        let rate = if seconds > 0.0 {
            decisions as f64 / seconds
        } else {
            f64::INFINITY
        };
        eprintln!(
            "{decisions} decisions in {seconds:.3} s: {rate:.0} decisions/s (evaluation only)"
        );
    }
    ExitCode::SUCCESS
}

fn read_policy(path: &str, kind: PolicyKind) -> Result<Arc<CompiledPolicy>, String> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("{path}: cannot read the file: {e}"))?;
    CompiledPolicy::compile_kind(path, &text, kind)
        .map(Arc::new)
        .map_err(|e| {
            e.report
                .errors()
                .map(|d| {
                    format!(
                        "{path}:{}:{}: error: {}",
                        d.position.line, d.position.column, d.message
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
}

fn simulate(args: &SimulateArgs) -> Result<String, String> {
    let principal = parse_principal(&args.principal)?;
    let mut request = Request::new(principal, &args.action, &args.resource);
    if let Some(account) = &args.resource_account {
        request = request.with_resource_account(account);
    }
    let mut context: Vec<(String, Vec<String>)> = Vec::new();
    for entry in &args.context {
        let (key, value) = entry
            .split_once('=')
            .ok_or_else(|| format!("--context `{entry}` must be key=value"))?;
        match context
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            Some((_, values)) => values.push(value.to_string()),
            None => context.push((key.to_string(), vec![value.to_string()])),
        }
    }
    for (key, mut values) in context {
        let value = if values.len() == 1 {
            ContextValue::Single(values.remove(0))
        } else {
            ContextValue::Multi(values)
        };
        request = request.with_context(&key, value);
    }
    let kind = resource_kind(args.resource_policy_kind, &args.action, &args.resource);
    let mut case = OwnedPolicySet {
        identity: args
            .identity
            .iter()
            .map(|p| read_policy(p, PolicyKind::Identity))
            .collect::<Result<_, _>>()?,
        session: args
            .session_policy
            .iter()
            .map(|p| read_policy(p, PolicyKind::Session))
            .collect::<Result<_, _>>()?,
        service_control: args
            .scp
            .iter()
            .map(|p| read_policy(p, PolicyKind::ServiceControl).map(|p| vec![p]))
            .collect::<Result<_, _>>()?,
        ..OwnedPolicySet::default()
    };
    if let Some(b) = &args.boundary {
        case.permissions_boundary = Some(read_policy(b, PolicyKind::Boundary)?);
    }
    if let Some(r) = &args.resource_policy {
        case.resource = Some(read_policy(r, resource_policy_grammar(kind))?);
    }
    case.resource_kind = kind;
    let set = case.as_set();
    let eval = evaluate(&set, &request);
    let mut text = String::new();
    text.push_str(&format!(
        "principal: {}\naction:    {}\nresource:  {}\n\n",
        request.principal().display_arn(),
        request.action(),
        request.resource()
    ));
    if kind != ResourcePolicyKind::Standard {
        text.push_str(&format!(
            "resource policy kind: {} ({})\n\n",
            kind.as_str(),
            kind.describe()
        ));
    }
    text.push_str(&eval.explain());
    if let Some(message) = eval.access_denied_message(&request) {
        text.push_str(&format!("\nAccessDenied: {message}\n"));
    }
    if let Reason::ImplicitDeny(missing) = eval.reason() {
        let policies: Vec<&CompiledPolicy> = match missing {
            PolicyType::Identity => case.identity.iter().map(|p| &**p).collect(),
            PolicyType::Session => case.session.iter().map(|p| &**p).collect(),
            PolicyType::PermissionsBoundary => {
                case.permissions_boundary.iter().map(|p| &**p).collect()
            }
            PolicyType::Resource => case.resource.iter().map(|p| &**p).collect(),
            PolicyType::ServiceControl => case
                .service_control
                .iter()
                .flatten()
                .map(|p| &**p)
                .collect(),
            PolicyType::ResourceControl => case
                .resource_control
                .iter()
                .flatten()
                .map(|p| &**p)
                .collect(),
        };
        if !policies.is_empty() {
            text.push_str(&format!("\nwhy no {} allows it:\n", missing.noun()));
        }
        for policy in policies {
            for index in 0..policy.statement_count() {
                let outcome =
                    policy.check_statement(index, &request, case.permissions_boundary.is_some());
                let why = match outcome {
                    Some(StatementOutcome::Applies) => "applies".to_string(),
                    Some(StatementOutcome::ActionNotMatched) => "action does not match".to_string(),
                    Some(StatementOutcome::ResourceNotMatched) => {
                        "resource does not match".to_string()
                    }
                    Some(StatementOutcome::PrincipalNotMatched) => {
                        "principal does not match".to_string()
                    }
                    Some(StatementOutcome::ConditionFailed { operator, key }) => {
                        format!("condition {operator} on {key} does not hold")
                    }
                    None => continue,
                };
                let sid = policy
                    .sid(index)
                    .map(|s| format!("`{s}` "))
                    .unwrap_or_default();
                text.push_str(&format!(
                    "  - {} statement {sid}#{index}: {why}\n",
                    policy.name()
                ));
            }
        }
    }
    Ok(text)
}

fn run_simulate(args: &SimulateArgs) -> ExitCode {
    match simulate(args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
