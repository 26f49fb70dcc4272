//! A card's JSON Schemas as people read them: one row per field (nested
//! fields as `parent.child`, array items as `list[].field`), with its type,
//! whether it is required, and its description; and an example input.

use maud::{html, Markup};
use serde_json::{Map, Value};

/// How deep nested fields are shown.
const MAX_DEPTH: usize = 4;

/// One field of a schema.
#[derive(Debug, PartialEq)]
pub(crate) struct Field {
    pub path: String,
    pub ty: String,
    pub required: bool,
    pub description: Option<String>,
    pub notes: Vec<String>,
}

/// Follow a local `$ref` (`#/$defs/X`, `#/definitions/X`) once or a few times.
fn resolve<'a>(node: &'a Value, root: &'a Value) -> &'a Value {
    let mut node = node;
    for _ in 0..8 {
        let Some(reference) = node.get("$ref").and_then(Value::as_str) else {
            return node;
        };
        let Some(pointer) = reference.strip_prefix('#') else {
            return node;
        };
        match root.pointer(pointer) {
            Some(target) => node = target,
            None => return node,
        }
    }
    node
}

/// A type as words: `string`, `integer or null`, `array of object`, `one of "a", "b"`.
fn type_name(node: &Value, root: &Value, depth: usize) -> String {
    let node = resolve(node, root);
    if depth > MAX_DEPTH {
        return "…".into();
    }
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        let list: Vec<String> = values.iter().map(Value::to_string).collect();
        return format!("one of {}", list.join(", "));
    }
    if let Some(c) = node.get("const") {
        return format!("always {c}");
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = node.get(key).and_then(Value::as_array) {
            return join_types(
                options
                    .iter()
                    .map(|o| type_name(o, root, depth + 1))
                    .collect(),
            );
        }
    }
    let names: Vec<String> = match node.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ if node.get("properties").is_some() => vec!["object".into()],
        _ => vec!["any".into()],
    };
    let names = names
        .into_iter()
        .map(|t| match t.as_str() {
            "array" => match node.get("items") {
                Some(items) => format!("array of {}", type_name(items, root, depth + 1)),
                None => "array".into(),
            },
            "object" => match node.get("additionalProperties") {
                Some(v @ Value::Object(_)) if node.get("properties").is_none() => {
                    format!("map of {}", type_name(v, root, depth + 1))
                }
                _ => "object".into(),
            },
            "string" => match node.get("format").and_then(Value::as_str) {
                Some(f) => format!("string ({f})"),
                None => "string".into(),
            },
            _ => t,
        })
        .collect();
    join_types(names)
}

/// `a or b`, with `null` last.
fn join_types(mut names: Vec<String>) -> String {
    names.dedup();
    let nullable = names.iter().any(|n| n == "null");
    names.retain(|n| n != "null");
    let mut out = names.join(" or ");
    if out.is_empty() {
        out = "null".into();
    } else if nullable {
        out.push_str(" or null");
    }
    out
}

/// The object schema under a field, when it has properties to list.
fn object_under<'a>(node: &'a Value, root: &'a Value) -> Option<(&'a Map<String, Value>, String)> {
    let node = resolve(node, root);
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        return Some((props, String::new()));
    }
    if let Some(items) = node.get("items") {
        let items = resolve(items, root);
        if let Some(props) = items.get("properties").and_then(Value::as_object) {
            return Some((props, "[]".into()));
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = node.get(key).and_then(Value::as_array) {
            if let Some(found) = options.iter().find_map(|o| object_under(o, root)) {
                return Some(found);
            }
        }
    }
    None
}

fn notes(node: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let num = |k: &str| node.get(k).filter(|v| v.is_number());
    let chars = |v: &Value| {
        if v.as_u64() == Some(1) {
            "character"
        } else {
            "characters"
        }
    };
    if let Some(v) = num("minLength") {
        out.push(format!("at least {v} {}", chars(v)));
    }
    if let Some(v) = num("maxLength") {
        out.push(format!("at most {v} {}", chars(v)));
    }
    if let Some(v) = num("minimum") {
        out.push(format!("minimum {v}"));
    }
    if let Some(v) = num("maximum") {
        out.push(format!("maximum {v}"));
    }
    let items = |v: &Value| {
        if v.as_u64() == Some(1) {
            "item"
        } else {
            "items"
        }
    };
    if let Some(v) = num("minItems") {
        out.push(format!("at least {v} {}", items(v)));
    }
    if let Some(v) = num("maxItems") {
        out.push(format!("at most {v} {}", items(v)));
    }
    if let Some(v) = node.get("pattern").and_then(Value::as_str) {
        out.push(format!("matches {v}"));
    }
    if let Some(v) = node.get("default").filter(|v| !v.is_null()) {
        out.push(format!("default {v}"));
    }
    out
}

fn walk(
    props: &Map<String, Value>,
    required: &[&str],
    root: &Value,
    prefix: &str,
    depth: usize,
    out: &mut Vec<Field>,
) {
    for (name, prop) in props {
        let resolved = resolve(prop, root);
        let description = prop
            .get("description")
            .or_else(|| resolved.get("description"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let path = format!("{prefix}{name}");
        out.push(Field {
            path: path.clone(),
            ty: type_name(prop, root, depth),
            required: required.contains(&name.as_str()),
            description,
            notes: notes(resolved),
        });
        if depth < MAX_DEPTH {
            if let Some((child_props, suffix)) = object_under(prop, root) {
                let child_node = resolve(prop, root);
                let child_node = if suffix.is_empty() {
                    child_node
                } else {
                    resolve(child_node.get("items").unwrap_or(child_node), root)
                };
                let child_required = required_of(child_node);
                walk(
                    child_props,
                    &child_required,
                    root,
                    &format!("{path}{suffix}."),
                    depth + 1,
                    out,
                );
            }
        }
    }
}

fn required_of(node: &Value) -> Vec<&str> {
    node.get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The fields of a schema, in document order, nested ones after their parent.
pub(crate) fn fields(schema: &Value) -> Vec<Field> {
    let mut out = Vec::new();
    let root = resolve(schema, schema);
    if let Some(props) = root.get("properties").and_then(Value::as_object) {
        walk(props, &required_of(root), schema, "", 0, &mut out);
    }
    out
}

/// The fields as a table (or a note that there are none).
pub(crate) fn table(schema: &Value, id: &str) -> Markup {
    let fields = fields(schema);
    html! {
        @if fields.is_empty() {
            p.muted { "No fields." }
        } @else {
            table.schema id=(id) {
                thead { tr { th { "Field" } th { "Type" } th { "Description" } } }
                tbody {
                    @for f in &fields {
                        tr {
                            td.field-name {
                                code { (f.path) }
                                @if f.required { " " span.req title="required" { "required" } }
                            }
                            td.type { (f.ty) }
                            td {
                                @if let Some(d) = &f.description { (d) }
                                @if !f.notes.is_empty() {
                                    div.sub { (f.notes.join("; ")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// An input to start from: every required field with its default, first
/// example, or an empty value of its type.
pub(crate) fn example_input(schema: &Value) -> Value {
    let root = resolve(schema, schema);
    let mut out = Map::new();
    if let Some(props) = root.get("properties").and_then(Value::as_object) {
        for name in required_of(root) {
            let Some(prop) = props.get(name) else {
                continue;
            };
            let prop = resolve(prop, schema);
            let value = prop
                .get("default")
                .cloned()
                .or_else(|| {
                    prop.get("examples")
                        .and_then(Value::as_array)
                        .and_then(|e| e.first().cloned())
                })
                .or_else(|| {
                    prop.get("enum")
                        .and_then(Value::as_array)
                        .and_then(|e| e.first().cloned())
                })
                .unwrap_or_else(|| empty_of(prop));
            out.insert(name.to_string(), value);
        }
    }
    Value::Object(out)
}

fn empty_of(node: &Value) -> Value {
    let ty = match node.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ => "string",
    };
    match ty {
        "integer" | "number" => Value::from(0),
        "boolean" => Value::Bool(false),
        "array" => Value::Array(Vec::new()),
        "object" => Value::Object(Map::new()),
        "null" => Value::Null,
        _ => Value::String(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "required": ["user"],
            "properties": {
                "user": {"type": "string", "minLength": 1, "description": "The user: `me`, a gid or an email."},
                "workspace": {"type": ["string", "null"]},
                "workspaces": {"type": "array", "items": {"$ref": "#/$defs/Compact"}},
                "photo": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
                "kind": {"enum": ["a", "b"]}
            },
            "$defs": {"Compact": {"type": "object", "required": ["gid"], "properties": {
                "gid": {"type": "string"}, "name": {"anyOf": [{"type": "string"}, {"type": "null"}]}
            }}}
        })
    }

    #[test]
    fn fields_read_as_words() {
        let f = fields(&schema());
        let by = |p: &str| {
            f.iter()
                .find(|x| x.path == p)
                .unwrap_or_else(|| panic!("{p}: {f:?}"))
        };
        assert_eq!(by("user").ty, "string");
        assert!(by("user").required);
        assert_eq!(by("user").notes, vec!["at least 1 character"]);
        assert_eq!(by("workspace").ty, "string or null");
        assert!(!by("workspace").required);
        assert_eq!(by("workspaces").ty, "array of object");
        assert_eq!(by("workspaces[].gid").ty, "string");
        assert!(by("workspaces[].gid").required);
        assert_eq!(by("workspaces[].name").ty, "string or null");
        assert_eq!(by("photo").ty, "map of string or null");
        assert_eq!(by("kind").ty, "one of \"a\", \"b\"");
    }

    #[test]
    fn example_has_the_required_fields() {
        assert_eq!(example_input(&schema()), json!({"user": ""}));
    }

    #[test]
    fn descriptions_are_escaped() {
        let s = json!({"type": "object", "properties": {"<b>": {"type": "string", "description": "<script>x</script>"}}});
        let out = table(&s, "t").into_string();
        assert!(!out.contains("<script>") && !out.contains("<b>"), "{out}");
    }
}
