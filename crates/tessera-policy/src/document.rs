//! Reading a policy document: JSON → checked model, with every finding
//! reported as a [`Diagnostic`].
//!
//! One pass does both parsing and validation, so the compiled policy is
//! built only from what validation has seen and accepted. The rules come
//! from the IAM JSON policy reference (reference_policies_elements_*,
//! reference_policies_grammar) and from the messages IAM returns for
//! malformed documents; IAM's wording is attached where it is known.

use crate::arn::{is_account_id, Arn, KNOWN_PARTITIONS};
use crate::condition::{ConditionTest, Operator};
use crate::diagnostics::{
    Diagnostic, DiagnosticCode, PolicyKind, Severity, ValidationConfig, ValidationReport,
    SYNTAX_ERRORS,
};
use crate::json::{self, Json, JsonValue, Member, Position};
use crate::pattern::malformed_variable;

/// The policy language version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LanguageVersion {
    /// `2012-10-17`: policy variables are substituted.
    Current,
    /// `2008-10-17`: variables are literal text.
    Legacy,
    /// No `Version`: variables are literal text.
    Unspecified,
}

impl LanguageVersion {
    /// Whether `${…}` is a variable under this version.
    pub fn supports_variables(&self) -> bool {
        *self == LanguageVersion::Current
    }
}

/// Allow or Deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    /// `"Effect": "Allow"`.
    Allow,
    /// `"Effect": "Deny"`.
    Deny,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct PrincipalModel {
    pub(crate) wildcard: bool,
    pub(crate) aws: Vec<String>,
    pub(crate) service: Vec<String>,
    pub(crate) federated: Vec<String>,
    pub(crate) canonical: Vec<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct StatementModel {
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    pub(crate) principal: Option<PrincipalModel>,
    pub(crate) not_principal: bool,
    pub(crate) actions: Vec<String>,
    pub(crate) not_action: bool,
    pub(crate) resources: Option<Vec<String>>,
    pub(crate) not_resource: bool,
    pub(crate) conditions: Vec<ConditionTest>,
}

#[derive(Clone, Debug)]
pub(crate) struct Document {
    pub(crate) version: LanguageVersion,
    pub(crate) id: Option<String>,
    pub(crate) statements: Vec<StatementModel>,
}

const TOP_ELEMENTS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];
const PRINCIPAL_TYPES: &[&str] = &["AWS", "Service", "Federated", "CanonicalUser"];
const TRUST_ACTIONS: &[&str] = &[
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
    "sts:setcontext",
];
const IAM_RESOURCE_PREFIXES: &[&str] = &[
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
    // Temporary delegation's requests (Service Authorization Reference:
    // `arn:${Partition}:iam::${Account}:delegation-request/${DelegationRequestId}`).
    "delegation-request/",
];

/// IAM's check of the resource part of an IAM ARN, a literal comparison
/// (reference-arns, "Incorrect wildcard usage": `arn:aws:iam::123456789012:u*`
/// is refused): exactly `*` or `root`, or a name starting with one of
/// [`IAM_RESOURCE_PREFIXES`]. A wildcard or a variable before the prefix
/// is refused, as in `*/bob` or `*name*`.
fn is_iam_resource_path(resource: &str) -> bool {
    resource == "*"
        || resource == "root"
        || IAM_RESOURCE_PREFIXES
            .iter()
            .any(|p| resource.starts_with(p))
}

/// Counts the characters that count toward IAM's size quotas: everything
/// except whitespace.
pub fn policy_size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

struct Walker<'c> {
    config: &'c ValidationConfig,
    diagnostics: Vec<Diagnostic>,
    variables: bool,
}

impl Walker<'_> {
    fn report(
        &mut self,
        severity: Severity,
        code: DiagnosticCode,
        path: &str,
        position: Position,
        message: String,
        aws: Option<String>,
    ) {
        self.diagnostics.push(Diagnostic {
            severity,
            code,
            message,
            path: path.to_string(),
            position,
            aws_message: aws,
        });
    }

    fn error(&mut self, code: DiagnosticCode, path: &str, position: Position, message: String) {
        self.report(Severity::Error, code, path, position, message, None);
    }

    fn error_aws(
        &mut self,
        code: DiagnosticCode,
        path: &str,
        position: Position,
        message: String,
        aws: &str,
    ) {
        self.report(
            Severity::Error,
            code,
            path,
            position,
            message,
            Some(aws.to_string()),
        );
    }

    fn warning(&mut self, code: DiagnosticCode, path: &str, position: Position, message: String) {
        self.report(Severity::Warning, code, path, position, message, None);
    }

    /// Reports unknown and duplicate members of an object.
    fn check_members(&mut self, members: &[Member], known: &[&str], path: &str, what: &str) {
        for (i, m) in members.iter().enumerate() {
            let child = join(path, &m.key);
            if !known.contains(&m.key.as_str()) {
                let suggestion = known.iter().find(|k| k.eq_ignore_ascii_case(&m.key));
                let hint = match suggestion {
                    Some(k) => format!("; element names are case-sensitive: did you mean `{k}`?"),
                    None => format!("; {what} may contain {}", list(known)),
                };
                self.error_aws(
                    DiagnosticCode::UnknownElement,
                    &child,
                    m.key_position,
                    format!("unknown element `{}`{hint}", m.key),
                    SYNTAX_ERRORS,
                );
            }
            if members.iter().take(i).any(|earlier| earlier.key == m.key) {
                self.error_aws(
                    DiagnosticCode::DuplicateElement,
                    &child,
                    m.key_position,
                    format!(
                        "element `{}` appears more than once; merge the two into one",
                        m.key
                    ),
                    SYNTAX_ERRORS,
                );
            }
        }
    }

    /// Reads a string or an array of strings.
    fn strings(
        &mut self,
        value: &Json,
        path: &str,
        element: &str,
    ) -> Option<Vec<(String, Position, String)>> {
        match &value.value {
            JsonValue::String(s) => Some(vec![(s.clone(), value.position, path.to_string())]),
            JsonValue::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    match &item.value {
                        JsonValue::String(s) => out.push((s.clone(), item.position, item_path)),
                        _ => {
                            self.error_aws(
                                DiagnosticCode::WrongType,
                                &item_path,
                                item.position,
                                format!(
                                    "`{element}` entries must be strings, found {}",
                                    item.type_name()
                                ),
                                SYNTAX_ERRORS,
                            );
                            ok = false;
                        }
                    }
                }
                ok.then_some(out)
            }
            _ => {
                self.error_aws(
                    DiagnosticCode::WrongType,
                    path,
                    value.position,
                    format!(
                        "`{element}` must be a string or an array of strings, found {}",
                        value.type_name()
                    ),
                    SYNTAX_ERRORS,
                );
                None
            }
        }
    }

    fn document(&mut self, root: &Json) -> Option<Document> {
        let JsonValue::Object(members) = &root.value else {
            self.error_aws(
                DiagnosticCode::WrongType,
                "",
                root.position,
                format!("a policy document must be a JSON object with `Version` and `Statement`, found {}", root.type_name()),
                SYNTAX_ERRORS,
            );
            return None;
        };
        self.check_members(members, TOP_ELEMENTS, "", "a policy document");
        let version = self.version(members, root.position);
        self.variables = version.supports_variables();
        let id = match find(members, "Id") {
            Some(m) => match &m.value.value {
                JsonValue::String(s) => Some(s.clone()),
                _ => {
                    self.error_aws(
                        DiagnosticCode::WrongType,
                        "Id",
                        m.value.position,
                        format!("`Id` must be a string, found {}", m.value.type_name()),
                        SYNTAX_ERRORS,
                    );
                    None
                }
            },
            None => None,
        };
        let Some(statement_member) = find(members, "Statement") else {
            self.error_aws(
                DiagnosticCode::MissingStatement,
                "",
                root.position,
                "the document has no `Statement`; add one statement object or an array of them"
                    .into(),
                SYNTAX_ERRORS,
            );
            return None;
        };
        let statement_values: Vec<(String, &Json)> = match &statement_member.value.value {
            JsonValue::Object(_) => vec![("Statement".to_string(), &statement_member.value)],
            JsonValue::Array(items) if items.is_empty() => {
                self.error_aws(
                    DiagnosticCode::MissingStatement,
                    "Statement",
                    statement_member.value.position,
                    "`Statement` is empty; a policy needs at least one statement".into(),
                    SYNTAX_ERRORS,
                );
                return None;
            }
            JsonValue::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("Statement[{i}]"), s))
                .collect(),
            _ => {
                self.error_aws(
                    DiagnosticCode::WrongType,
                    "Statement",
                    statement_member.value.position,
                    format!(
                        "`Statement` must be an object or an array of objects, found {}",
                        statement_member.value.type_name()
                    ),
                    SYNTAX_ERRORS,
                );
                return None;
            }
        };
        let mut statements = Vec::with_capacity(statement_values.len());
        let mut sids: Vec<String> = Vec::new();
        let mut all_ok = true;
        for (path, value) in statement_values {
            match self.statement(value, &path, &mut sids) {
                Some(s) => statements.push(s),
                None => all_ok = false,
            }
        }
        all_ok.then_some(Document {
            version,
            id,
            statements,
        })
    }

    fn version(&mut self, members: &[Member], root_position: Position) -> LanguageVersion {
        const REQUIRED: &str = "Policy document must be version 2012-10-17 or greater.";
        let Some(m) = find(members, "Version") else {
            let message = "no `Version`: policy variables are read as literal text; add \"Version\": \"2012-10-17\"".to_string();
            if self.config.require_current_version {
                self.error_aws(
                    DiagnosticCode::MissingVersion,
                    "",
                    root_position,
                    message,
                    REQUIRED,
                );
            } else {
                self.warning(DiagnosticCode::MissingVersion, "", root_position, message);
            }
            return LanguageVersion::Unspecified;
        };
        match m.value.as_str() {
            Some("2012-10-17") => LanguageVersion::Current,
            Some("2008-10-17") => {
                let message = "`Version` 2008-10-17 reads policy variables as literal text; use \"2012-10-17\"".to_string();
                if self.config.require_current_version {
                    self.error_aws(
                        DiagnosticCode::OldVersion,
                        "Version",
                        m.value.position,
                        message,
                        REQUIRED,
                    );
                } else {
                    self.warning(
                        DiagnosticCode::OldVersion,
                        "Version",
                        m.value.position,
                        message,
                    );
                }
                LanguageVersion::Legacy
            }
            Some(other) => {
                self.error_aws(
                    DiagnosticCode::InvalidVersion,
                    "Version",
                    m.value.position,
                    format!("`Version` `{other}` is not a policy language version; use \"2012-10-17\" (or the old \"2008-10-17\")"),
                    SYNTAX_ERRORS,
                );
                LanguageVersion::Current
            }
            None => {
                self.error_aws(
                    DiagnosticCode::WrongType,
                    "Version",
                    m.value.position,
                    format!(
                        "`Version` must be the string \"2012-10-17\", found {}",
                        m.value.type_name()
                    ),
                    SYNTAX_ERRORS,
                );
                LanguageVersion::Current
            }
        }
    }

    fn statement(
        &mut self,
        value: &Json,
        path: &str,
        sids: &mut Vec<String>,
    ) -> Option<StatementModel> {
        let JsonValue::Object(members) = &value.value else {
            self.error_aws(
                DiagnosticCode::WrongType,
                path,
                value.position,
                format!(
                    "a statement must be a JSON object, found {}",
                    value.type_name()
                ),
                SYNTAX_ERRORS,
            );
            return None;
        };
        let errors_before = self.error_count();
        self.check_members(members, STATEMENT_ELEMENTS, path, "a statement");
        let sid = self.sid(members, path, sids);
        let effect = self.effect(members, path, value.position);
        let (actions, not_action) = self.actions(members, path, value.position);
        let (resources, not_resource) = self.resources(members, path, value.position);
        let (principal, not_principal) = self.principal(members, path, value.position, effect);
        let conditions = self.conditions(members, path);

        if effect == Some(Effect::Allow) && not_action {
            if let Some(rs) = &resources {
                if !not_resource && rs.iter().any(|r| r == "*") {
                    let position =
                        find(members, "NotAction").map_or(value.position, |m| m.key_position);
                    self.warning(
                        DiagnosticCode::AllowNotActionAllResources,
                        &join(path, "NotAction"),
                        position,
                        "Allow with `NotAction` on `\"Resource\": \"*\"` grants every action of every service except those listed, including ones added later; list the allowed actions in `Action` instead".into(),
                    );
                }
            }
        }
        if self.error_count() > errors_before {
            return None;
        }
        Some(StatementModel {
            sid,
            effect: effect?,
            principal,
            not_principal,
            actions,
            not_action,
            resources,
            not_resource,
            conditions,
        })
    }

    fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    fn sid(&mut self, members: &[Member], path: &str, sids: &mut Vec<String>) -> Option<String> {
        let m = find(members, "Sid")?;
        let sid_path = join(path, "Sid");
        let Some(sid) = m.value.as_str() else {
            self.error_aws(
                DiagnosticCode::WrongType,
                &sid_path,
                m.value.position,
                format!("`Sid` must be a string, found {}", m.value.type_name()),
                SYNTAX_ERRORS,
            );
            return None;
        };
        let strict = matches!(
            self.config.kind,
            PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Trust | PolicyKind::Session
        );
        if strict && !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            self.error_aws(
                DiagnosticCode::InvalidSid,
                &sid_path,
                m.value.position,
                format!("`Sid` `{sid}` may contain only letters and digits (A-Z, a-z, 0-9)"),
                "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
            );
        }
        if sids.iter().any(|s| s == sid) {
            self.error_aws(
                DiagnosticCode::DuplicateSid,
                &sid_path,
                m.value.position,
                format!("`Sid` `{sid}` is used by an earlier statement; statement ids must be unique within a policy"),
                "Statement IDs (SID) in a single policy must be unique.",
            );
        } else {
            sids.push(sid.to_string());
        }
        Some(sid.to_string())
    }

    fn effect(
        &mut self,
        members: &[Member],
        path: &str,
        statement_position: Position,
    ) -> Option<Effect> {
        let Some(m) = find(members, "Effect") else {
            self.error_aws(
                DiagnosticCode::InvalidEffect,
                path,
                statement_position,
                "the statement has no `Effect`; add \"Effect\": \"Allow\" or \"Deny\"".into(),
                SYNTAX_ERRORS,
            );
            return None;
        };
        let effect_path = join(path, "Effect");
        match m.value.as_str() {
            Some("Allow") => Some(Effect::Allow),
            Some("Deny") => Some(Effect::Deny),
            Some(other)
                if other.eq_ignore_ascii_case("allow") || other.eq_ignore_ascii_case("deny") =>
            {
                self.error_aws(
                    DiagnosticCode::InvalidEffect,
                    &effect_path,
                    m.value.position,
                    format!("`Effect` `{other}` must be written exactly \"Allow\" or \"Deny\""),
                    "The policy failed legacy parsing",
                );
                None
            }
            Some(other) => {
                self.error_aws(
                    DiagnosticCode::InvalidEffect,
                    &effect_path,
                    m.value.position,
                    format!("`Effect` `{other}` must be \"Allow\" or \"Deny\""),
                    SYNTAX_ERRORS,
                );
                None
            }
            None => {
                self.error_aws(
                    DiagnosticCode::WrongType,
                    &effect_path,
                    m.value.position,
                    format!(
                        "`Effect` must be the string \"Allow\" or \"Deny\", found {}",
                        m.value.type_name()
                    ),
                    SYNTAX_ERRORS,
                );
                None
            }
        }
    }

    fn actions(
        &mut self,
        members: &[Member],
        path: &str,
        statement_position: Position,
    ) -> (Vec<String>, bool) {
        const MUST_CONTAIN: &str = "Policy statement must contain actions.";
        let action = find(members, "Action");
        let not_action = find(members, "NotAction");
        let (m, negated) = match (action, not_action) {
            (Some(a), Some(_)) => {
                self.error_aws(
                    DiagnosticCode::ActionAndNotAction,
                    &join(path, "NotAction"),
                    a.key_position,
                    "a statement has either `Action` or `NotAction`, not both".into(),
                    SYNTAX_ERRORS,
                );
                return (Vec::new(), false);
            }
            (Some(a), None) => (a, false),
            (None, Some(n)) => (n, true),
            (None, None) => {
                self.error_aws(DiagnosticCode::MissingAction, path, statement_position, "the statement has no `Action` or `NotAction`; name the actions it covers, e.g. \"s3:GetObject\"".into(), MUST_CONTAIN);
                return (Vec::new(), false);
            }
        };
        let element = if negated { "NotAction" } else { "Action" };
        let element_path = join(path, element);
        let Some(items) = self.strings(&m.value, &element_path, element) else {
            return (Vec::new(), negated);
        };
        if items.is_empty() {
            self.error_aws(
                DiagnosticCode::MissingAction,
                &element_path,
                m.value.position,
                format!("`{element}` is empty; list at least one action"),
                MUST_CONTAIN,
            );
        }
        let mut out = Vec::with_capacity(items.len());
        for (action, position, item_path) in items {
            self.check_action(&action, position, &item_path);
            out.push(action);
        }
        (out, negated)
    }

    fn check_action(&mut self, action: &str, position: Position, path: &str) {
        if action == "*" {
            if self.config.kind == PolicyKind::Trust {
                self.trust_action_error(action, position, path);
            }
            return;
        }
        if action.contains("${") {
            self.error(DiagnosticCode::VariableNotAllowed, path, position, format!("action `{action}` has a policy variable; variables are allowed only in `Resource` and in string, ARN and Bool condition values"));
            return;
        }
        let Some((vendor, name)) = action.split_once(':') else {
            self.error_aws(
                DiagnosticCode::InvalidAction,
                path,
                position,
                format!("action `{action}` needs a service prefix, e.g. `s3:{action}` (or `*` for all actions)"),
                "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
            );
            return;
        };
        if name.contains(':') {
            self.error_aws(
                DiagnosticCode::InvalidAction,
                path,
                position,
                format!("action `{action}` has more than one `:`; write `service:ActionName`"),
                "Actions/Condition can contain only one colon.",
            );
            return;
        }
        if vendor.is_empty()
            || !vendor
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '*' | '?' | '_' | '.'))
        {
            self.error_aws(
                DiagnosticCode::InvalidAction,
                path,
                position,
                format!("action `{action}` has an invalid service prefix `{vendor}`; prefixes are letters, digits and `-`, e.g. `s3`, `iam`"),
                &format!("Vendor {vendor} is not valid"),
            );
            return;
        }
        if self.config.kind == PolicyKind::Trust {
            let lower = action.to_ascii_lowercase();
            let allowed = TRUST_ACTIONS.contains(&lower.as_str())
                || (lower.starts_with("sts:") && lower.contains(['*', '?']));
            if !allowed {
                self.trust_action_error(action, position, path);
            }
        }
    }

    fn trust_action_error(&mut self, action: &str, position: Position, path: &str) {
        self.error_aws(
            DiagnosticCode::TrustActionNotAllowed,
            path,
            position,
            format!("a trust policy may grant only `sts:AssumeRole`, `sts:AssumeRoleWithSAML`, `sts:AssumeRoleWithWebIdentity`, `sts:TagSession`, `sts:SetSourceIdentity` or `sts:SetContext`, not `{action}`"),
            "AssumeRole policy may only specify STS AssumeRole actions.",
        );
    }

    fn resources(
        &mut self,
        members: &[Member],
        path: &str,
        statement_position: Position,
    ) -> (Option<Vec<String>>, bool) {
        const MUST_CONTAIN: &str = "Policy statement must contain resources.";
        let resource = find(members, "Resource");
        let not_resource = find(members, "NotResource");
        let kind = self.config.kind;
        if kind == PolicyKind::Trust {
            if let Some(m) = resource.or(not_resource) {
                let element = if resource.is_some() {
                    "Resource"
                } else {
                    "NotResource"
                };
                self.error_aws(
                    DiagnosticCode::ProhibitedResource,
                    &join(path, element),
                    m.key_position,
                    format!("a trust policy must not have `{element}`: the role itself is the resource; remove it"),
                    &format!("Has prohibited field {element}"),
                );
                return (None, false);
            }
            return (None, false);
        }
        let (m, negated) = match (resource, not_resource) {
            (Some(r), Some(_)) => {
                self.error_aws(
                    DiagnosticCode::ResourceAndNotResource,
                    &join(path, "NotResource"),
                    r.key_position,
                    "a statement has either `Resource` or `NotResource`, not both".into(),
                    SYNTAX_ERRORS,
                );
                return (None, false);
            }
            (Some(r), None) => (r, false),
            (None, Some(n)) => (n, true),
            (None, None) => {
                if kind != PolicyKind::Resource {
                    self.error_aws(
                        DiagnosticCode::MissingResource,
                        path,
                        statement_position,
                        format!("the statement has no `Resource` or `NotResource`; {} must name resources (use \"*\" for all)", kind.describe()),
                        MUST_CONTAIN,
                    );
                }
                return (None, false);
            }
        };
        let element = if negated { "NotResource" } else { "Resource" };
        let element_path = join(path, element);
        let Some(items) = self.strings(&m.value, &element_path, element) else {
            return (None, negated);
        };
        if items.is_empty() {
            self.error_aws(
                DiagnosticCode::MissingResource,
                &element_path,
                m.value.position,
                format!("`{element}` is empty; list at least one ARN or \"*\""),
                MUST_CONTAIN,
            );
        }
        let mut out = Vec::with_capacity(items.len());
        for (resource, position, item_path) in items {
            self.check_resource(&resource, position, &item_path);
            out.push(resource);
        }
        (Some(out), negated)
    }

    fn check_resource(&mut self, resource: &str, position: Position, path: &str) {
        if resource == "*" {
            return;
        }
        if let Some(bad) = malformed_variable(resource) {
            if self.variables {
                self.warning(DiagnosticCode::MalformedVariable, path, position, format!("`{bad}` does not form a policy variable `${{key}}` and is read as literal text"));
            }
        }
        if resource.contains("${") && !self.variables {
            self.warning(
                DiagnosticCode::VariablesAreLiteral,
                path,
                position,
                format!("`{resource}` looks like it uses a policy variable, but without \"Version\": \"2012-10-17\" it is literal text"),
            );
        }
        let Some((first, _)) = resource.split_once(':') else {
            self.error_aws(
                DiagnosticCode::InvalidResource,
                path,
                position,
                format!("resource `{resource}` must be an ARN (`arn:partition:service:region:account:resource`) or `*`"),
                &format!("Resource {resource} must be in ARN format or \"*\"."),
            );
            return;
        };
        if self.variables {
            if let Some(at) = resource.find("${") {
                let colons_before = resource
                    .get(..at)
                    .map_or(0, |head| head.matches(':').count());
                if colons_before < 5 {
                    self.error(
                        DiagnosticCode::VariableNotAllowed,
                        path,
                        position,
                        format!("resource `{resource}` has a policy variable before the fifth `:`; variables may replace only the resource part of an ARN"),
                    );
                    return;
                }
            }
        }
        let parts: Vec<&str> = resource.split(':').collect();
        let partition = parts.get(1).copied().unwrap_or("");
        let partition_ok = KNOWN_PARTITIONS.contains(&partition) || partition.contains(['*', '?']);
        if first != "arn" || !partition_ok {
            let mut padded: Vec<&str> = parts.clone();
            if let Some(slot) = padded.first_mut() {
                *slot = "arn";
            }
            while padded.len() < 6 {
                padded.push("*");
            }
            let shown = padded.join(":");
            self.error_aws(
                DiagnosticCode::InvalidResource,
                path,
                position,
                format!("resource `{resource}` is not a valid ARN: it must start with `arn:` and a partition such as `aws`, e.g. `arn:aws:s3:::bucket/key`"),
                &format!("Partition \"{partition}\" is not valid for resource \"{shown}\"."),
            );
            return;
        }
        if parts.len() == 2 {
            self.error_aws(
                DiagnosticCode::InvalidResource,
                path,
                position,
                format!("resource `{resource}` names no service; write the full ARN, e.g. `arn:aws:s3:::bucket`"),
                "Resource vendor must be fully qualified and cannot contain regexes.",
            );
            return;
        }
        let ends_in_wildcard = parts.last().is_some_and(|p| p.contains('*'));
        // IAM's legacy parser accepts `arn:PARTITION:SERVICE` (three parts,
        // a service named): such a resource matches no request ARN.
        let service_only = parts.len() == 3 && parts.get(2).is_some_and(|s| !s.is_empty());
        if parts.len() < 6 && !ends_in_wildcard && !service_only {
            self.error_aws(
                DiagnosticCode::InvalidResource,
                path,
                position,
                format!("resource `{resource}` has {} of the 6 colon-separated ARN parts (`arn:partition:service:region:account:resource`)", parts.len()),
                "The policy failed legacy parsing",
            );
            return;
        }
        if let Some(arn) = Arn::parse(resource) {
            if arn.service == "iam" && !arn.region.is_empty() {
                self.error_aws(
                    DiagnosticCode::InvalidResource,
                    path,
                    position,
                    format!("IAM resource `{resource}` must not have a region: IAM is global; leave the fourth part empty"),
                    &format!("IAM resource {resource} cannot contain region information."),
                );
            } else if arn.service == "s3"
                && !arn.region.is_empty()
                && !arn.resource.starts_with("accesspoint")
                && !arn.region.contains('*')
            {
                self.error_aws(
                    DiagnosticCode::InvalidResource,
                    path,
                    position,
                    format!("S3 resource `{resource}` must not have a region; write `arn:aws:s3:::bucket`"),
                    &format!("Resource {resource} can not contain region information."),
                );
            } else if arn.service == "iam" && !is_iam_resource_path(arn.resource) {
                let hint = if arn.resource.contains(['*', '?', '$']) {
                    "; IAM compares the literal start, so a wildcard or variable cannot stand in for the resource type: write `user/*`, not `u*` or `*/bob`"
                } else {
                    ""
                };
                self.error_aws(
                    DiagnosticCode::InvalidResource,
                    path,
                    position,
                    format!("IAM resource `{resource}` must be `*`, `root`, or start with user/, role/, group/, policy/, instance-profile/, …{hint}"),
                    "IAM resource path must either be \"*\", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.",
                );
            }
        }
    }

    fn principal(
        &mut self,
        members: &[Member],
        path: &str,
        statement_position: Position,
        effect: Option<Effect>,
    ) -> (Option<PrincipalModel>, bool) {
        let principal = find(members, "Principal");
        let not_principal = find(members, "NotPrincipal");
        let kind = self.config.kind;
        if !kind.has_principal() {
            if let Some(m) = principal.or(not_principal) {
                let element = if principal.is_some() {
                    "Principal"
                } else {
                    "NotPrincipal"
                };
                self.error_aws(
                    DiagnosticCode::PrincipalNotAllowed,
                    &join(path, element),
                    m.key_position,
                    format!("{} must not name a `{element}`: it applies to whoever it is attached to; remove it", kind.describe()),
                    "Policy document should not specify a principal.",
                );
            }
            return (None, false);
        }
        let (m, negated) = match (principal, not_principal) {
            (Some(p), Some(_)) => {
                self.error_aws(
                    DiagnosticCode::PrincipalAndNotPrincipal,
                    &join(path, "NotPrincipal"),
                    p.key_position,
                    "a statement has either `Principal` or `NotPrincipal`, not both".into(),
                    SYNTAX_ERRORS,
                );
                return (None, false);
            }
            (Some(p), None) => (p, false),
            (None, Some(n)) => (n, true),
            (None, None) => {
                self.error_aws(
                    DiagnosticCode::MissingPrincipal,
                    path,
                    statement_position,
                    format!("the statement has no `Principal`; {} must say whom it applies to, e.g. \"Principal\": {{\"AWS\": \"arn:aws:iam::123456789012:root\"}}", kind.describe()),
                    "Missing required field Principal",
                );
                return (None, false);
            }
        };
        let element = if negated { "NotPrincipal" } else { "Principal" };
        let element_path = join(path, element);
        if negated && kind == PolicyKind::Trust {
            self.error_aws(
                DiagnosticCode::PrincipalNotAllowed,
                &element_path,
                m.key_position,
                "a trust policy cannot use `NotPrincipal`; name the trusted principals in `Principal`".into(),
                SYNTAX_ERRORS,
            );
            return (None, true);
        }
        if negated && effect == Some(Effect::Allow) {
            self.warning(
                DiagnosticCode::AllowWithNotPrincipal,
                &element_path,
                m.key_position,
                "Allow with `NotPrincipal` grants every principal except those listed, anonymous users included; use `Principal` (NotPrincipal is meant for Deny)".into(),
            );
        }
        let mut model = PrincipalModel::default();
        match &m.value.value {
            JsonValue::String(s) if s == "*" => model.wildcard = true,
            JsonValue::Object(entries) => {
                self.check_members(entries, PRINCIPAL_TYPES, &element_path, "a principal");
                for entry in entries {
                    let entry_path = join(&element_path, &entry.key);
                    let Some(values) = self.strings(&entry.value, &entry_path, &entry.key) else {
                        continue;
                    };
                    for (value, position, item_path) in values {
                        self.check_principal_value(&entry.key, &value, position, &item_path);
                        match entry.key.as_str() {
                            "AWS" if value == "*" => model.wildcard = true,
                            "AWS" => model.aws.push(value),
                            "Service" => model.service.push(value),
                            "Federated" => model.federated.push(value),
                            "CanonicalUser" => model.canonical.push(value),
                            _ => {}
                        }
                    }
                }
            }
            _ => {
                self.error_aws(
                    DiagnosticCode::WrongType,
                    &element_path,
                    m.value.position,
                    format!("`{element}` must be \"*\" or an object such as {{\"AWS\": \"arn:aws:iam::123456789012:root\"}}, found {}", m.value.type_name()),
                    SYNTAX_ERRORS,
                );
            }
        }
        (Some(model), negated)
    }

    fn check_principal_value(
        &mut self,
        principal_type: &str,
        value: &str,
        position: Position,
        path: &str,
    ) {
        let aws = format!("Invalid principal in policy: \"{principal_type}\":\"{value}\"");
        if value.contains("${") {
            self.error_aws(
                DiagnosticCode::VariableNotAllowed,
                path,
                position,
                format!(
                    "principal `{value}` has a policy variable; principals cannot use variables"
                ),
                &aws,
            );
            return;
        }
        if value.is_empty() {
            self.error_aws(
                DiagnosticCode::InvalidPrincipal,
                path,
                position,
                format!("`{principal_type}` principal is empty"),
                &aws,
            );
            return;
        }
        if principal_type != "AWS" || value == "*" || is_account_id(value) || is_unique_id(value) {
            return;
        }
        let valid = Arn::parse(value).is_some_and(|arn| {
            is_account_id(arn.account)
                && match arn.service {
                    "iam" => {
                        arn.resource == "root"
                            || arn.resource.starts_with("user/")
                            || arn.resource.starts_with("role/")
                    }
                    "sts" => {
                        arn.resource.starts_with("assumed-role/")
                            || arn.resource.starts_with("federated-user/")
                    }
                    _ => false,
                }
        });
        if !valid {
            self.error_aws(
                DiagnosticCode::InvalidPrincipal,
                path,
                position,
                format!("`AWS` principal `{value}` must be \"*\", a 12-digit account id, or the ARN of an account root, user, role, assumed-role session or federated user"),
                &aws,
            );
        } else if value.contains(['*', '?']) {
            self.error_aws(
                DiagnosticCode::InvalidPrincipal,
                path,
                position,
                format!("`AWS` principal `{value}` has a wildcard; principals match exactly — use \"*\" with an `aws:PrincipalArn` ArnLike condition instead"),
                &aws,
            );
        }
    }

    fn conditions(&mut self, members: &[Member], path: &str) -> Vec<ConditionTest> {
        let Some(m) = find(members, "Condition") else {
            return Vec::new();
        };
        let condition_path = join(path, "Condition");
        let JsonValue::Object(blocks) = &m.value.value else {
            self.error_aws(
                DiagnosticCode::WrongType,
                &condition_path,
                m.value.position,
                format!("`Condition` must be an object of operators, e.g. {{\"StringEquals\": {{\"aws:username\": \"bob\"}}}}, found {}", m.value.type_name()),
                SYNTAX_ERRORS,
            );
            return Vec::new();
        };
        let mut tests = Vec::new();
        for (i, block) in blocks.iter().enumerate() {
            let block_path = join(&condition_path, &block.key);
            if blocks.iter().take(i).any(|b| b.key == block.key) {
                self.error_aws(
                    DiagnosticCode::DuplicateElement,
                    &block_path,
                    block.key_position,
                    format!("operator `{}` appears twice in one `Condition`; merge its keys into one block", block.key),
                    SYNTAX_ERRORS,
                );
            }
            let Some(operator) = Operator::parse(&block.key) else {
                let hint = suggest_operator(&block.key);
                self.error_aws(
                    DiagnosticCode::UnknownOperator,
                    &block_path,
                    block.key_position,
                    format!("unknown condition operator `{}`{hint}", block.key),
                    SYNTAX_ERRORS,
                );
                continue;
            };
            let JsonValue::Object(keys) = &block.value.value else {
                self.error_aws(
                    DiagnosticCode::WrongType,
                    &block_path,
                    block.value.position,
                    format!("operator `{}` must map condition keys to values, e.g. {{\"aws:SourceIp\": \"203.0.113.0/24\"}}, found {}", block.key, block.value.type_name()),
                    SYNTAX_ERRORS,
                );
                continue;
            };
            for (j, key) in keys.iter().enumerate() {
                let key_path = join(&block_path, &key.key);
                if key.key.is_empty() {
                    self.error_aws(
                        DiagnosticCode::InvalidConditionKey,
                        &key_path,
                        key.key_position,
                        "condition key is empty; name a key such as `aws:SourceIp`".into(),
                        SYNTAX_ERRORS,
                    );
                    continue;
                }
                if keys
                    .iter()
                    .take(j)
                    .any(|k| k.key.eq_ignore_ascii_case(&key.key))
                {
                    self.error_aws(
                        DiagnosticCode::DuplicateElement,
                        &key_path,
                        key.key_position,
                        format!("condition key `{}` appears twice under `{}` (keys are case-insensitive); merge the values into one array", key.key, block.key),
                        SYNTAX_ERRORS,
                    );
                }
                let Some(raw) = self.condition_values(&key.value, &key_path) else {
                    continue;
                };
                let texts: Vec<String> = raw.iter().map(|(v, _, _)| v.clone()).collect();
                for (text, position, item_path) in &raw {
                    if text.contains("${") {
                        if !operator.accepts_variables() {
                            if self.variables {
                                self.error(
                                    DiagnosticCode::VariableNotAllowed,
                                    item_path,
                                    *position,
                                    format!("value `{text}` has a policy variable, which `{}` does not accept; variables work with String, Arn and Bool operators", block.key),
                                );
                            }
                        } else if !self.variables {
                            self.warning(
                                DiagnosticCode::VariablesAreLiteral,
                                item_path,
                                *position,
                                format!("`{text}` looks like it uses a policy variable, but without \"Version\": \"2012-10-17\" it is literal text"),
                            );
                        } else if let Some(bad) = malformed_variable(text) {
                            self.warning(DiagnosticCode::MalformedVariable, item_path, *position, format!("`{bad}` does not form a policy variable `${{key}}` and is read as literal text"));
                        }
                    }
                }
                match ConditionTest::compile(&block.key, operator, &key.key, &texts, self.variables)
                {
                    Ok(test) => tests.push(test),
                    Err((index, problem)) => {
                        if let Some((text, position, item_path)) = raw.get(index) {
                            if text.contains("${") && self.variables {
                                continue;
                            }
                            let aws = if matches!(problem, crate::condition::ValueError::Date) {
                                "The policy failed legacy parsing"
                            } else {
                                SYNTAX_ERRORS
                            };
                            self.error_aws(
                                DiagnosticCode::InvalidConditionValue,
                                item_path,
                                *position,
                                format!(
                                    "`{}` cannot read `{text}`: expected {}",
                                    block.key,
                                    problem.expected()
                                ),
                                aws,
                            );
                        }
                    }
                }
            }
        }
        tests
    }

    /// Reads condition values: a scalar or an array of scalars; numbers and
    /// booleans become their text.
    fn condition_values(
        &mut self,
        value: &Json,
        path: &str,
    ) -> Option<Vec<(String, Position, String)>> {
        fn scalar(v: &Json) -> Option<String> {
            match &v.value {
                JsonValue::String(s) => Some(s.clone()),
                JsonValue::Number(n) => Some(n.clone()),
                JsonValue::Bool(b) => Some(b.to_string()),
                _ => None,
            }
        }
        match &value.value {
            JsonValue::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    match scalar(item) {
                        Some(s) => out.push((s, item.position, item_path)),
                        None => {
                            self.error_aws(
                                DiagnosticCode::WrongType,
                                &item_path,
                                item.position,
                                format!("condition values must be strings, numbers or booleans, found {}", item.type_name()),
                                SYNTAX_ERRORS,
                            );
                            ok = false;
                        }
                    }
                }
                ok.then_some(out)
            }
            _ => match scalar(value) {
                Some(s) => Some(vec![(s, value.position, path.to_string())]),
                None => {
                    self.error_aws(
                        DiagnosticCode::WrongType,
                        path,
                        value.position,
                        format!("a condition value must be a string, number, boolean or an array of them, found {}", value.type_name()),
                        SYNTAX_ERRORS,
                    );
                    None
                }
            },
        }
    }
}

fn find<'a>(members: &'a [Member], key: &str) -> Option<&'a Member> {
    members.iter().find(|m| m.key == key)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// IAM unique ids (`AIDA…`, `AROA…`) stand in for deleted principals.
fn is_unique_id(value: &str) -> bool {
    value.len() >= 16
        && value.len() <= 32
        && value.starts_with('A')
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn suggest_operator(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let bare = lower
        .trim_start_matches("forallvalues:")
        .trim_start_matches("foranyvalue:");
    let known = [
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
        "Null",
    ];
    let bare_no_suffix = bare.trim_end_matches("ifexists");
    match known.iter().find(|k| k.eq_ignore_ascii_case(bare_no_suffix)) {
        Some(k) => format!("; operator names are case-sensitive: did you mean `{k}`?"),
        None => "; operators are String…, Numeric…, Date…, Bool, BinaryEquals, IpAddress, NotIpAddress, Arn…, Null, optionally with a `ForAllValues:`/`ForAnyValue:` prefix or an `IfExists` suffix".into(),
    }
}

/// Parses and validates `text` as a policy of `config.kind`.
pub(crate) fn analyze(
    text: &str,
    config: &ValidationConfig,
) -> (Option<Document>, ValidationReport) {
    let mut walker = Walker {
        config,
        diagnostics: Vec::new(),
        variables: true,
    };
    let size = policy_size(text);
    let limit = config.limits.limit_for(config.storage);
    if size > limit {
        let aws = match config.kind {
            PolicyKind::Trust => format!("Cannot exceed quota for ACLSizePerRole: {limit}"),
            _ => format!("Cannot exceed quota for PolicySize: {limit}"),
        };
        walker.error_aws(
            DiagnosticCode::PolicyTooLarge,
            "",
            Position { line: 1, column: 1 },
            format!("the policy has {size} characters (whitespace not counted); {} may have at most {limit}", config.kind.describe()),
            &aws,
        );
    }
    let root = match json::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let aws = if config.kind == PolicyKind::Trust {
                "This policy contains invalid Json"
            } else {
                SYNTAX_ERRORS
            };
            walker.error_aws(
                DiagnosticCode::InvalidJson,
                "",
                e.position,
                format!("invalid JSON: {}", e.message),
                aws,
            );
            return (
                None,
                ValidationReport {
                    diagnostics: walker.diagnostics,
                },
            );
        }
    };
    let document = walker.document(&root);
    let report = ValidationReport {
        diagnostics: walker.diagnostics,
    };
    let document = if report.has_errors() { None } else { document };
    (document, report)
}
