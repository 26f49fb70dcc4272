//! Evaluating an if step's [`Condition`]. Operands are literals, references
//! (a reference that finds nothing counts as null) or templates (rendered
//! with missing references as ""). Comparisons of values that cannot be
//! compared are false, and say why in the notes the run keeps.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::model::Condition;
use super::reference::{self, Literal, Reference};
use super::template::{parse_date, Missing, Template};

/// What answers references while a condition is evaluated.
pub type Lookup<'l, 'a> = &'l dyn Fn(&Reference) -> Option<&'a Value>;

/// Whether `condition` holds. `notes` gets a line for each comparison that
/// was false because its operands could not be compared. An error is a
/// template or reference that cannot be evaluated at all.
pub fn evaluate(
    condition: &Condition,
    lookup: Lookup,
    notes: &mut Vec<String>,
) -> Result<bool, String> {
    Ok(match condition {
        Condition::Equals([a, b]) => equal(&operand(a, lookup)?, &operand(b, lookup)?),
        Condition::NotEquals([a, b]) => !equal(&operand(a, lookup)?, &operand(b, lookup)?),
        Condition::Exists(r) => {
            let parsed = reference::parse(r)?;
            lookup(&parsed).is_some_and(|v| !v.is_null())
        }
        Condition::Contains([h, n]) => contains(&operand(h, lookup)?, &operand(n, lookup)?),
        Condition::Greater([a, b]) => {
            compare("greater", &operand(a, lookup)?, &operand(b, lookup)?, notes)
                == Some(Ordering::Greater)
        }
        Condition::Less([a, b]) => {
            compare("less", &operand(a, lookup)?, &operand(b, lookup)?, notes)
                == Some(Ordering::Less)
        }
        Condition::All(all) => {
            for c in all {
                if !evaluate(c, lookup, notes)? {
                    return Ok(false);
                }
            }
            true
        }
        Condition::Any(any) => {
            for c in any {
                if evaluate(c, lookup, notes)? {
                    return Ok(true);
                }
            }
            false
        }
        Condition::Not(c) => !evaluate(c, lookup, notes)?,
    })
}

/// An operand's value: references followed (null when they find nothing),
/// templates rendered, arrays and objects walked.
pub fn operand(value: &Value, lookup: Lookup) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => match reference::classify(s) {
            Literal::Text(t) => Value::String(t),
            Literal::Reference(r) => {
                let parsed = reference::parse(r)?;
                lookup(&parsed).cloned().unwrap_or(Value::Null)
            }
            Literal::Template(t) => Value::String(
                Template::parse(t)
                    .map_err(|e| format!("the template {t:?} is not valid: {e}"))?
                    .render(lookup, Missing::Null)?,
            ),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| operand(v, lookup))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(k.clone(), operand(v, lookup)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// JSON equality, numbers by value (1 equals 1.0).
pub fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

/// A string holds a substring (a number or boolean needle is taken as its
/// text), a list an equal item, an object a key; anything else holds nothing.
fn contains(haystack: &Value, needle: &Value) -> bool {
    match (haystack, needle) {
        (Value::String(h), Value::String(n)) => h.contains(n.as_str()),
        (Value::String(h), Value::Number(_) | Value::Bool(_)) => h.contains(&needle.to_string()),
        (Value::Array(items), n) => items.iter().any(|i| equal(i, n)),
        (Value::Object(map), Value::String(k)) => map.contains_key(k),
        _ => false,
    }
}

/// How `a` compares with `b`: numbers by value; two strings that are both
/// ISO-8601 dates or date-times chronologically; other strings as text.
/// Anything else cannot be compared: `None`, with a note.
fn compare(op: &str, a: &Value, b: &Value, notes: &mut Vec<String>) -> Option<Ordering> {
    let order = match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => match (parse_date(x), parse_date(y)) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => Some(x.as_str().cmp(y.as_str())),
        },
        _ => None,
    };
    if order.is_none() {
        notes.push(format!(
            "{op}: {} and {} cannot be compared (numbers with numbers, strings with strings), so the comparison is false",
            describe(a),
            describe(b)
        ));
    }
    order
}

/// A value and its type, short, for messages: `"abc" (a string)`.
pub fn describe(v: &Value) -> String {
    let kind = match v {
        Value::Null => return "null (or nothing)".into(),
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    };
    let mut text = v.to_string();
    if text.chars().count() > 40 {
        text = text.chars().take(37).collect::<String>() + "...";
    }
    format!("{text} ({kind})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(condition: Value) -> (bool, Vec<String>) {
        let data = json!({"role": "admin", "n": 3, "tags": ["a", "b"], "nil": null,
                          "day": "2026-11-30", "later": "2026-12-01T08:00:00+01:00",
                          "user": {"email": "ada@example.com"}});
        let lookup = |r: &Reference| reference::follow(&data, &r.path);
        let c: Condition = serde_json::from_value(condition).unwrap();
        let mut notes = Vec::new();
        let v = evaluate(&c, &lookup, &mut notes).unwrap();
        (v, notes)
    }

    fn yes(c: Value) {
        assert!(check(c.clone()).0, "{c} should hold");
    }

    fn no(c: Value) {
        assert!(!check(c.clone()).0, "{c} should not hold");
    }

    #[test]
    fn equals_and_not_equals() {
        yes(json!({"equals": ["$.input.role", "admin"]}));
        no(json!({"equals": ["$.input.role", "guest"]}));
        yes(json!({"equals": ["$.input.n", 3.0]}));
        yes(json!({"equals": ["$.input.missing", null]}));
        yes(json!({"equals": ["{{upper($.input.role)}}", "ADMIN"]}));
        yes(json!({"equals": [["$.input.n"], [3]]}));
        yes(json!({"not_equals": ["$.input.role", "guest"]}));
        no(json!({"not_equals": ["$.input.n", 3]}));
        yes(json!({"not_equals": ["$.input.missing", "x"]}));
    }

    #[test]
    fn exists() {
        yes(json!({"exists": "$.input.user.email"}));
        no(json!({"exists": "$.input.user.phone"}));
        no(json!({"exists": "$.input.nil"}));
        no(json!({"exists": "$.steps.gone.output.x"}));
    }

    #[test]
    fn contains() {
        yes(json!({"contains": ["$.input.user.email", "@example.com"]}));
        no(json!({"contains": ["$.input.user.email", "@other.org"]}));
        yes(json!({"contains": ["$.input.tags", "b"]}));
        no(json!({"contains": ["$.input.tags", "c"]}));
        yes(json!({"contains": ["$.input.user", "email"]}));
        yes(json!({"contains": ["room 3", "$.input.n"]}));
        no(json!({"contains": ["$.input.missing", "x"]}));
    }

    #[test]
    fn greater_and_less() {
        yes(json!({"greater": ["$.input.n", 2]}));
        no(json!({"greater": ["$.input.n", 3]}));
        yes(json!({"less": ["$.input.n", 3.5]}));
        no(json!({"less": ["$.input.n", 1]}));
        yes(json!({"less": ["$.input.day", "$.input.later"]}));
        yes(json!({"greater": ["2026-11-30T10:00:00Z", "2026-11-30T11:00:00+02:00"]}));
        yes(json!({"greater": ["b", "a"]}));
        no(json!({"less": ["b", "a"]}));
    }

    #[test]
    fn mismatched_types_are_false_with_a_note() {
        let (v, notes) = check(json!({"greater": ["$.input.role", 3]}));
        assert!(!v);
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].contains("\"admin\" (a string) and 3 (a number)"),
            "{notes:?}"
        );
        let (v, notes) = check(json!({"less": ["$.input.missing", 3]}));
        assert!(!v);
        assert!(notes[0].contains("null (or nothing)"), "{notes:?}");
    }

    #[test]
    fn all_any_not() {
        yes(json!({"all": [{"exists": "$.input.n"}, {"equals": ["$.input.role", "admin"]}]}));
        no(json!({"all": [{"exists": "$.input.n"}, {"exists": "$.input.none"}]}));
        yes(json!({"all": []}));
        yes(json!({"any": [{"exists": "$.input.none"}, {"exists": "$.input.n"}]}));
        no(json!({"any": [{"exists": "$.input.none"}]}));
        no(json!({"any": []}));
        yes(json!({"not": {"exists": "$.input.none"}}));
        no(json!({"not": {"exists": "$.input.n"}}));
    }
}
