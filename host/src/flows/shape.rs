//! The shape of a value a reference may point into at save time: a card's
//! output schema, the event's schema, a loop's output, the flow's input
//! (anything). [`Shape::check`] follows a reference's path and says where it
//! leaves what the shape allows.
//!
//! In a JSON Schema, `properties`, `items`, `prefixItems`, local `$ref`s
//! (`#/$defs/...`) and `anyOf`/`oneOf`/`allOf` are followed (a path valid in
//! any branch is fine). An object is closed when its schema says
//! `additionalProperties: false`, and also when it lists `properties` and
//! says nothing of `additionalProperties` (card output schemas are generated
//! from the card's types, so what they list is what comes). It is open with
//! `additionalProperties: true` or a schema there, with `patternProperties`,
//! or when it lists no properties. A `type` that rules out objects or lists
//! refuses fields or indexes.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};

use super::reference::Segment;

/// How many `$ref`s one step of a path may go through (cycles stop here).
const MAX_REFS: usize = 32;

/// What a value may look like.
#[derive(Debug, Clone)]
pub enum Shape {
    /// Anything.
    Any,
    /// A JSON Schema node, with the document its `$ref`s point into.
    Schema { root: Arc<Value>, node: Value },
    /// An object with exactly these fields (each may be absent).
    Object(BTreeMap<String, Shape>),
    /// A list of items of this shape.
    List(Box<Shape>),
    /// Any of these.
    AnyOf(Vec<Shape>),
}

/// Why a path leaves a shape, at one segment.
#[derive(Debug, Clone)]
enum Miss {
    NoField(String),
    NotObject(String, String),
    NotList(String),
}

impl Shape {
    /// A whole schema document.
    pub fn schema(root: &Value) -> Shape {
        Shape::Schema {
            root: Arc::new(root.clone()),
            node: root.clone(),
        }
    }

    /// What a failed step's output is under the `continue` policy:
    /// `{"error": {code, message, field, retryable}}`.
    pub fn error() -> Shape {
        Shape::schema(&json!({
            "type": "object",
            "properties": {"error": {
                "type": "object",
                "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                               "field": {"type": "string"}, "retryable": {"type": "boolean"}}
            }}
        }))
    }

    /// Follow `path`; the shape it ends at, or a message saying where the
    /// path leaves this shape, e.g. `has no field "gidd" at users[0]`.
    pub fn check(&self, path: &[Segment]) -> Result<Shape, String> {
        let mut shape = self.clone();
        let mut at = String::new();
        for seg in path {
            shape = shape.descend(seg).map_err(|miss| {
                let there = if at.is_empty() {
                    String::new()
                } else {
                    format!(" at {at}")
                };
                match miss {
                    Miss::NoField(k) => format!("has no field {k:?}{there}"),
                    Miss::NotObject(k, what) => {
                        format!("has no field {k:?}{there}: it is {what}")
                    }
                    Miss::NotList(what) => format!("has no list{there}: it is {what}"),
                }
            })?;
            match seg {
                Segment::Key(k) if at.is_empty() => at = k.clone(),
                Segment::Key(k) => at = format!("{at}.{k}"),
                Segment::Index(i) => at = format!("{at}[{i}]"),
            }
        }
        Ok(shape)
    }

    fn descend(&self, seg: &Segment) -> Result<Shape, Miss> {
        match self {
            Shape::Any => Ok(Shape::Any),
            Shape::Object(fields) => match seg {
                Segment::Key(k) => fields.get(k).cloned().ok_or(Miss::NoField(k.clone())),
                Segment::Index(_) => Err(Miss::NotList("an object".into())),
            },
            Shape::List(item) => match seg {
                Segment::Index(_) => Ok((**item).clone()),
                Segment::Key(k) => Err(Miss::NotObject(k.clone(), "a list".into())),
            },
            Shape::AnyOf(options) => any_of(options.iter().map(|o| o.descend(seg))),
            Shape::Schema { root, node } => descend_schema(root, node, seg, 0),
        }
    }
}

/// The shapes of the branches a path goes on in; the first miss when none.
fn any_of(results: impl Iterator<Item = Result<Shape, Miss>>) -> Result<Shape, Miss> {
    let mut ok = Vec::new();
    let mut first_miss = None;
    for r in results {
        match r {
            Ok(s) => ok.push(s),
            Err(m) => {
                first_miss.get_or_insert(m);
            }
        }
    }
    match ok.len() {
        0 => Err(first_miss.unwrap_or(Miss::NotList("nothing".into()))),
        1 => Ok(ok.remove(0)),
        _ => Ok(Shape::AnyOf(ok)),
    }
}

fn sub(root: &Arc<Value>, node: &Value) -> Shape {
    match node {
        Value::Bool(true) => Shape::Any,
        _ => Shape::Schema {
            root: root.clone(),
            node: node.clone(),
        },
    }
}

/// A local JSON pointer `$ref` (`#/$defs/X`), resolved in `root`.
fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    let pointer = pointer.replace("~1", "/").replace("~0", "~");
    root.pointer(&pointer)
}

/// The types a schema node allows, when it says.
fn types(node: &Value) -> Option<Vec<&str>> {
    match node.get("type")? {
        Value::String(t) => Some(vec![t.as_str()]),
        Value::Array(ts) => Some(ts.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

fn describe_types(ts: &[&str]) -> String {
    let names: Vec<String> = ts
        .iter()
        .map(|t| match *t {
            "integer" => "an integer".to_string(),
            "array" => "a list".to_string(),
            "object" => "an object".to_string(),
            other => format!("a {other}"),
        })
        .collect();
    names.join(" or ")
}

fn descend_schema(
    root: &Arc<Value>,
    node: &Value,
    seg: &Segment,
    refs: usize,
) -> Result<Shape, Miss> {
    let obj = match node {
        Value::Bool(false) => return Err(Miss::NotList("nothing (its schema is false)".into())),
        Value::Object(o) => o,
        _ => return Ok(Shape::Any),
    };
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        return match (resolve(root, r), refs < MAX_REFS) {
            (Some(target), true) => descend_schema(root, target, seg, refs + 1),
            _ => Ok(Shape::Any),
        };
    }
    let branches: Vec<&Value> = ["anyOf", "oneOf", "allOf"]
        .iter()
        .filter_map(|k| obj.get(*k).and_then(Value::as_array))
        .flatten()
        .collect();
    if !branches.is_empty() {
        let own = [
            "type",
            "properties",
            "items",
            "additionalProperties",
            "prefixItems",
        ]
        .iter()
        .any(|k| obj.contains_key(*k));
        let mut stripped = obj.clone();
        for k in ["anyOf", "oneOf", "allOf"] {
            stripped.remove(k);
        }
        let stripped = Value::Object(stripped);
        let own_branch = own.then_some(&stripped);
        return any_of(
            branches
                .into_iter()
                .chain(own_branch)
                .map(|b| descend_schema(root, b, seg, refs + 1)),
        );
    }
    let ts = types(node);
    match seg {
        Segment::Key(k) => {
            if let Some(ts) = &ts {
                if !ts.contains(&"object") {
                    return Err(Miss::NotObject(k.clone(), describe_types(ts)));
                }
            }
            let props = obj.get("properties").and_then(Value::as_object);
            if let Some(child) = props.and_then(|p| p.get(k)) {
                return Ok(sub(root, child));
            }
            if obj.contains_key("patternProperties") {
                return Ok(Shape::Any);
            }
            match obj.get("additionalProperties") {
                Some(Value::Bool(false)) => Err(Miss::NoField(k.clone())),
                Some(Value::Bool(true)) => Ok(Shape::Any),
                Some(extra) => Ok(sub(root, extra)),
                None if props.is_some() => Err(Miss::NoField(k.clone())),
                None => Ok(Shape::Any),
            }
        }
        Segment::Index(i) => {
            if let Some(ts) = &ts {
                if !ts.contains(&"array") {
                    return Err(Miss::NotList(describe_types(ts)));
                }
            }
            if let Some(prefix) = obj.get("prefixItems").and_then(Value::as_array) {
                if let Some(item) = prefix.get(*i) {
                    return Ok(sub(root, item));
                }
            }
            match obj.get("items") {
                Some(Value::Bool(false)) => Err(Miss::NotList("a list that holds no items".into())),
                Some(items) => Ok(sub(root, items)),
                None => Ok(Shape::Any),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::reference;

    fn path(text: &str) -> Vec<Segment> {
        reference::parse(&format!("$.input.{text}")).unwrap().path
    }

    fn search_user() -> Shape {
        Shape::schema(&json!({
            "$defs": {"FoundUser": {"type": "object", "properties": {
                "gid": {"type": "string"}, "email": {"type": ["string", "null"]},
                "emails": {"type": ["array", "null"], "items": {"type": "string"}}}, "required": ["gid"]}},
            "type": "object",
            "properties": {"users": {"type": "array", "items": {"$ref": "#/$defs/FoundUser"}},
                           "count": {"type": "integer"},
                           "assignee": {"anyOf": [{"$ref": "#/$defs/FoundUser"}, {"type": "null"}]},
                           "extra": {"type": "object", "additionalProperties": {"type": "object", "properties": {"a": {}}}},
                           "open": {"type": "object"},
                           "free": {"type": "object", "properties": {"x": {}}, "additionalProperties": true},
                           "closed": {"type": "object", "additionalProperties": false},
                           "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "object", "properties": {"p": {}}}]}}
        }))
    }

    #[test]
    fn paths_the_schema_allows() {
        let s = search_user();
        for ok in [
            "users",
            "users[0].gid",
            "users[3].emails[1]",
            "count",
            "assignee.gid",
            "extra.anything.a",
            "open.what.ever",
            "free.y.z",
            "pair[1].p",
        ] {
            assert!(s.check(&path(ok)).is_ok(), "{ok}: {:?}", s.check(&path(ok)));
        }
    }

    #[test]
    fn paths_it_refuses_say_where() {
        let s = search_user();
        let cases = [
            ("users[0].gidd", "has no field \"gidd\" at users[0]"),
            ("nope", "has no field \"nope\""),
            ("count.x", "has no field \"x\" at count: it is an integer"),
            ("users.x", "has no field \"x\" at users: it is a list"),
            (
                "users[0].gid[0]",
                "has no list at users[0].gid: it is a string",
            ),
            ("assignee.nope", "has no field \"nope\" at assignee"),
            ("extra.k.b", "has no field \"b\" at extra.k"),
            ("closed.x", "has no field \"x\" at closed"),
            ("pair[1].q", "has no field \"q\" at pair[1]"),
        ];
        for (p, message) in cases {
            let got = s.check(&path(p)).unwrap_err();
            assert_eq!(got, message, "{p}");
        }
    }

    #[test]
    fn built_shapes_and_cycles() {
        let looped = Shape::Object(BTreeMap::from([
            ("count".to_string(), Shape::Any),
            (
                "results".to_string(),
                Shape::List(Box::new(Shape::Object(BTreeMap::from([(
                    "find".to_string(),
                    search_user(),
                )])))),
            ),
        ]));
        assert!(looped.check(&path("results[0].find.users[0].gid")).is_ok());
        assert_eq!(
            looped
                .check(&path("results[0].find.users[0].x"))
                .unwrap_err(),
            "has no field \"x\" at results[0].find.users[0]"
        );
        assert_eq!(
            looped.check(&path("results[0].other")).unwrap_err(),
            "has no field \"other\" at results[0]"
        );
        let cyclic =
            Shape::schema(&json!({"$defs": {"A": {"$ref": "#/$defs/A"}}, "$ref": "#/$defs/A"}));
        assert!(cyclic.check(&path("a.b")).is_ok());
        let either = Shape::AnyOf(vec![search_user(), Shape::error()]);
        assert!(either.check(&path("error.code")).is_ok());
        assert!(either.check(&path("users[0].gid")).is_ok());
        assert!(either.check(&path("error.nope")).is_err());
    }
}
