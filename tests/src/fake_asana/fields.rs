//! `opt_fields`: Asana's field selection. A resource is first built in full
//! (nested resources in full too), then cut down to what was asked for.
//!
//! Without `opt_fields`, an endpoint answers either the compact form
//! (`{gid, resource_type, name}`) or its default full form where nested
//! resources are compact. With `opt_fields=a,b.c`, the answer holds `gid` and
//! `resource_type`, `a` (compact if it is a resource) and `b` cut down to `c`.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A parsed `opt_fields` list: each path segment leads to its sub-selection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldTree(BTreeMap<String, FieldTree>);

impl FieldTree {
    /// Parses `a,b.c,b.d`; `None` for an absent or blank list.
    pub fn parse(raw: Option<&str>) -> Option<FieldTree> {
        let raw = raw?;
        let mut tree = FieldTree::default();
        for path in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let path = path.strip_prefix("this.").unwrap_or(path);
            let mut node = &mut tree;
            for segment in path.split('.').filter(|s| !s.is_empty()) {
                node = node.0.entry(segment.to_string()).or_default();
            }
        }
        (!tree.0.is_empty()).then_some(tree)
    }
}

/// How an endpoint renders a resource when no `opt_fields` is given.
#[derive(Debug, Clone, Copy)]
pub enum DefaultView<'a> {
    /// `{gid, resource_type, name}`.
    Compact,
    /// Every field but the opt-in ones, nested resources compact.
    Full { opt_in: &'a [&'a str] },
}

/// Renders `full` for the response: selected by `fields`, or the default view.
pub fn render(full: &Value, fields: Option<&FieldTree>, default: DefaultView<'_>) -> Value {
    match (fields, default) {
        (Some(tree), _) => select(full, tree),
        (None, DefaultView::Compact) => compact(full),
        (None, DefaultView::Full { opt_in }) => match full {
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter(|(key, _)| !opt_in.contains(&key.as_str()))
                    .map(|(key, value)| (key.clone(), compact(value)))
                    .collect(),
            ),
            other => other.clone(),
        },
    }
}

/// Cuts `value` down to `tree`, always keeping `gid` and `resource_type`.
pub fn select(value: &Value, tree: &FieldTree) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| select(v, tree)).collect()),
        Value::Object(map) => {
            let mut out = Map::new();
            for key in ["gid", "resource_type"] {
                if let Some(v) = map.get(key) {
                    out.insert(key.to_string(), v.clone());
                }
            }
            for (key, sub) in &tree.0 {
                if let Some(v) = map.get(key) {
                    let picked = if sub.0.is_empty() {
                        compact(v)
                    } else {
                        select(v, sub)
                    };
                    out.insert(key.clone(), picked);
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// The compact form of a value: resources (objects with a `gid`) shrink to
/// `{gid, resource_type, name}`; custom field values, which Asana always
/// renders with their value, and plain objects (a photo) stay whole.
pub fn compact(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(compact).collect()),
        Value::Object(map) if map.contains_key("gid") => {
            if map.get("resource_type").and_then(Value::as_str) == Some("custom_field") {
                return value.clone();
            }
            let mut out = Map::new();
            for key in ["gid", "resource_type", "name"] {
                if let Some(v) = map.get(key) {
                    out.insert(key.to_string(), v.clone());
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "gid": "1", "resource_type": "user", "name": "Ada", "email": "ada@example.com",
            "photo": {"image_21x21": "a", "image_128x128": "b"},
            "workspaces": [{"gid": "9", "resource_type": "workspace", "name": "Acme", "is_organization": true}],
        })
    }

    #[test]
    fn compact_without_fields_and_selection_with_them() {
        assert_eq!(
            render(&user(), None, DefaultView::Compact),
            json!({"gid": "1", "resource_type": "user", "name": "Ada"})
        );
        let tree = FieldTree::parse(Some("email,photo.image_128x128,workspaces")).unwrap();
        assert_eq!(
            render(&user(), Some(&tree), DefaultView::Compact),
            json!({
                "gid": "1", "resource_type": "user", "email": "ada@example.com",
                "photo": {"image_128x128": "b"},
                "workspaces": [{"gid": "9", "resource_type": "workspace", "name": "Acme"}],
            })
        );
        let tree = FieldTree::parse(Some("workspaces.is_organization")).unwrap();
        assert_eq!(
            select(&user(), &tree)["workspaces"],
            json!([{"gid": "9", "resource_type": "workspace", "is_organization": true}])
        );
        assert_eq!(FieldTree::parse(Some(" , ")), None);
    }
}
