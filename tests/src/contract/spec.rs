//! Asana's OpenAPI description, indexed: operations by method and path
//! template, the query parameters each declares, its request body schema and
//! its required OAuth scopes, and the catalogue of scope names.

use super::schema::BodyCheck;
use super::{amend, note_validated, Checked, Violation};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// The vendored description (see `tests/contract/README.md`).
const OAS: &str = include_str!("../../contract/asana_oas.yaml");

/// The HTTP methods an OpenAPI path item may hold operations for.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Keys allowed at the top level of a JSON request body: `data`, and
/// `options` (`fields`, `pretty`), which Asana documents for every request
/// (https://developers.asana.com/docs/inputoutput-options) but the
/// description does not model.
const TOP_LEVEL_KEYS: &[&str] = &["data", "options"];

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

/// One operation of the description.
#[derive(Debug, Clone)]
pub struct Operation {
    /// The `operationId`, e.g. `createTask`.
    pub id: String,
    /// Upper case, e.g. `POST`.
    pub method: String,
    /// Relative to the API base, e.g. `/tasks/{task_gid}`.
    pub template: String,
    segments: Vec<Segment>,
    /// Query parameters declared by the path item and the operation.
    pub query: BTreeSet<String>,
    /// OAuth scopes the operation requires; empty when the description names none.
    pub scopes: Vec<String>,
    /// JSON pointer of the `application/json` request body schema, if any.
    body_schema: Option<String>,
    /// Whether the operation declares a request body of any media type.
    takes_body: bool,
    /// Whether that body is required.
    body_required: bool,
}

impl Operation {
    /// Whether `segments` of a request path fit this template.
    fn matches(&self, segments: &[&str]) -> bool {
        self.segments.len() == segments.len()
            && self.segments.iter().zip(segments).all(|(t, s)| match t {
                Segment::Literal(l) => l == s,
                Segment::Param => !s.is_empty(),
            })
    }

    /// How many literal segments the template has: the more, the better a match.
    fn literals(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count()
    }
}

/// The parsed description.
pub struct Contract {
    doc: Value,
    operations: Vec<Operation>,
    scopes: BTreeMap<String, String>,
    /// Request body validators, compiled on first use per operation.
    bodies: Mutex<HashMap<String, Arc<BodyCheck>>>,
}

impl std::fmt::Debug for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contract")
            .field("operations", &self.operations.len())
            .field("scopes", &self.scopes.len())
            .finish()
    }
}

impl Contract {
    /// Parses and indexes the vendored description.
    pub fn load() -> Result<Contract, String> {
        let mut doc: Value =
            serde_norway::from_str(OAS).map_err(|e| format!("not valid YAML: {e}"))?;
        amend::apply(&mut doc)?;
        let operations = index_operations(&doc)?;
        let scopes = scope_catalogue(&doc, &operations)?;
        Ok(Contract {
            doc,
            operations,
            scopes,
            bodies: Mutex::new(HashMap::new()),
        })
    }

    /// Every operation, in document order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operation with this `operationId`.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.id == id)
    }

    /// Every scope name Asana knows, with its description: those of the
    /// `oauth2` security scheme, and those that operations require but the
    /// scheme does not list (such as `workspaces.typeahead:read`).
    pub fn scopes(&self) -> &BTreeMap<String, String> {
        &self.scopes
    }

    /// Whether `name` is a scope Asana knows.
    pub fn knows_scope(&self, name: &str) -> bool {
        self.scopes.contains_key(name)
    }

    /// The operation for `method` on `path` (relative to `/api/1.0`), or
    /// why there is none.
    pub fn find(&self, method: &str, path: &str) -> Result<&Operation, String> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut candidates: Vec<&Operation> = self
            .operations
            .iter()
            .filter(|o| o.matches(&segments))
            .collect();
        candidates.sort_by_key(|o| std::cmp::Reverse(o.literals()));
        if let Some(op) = candidates
            .iter()
            .find(|o| o.method.eq_ignore_ascii_case(method))
        {
            return Ok(op);
        }
        match candidates.first() {
            Some(op) => Err(format!(
                "{} has no {} operation",
                op.template,
                method.to_ascii_uppercase()
            )),
            None => Err("no path of the API matches".to_string()),
        }
    }

    /// Checks one request; `path` is the full request path (`/api/1.0/...`)
    /// and `relative` the part after the API base.
    pub fn check(
        &'static self,
        method: &str,
        path: &str,
        relative: &str,
        query: &[(String, String)],
        content_type: Option<&str>,
        body: &[u8],
    ) -> Checked {
        let violation = |operation: Option<&Operation>, field: &str, message: String| Violation {
            method: method.to_string(),
            path: path.to_string(),
            operation_id: operation.map(|o| o.id.clone()),
            field: field.to_string(),
            message,
        };
        let operation = match self.find(method, relative) {
            Ok(op) => op,
            Err(why) => {
                return Checked {
                    operation: None,
                    violations: vec![violation(None, "path", why)],
                }
            }
        };
        note_validated(&operation.id);
        let mut violations = Vec::new();
        let mut seen = BTreeSet::new();
        for (name, _) in query {
            if !operation.query.contains(name) && seen.insert(name.as_str()) {
                violations.push(violation(
                    Some(operation),
                    name,
                    format!(
                        "not a query parameter of {} (it takes: {})",
                        operation.id,
                        operation
                            .query
                            .iter()
                            .map(String::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        for (field, message) in self.check_body(operation, content_type, body) {
            violations.push(violation(Some(operation), &field, message));
        }
        Checked {
            operation: Some(operation),
            violations,
        }
    }

    /// What is wrong with a request body, as (field, message) pairs.
    fn check_body(
        &self,
        operation: &Operation,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Vec<(String, String)> {
        let blank = body.iter().all(u8::is_ascii_whitespace);
        if blank {
            return if operation.body_required {
                vec![(
                    "data".to_string(),
                    format!("{} requires a request body", operation.id),
                )]
            } else {
                Vec::new()
            };
        }
        if !operation.takes_body {
            return vec![(
                "body".to_string(),
                format!("{} takes no request body", operation.id),
            )];
        }
        let is_json = content_type.is_none_or(|ct| {
            let ct = ct.to_ascii_lowercase();
            ct.starts_with("application/json") || ct.contains("+json")
        });
        // Asana also takes form-encoded bodies (and multipart uploads); this
        // check reads JSON bodies only.
        let Some(pointer) = operation.body_schema.as_deref().filter(|_| is_json) else {
            return Vec::new();
        };
        let value: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return vec![("body".to_string(), format!("not valid JSON: {e}"))],
        };
        let Value::Object(top) = &value else {
            return vec![("body".to_string(), "must be a JSON object".to_string())];
        };
        let mut problems: Vec<(String, String)> = top
            .keys()
            .filter(|k| !TOP_LEVEL_KEYS.contains(&k.as_str()))
            .map(|k| {
                (
                    k.clone(),
                    format!(
                        "Unrecognized request field {k}. The only allowed keys at the top level are: {}.",
                        TOP_LEVEL_KEYS.join(", ")
                    ),
                )
            })
            .collect();
        match top.get("data") {
            None if operation.body_required => {
                problems.push(("data".to_string(), "Missing input".to_string()));
            }
            None => {}
            Some(data) => {
                let check = self.body_check(operation, pointer);
                problems.extend(check.problems(data));
            }
        }
        problems
    }

    /// The compiled validator of an operation's `data`, compiled once.
    fn body_check(&self, operation: &Operation, pointer: &str) -> Arc<BodyCheck> {
        let mut bodies = self.bodies.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(check) = bodies.get(&operation.id) {
            return check.clone();
        }
        let check = Arc::new(BodyCheck::compile(&self.doc, pointer, &operation.id));
        bodies.insert(operation.id.clone(), check.clone());
        check
    }
}

/// Follows a local `$ref` (`#/components/...`) if `value` is one.
pub(super) fn deref<'a>(doc: &'a Value, value: &'a Value) -> Result<&'a Value, String> {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference
                .strip_prefix('#')
                .ok_or_else(|| format!("only local references are supported, not {reference}"))?;
            doc.pointer(pointer)
                .ok_or_else(|| format!("unresolved reference {reference}"))
        }
        None => Ok(value),
    }
}

/// Escapes a JSON pointer token.
fn token(raw: &str) -> String {
    raw.replace('~', "~0").replace('/', "~1")
}

/// Every operation of `doc`.
fn index_operations(doc: &Value) -> Result<Vec<Operation>, String> {
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .ok_or("no paths")?;
    let mut operations = Vec::new();
    for (template, item) in paths {
        let shared = query_parameters(doc, item.get("parameters"))?;
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{method} {template} has no operationId"))?;
            let mut query = shared.clone();
            query.extend(query_parameters(doc, op.get("parameters"))?);
            let (takes_body, body_required, body_schema) = match op.get("requestBody") {
                None => (false, false, None),
                Some(body) => {
                    let body = deref(doc, body)?;
                    let json = body.pointer("/content/application~1json/schema").map(|_| {
                        format!(
                            "/paths/{}/{method}/requestBody/content/application~1json/schema",
                            token(template)
                        )
                    });
                    let required = body.get("required").and_then(Value::as_bool) == Some(true);
                    (true, required, json)
                }
            };
            operations.push(Operation {
                id: id.to_string(),
                method: method.to_ascii_uppercase(),
                template: template.clone(),
                segments: template
                    .trim_start_matches('/')
                    .split('/')
                    .map(|s| {
                        if s.starts_with('{') && s.ends_with('}') {
                            Segment::Param
                        } else {
                            Segment::Literal(s.to_string())
                        }
                    })
                    .collect(),
                query,
                scopes: required_scopes(op),
                body_schema,
                takes_body,
                body_required,
            });
        }
    }
    Ok(operations)
}

/// The names of the `in: query` parameters of a parameter list.
fn query_parameters(doc: &Value, list: Option<&Value>) -> Result<BTreeSet<String>, String> {
    let mut names = BTreeSet::new();
    for param in list.and_then(Value::as_array).into_iter().flatten() {
        let param = deref(doc, param)?;
        if param.get("in").and_then(Value::as_str) == Some("query") {
            let name = param
                .get("name")
                .and_then(Value::as_str)
                .ok_or("a parameter without a name")?;
            names.insert(name.to_string());
        }
    }
    Ok(names)
}

/// The scopes an operation requires: those its `security` requirement lists
/// for `oauth2`, else the `<b>Required scope: </b><code>…</code>` line of its
/// description. Empty when it names none.
fn required_scopes(op: &Value) -> Vec<String> {
    let mut scopes: Vec<String> = op
        .get("security")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|requirement| requirement.get("oauth2").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect();
    if scopes.is_empty() {
        let description = op.get("description").and_then(Value::as_str).unwrap_or("");
        if let Some((_, rest)) = description.split_once("Required scope: </b>") {
            let line = rest.lines().next().unwrap_or("");
            scopes = line
                .split("<code>")
                .skip(1)
                .filter_map(|s| {
                    s.split_once("</code>")
                        .map(|(name, _)| name.trim().to_string())
                })
                .filter(|s| !s.is_empty())
                .collect();
        }
    }
    scopes.dedup();
    scopes
}

/// The scopes of the `oauth2` scheme, plus those only operations name.
fn scope_catalogue(
    doc: &Value,
    operations: &[Operation],
) -> Result<BTreeMap<String, String>, String> {
    let listed = doc
        .pointer("/components/securitySchemes/oauth2/flows/authorizationCode/scopes")
        .and_then(Value::as_object)
        .ok_or("no oauth2 scopes in securitySchemes")?;
    let mut scopes: BTreeMap<String, String> = listed
        .iter()
        .map(|(name, description)| {
            (
                name.clone(),
                description.as_str().unwrap_or_default().trim().to_string(),
            )
        })
        .collect();
    for op in operations {
        for scope in &op.scopes {
            scopes
                .entry(scope.clone())
                .or_insert_with(|| format!("Required by {}", op.id));
        }
    }
    Ok(scopes)
}

#[cfg(test)]
mod tests {
    use super::super::contract;
    use super::BodyCheck;

    #[test]
    fn every_request_schema_of_the_description_compiles() {
        let c = contract();
        let with_bodies: Vec<_> = c
            .operations()
            .iter()
            .filter_map(|op| op.body_schema.as_deref().map(|p| (op, p)))
            .collect();
        assert!(with_bodies.len() > 100, "{}", with_bodies.len());
        for (op, pointer) in with_bodies {
            let check = BodyCheck::compile(&c.doc, pointer, &op.id);
            assert_eq!(check.compile_error(), None, "{}", op.id);
        }
    }

    #[test]
    fn every_scope_an_operation_requires_is_in_the_catalogue() {
        let c = contract();
        let required: std::collections::BTreeSet<&str> = c
            .operations()
            .iter()
            .flat_map(|op| op.scopes.iter().map(String::as_str))
            .collect();
        assert!(required.len() > 40, "{required:?}");
        assert!(required.iter().all(|s| c.knows_scope(s)));
        assert!(["openid", "email", "profile", "default"]
            .iter()
            .all(|s| c.knows_scope(s)));
        assert!(c.scopes()["users:read"].contains("users"));
        assert_eq!(c.operation("updateUser").map(|o| o.scopes.len()), Some(0));
    }

    #[test]
    fn operations_are_matched_literal_first_with_their_scopes() {
        let c = contract();
        let op = c.find("GET", "/users/me").unwrap();
        assert_eq!(op.id, "getUser");
        assert_eq!(op.scopes, ["users:read"]);
        assert!(op.query.contains("workspace") && op.query.contains("opt_fields"));
        let op = c
            .find("GET", "/workspaces/1/users/ada@example.com")
            .unwrap();
        assert_eq!(op.id, "getUserForWorkspace");
        let op = c.find("GET", "/workspaces/1/typeahead").unwrap();
        assert_eq!(op.id, "typeaheadForWorkspace");
        assert_eq!(op.scopes, ["workspaces.typeahead:read"]);
        assert_eq!(c.find("POST", "/tasks").unwrap().scopes, ["tasks:write"]);
        assert!(c.find("PATCH", "/tasks").unwrap_err().contains("no PATCH"));
        assert!(c.find("GET", "/no/such/route").is_err());
        assert!(c.knows_scope("workspaces.typeahead:read"));
        assert!(c.knows_scope("default"));
        assert!(!c.knows_scope("workspace.typeahead:read"));
    }
}
