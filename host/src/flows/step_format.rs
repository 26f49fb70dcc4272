//! How a [`Step`] is read and written: a card step, an if step and a loop
//! are three JSON shapes told apart by the key they hold (`if`, `for_each`,
//! otherwise a card step). Reading is hand-written so that it stays as strict
//! as `deny_unknown_fields` and every error names its field path, nested
//! steps included (`steps[2].then[0].card`); the JSON Schema is a `oneOf` of
//! the three shapes.

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::model::{
    Condition, ErrorPolicy, ForEachStep, IfStep, Step, StepDefinition, DEFAULT_MAX_ITEMS,
};

impl Serialize for Step {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Step::Card(s) => s.serialize(serializer),
            Step::If(s) => s.serialize(serializer),
            Step::ForEach(s) => s.serialize(serializer),
        }
    }
}

impl JsonSchema for Step {
    fn schema_name() -> Cow<'static, str> {
        "Step".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let card = generator.subschema_for::<StepDefinition>();
        let branch = generator.subschema_for::<IfStep>();
        let each = generator.subschema_for::<ForEachStep>();
        json_schema!({
            "description": "One step: a card step, an if step (it holds `if`) or a for_each loop (it holds `for_each`).",
            "oneOf": [card, branch, each]
        })
    }
}

/// Every key a step may hold.
const FIELDS: &[&str] = &[
    "id",
    "card",
    "connection",
    "input",
    "on_error",
    "if",
    "then",
    "else",
    "for_each",
    "max_items",
    "steps",
];

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Card,
    If,
    ForEach,
}

impl Kind {
    /// The kind a key belongs to; `None` for keys several kinds share.
    fn of(key: &str) -> Option<Kind> {
        match key {
            "card" | "connection" | "input" => Some(Kind::Card),
            "if" | "then" | "else" => Some(Kind::If),
            "for_each" | "max_items" | "steps" => Some(Kind::ForEach),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Card => "a card step",
            Kind::If => "an if step",
            Kind::ForEach => "a for_each loop",
        }
    }
}

/// A value that is refused where it stands, so that the error's path ends
/// at the key that holds it.
enum Refuse {
    Unknown(String),
    Message(String),
}

impl<'de> DeserializeSeed<'de> for Refuse {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<(), D::Error> {
        Err(match self {
            Refuse::Unknown(key) => de::Error::unknown_field(&key, FIELDS),
            Refuse::Message(m) => de::Error::custom(m),
        })
    }
}

fn refuse<'de, A: MapAccess<'de>>(map: &mut A, why: Refuse) -> A::Error {
    let text = match &why {
        Refuse::Unknown(k) => format!("unknown field `{k}`"),
        Refuse::Message(m) => m.clone(),
    };
    match map.next_value_seed(why) {
        Err(e) => e,
        Ok(()) => de::Error::custom(text),
    }
}

/// The value of `key`, read once.
fn once<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    key: &str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(refuse(
            map,
            Refuse::Message(format!("duplicate field `{key}`")),
        ));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

#[derive(Default)]
struct Fields {
    id: Option<String>,
    card: Option<String>,
    connection: Option<String>,
    input: Option<Map<String, Value>>,
    on_error: Option<ErrorPolicy>,
    condition: Option<Condition>,
    then: Option<Vec<Step>>,
    otherwise: Option<Vec<Step>>,
    for_each: Option<String>,
    max_items: Option<u32>,
    steps: Option<Vec<Step>>,
}

struct StepVisitor;

impl<'de> Visitor<'de> for StepVisitor {
    type Value = Step;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a step: a card step, an if step or a for_each loop")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Step, A::Error> {
        let mut f = Fields::default();
        // The kind, once a key has told it, and that key.
        let mut kind: Option<(Kind, String)> = None;
        while let Some(key) = map.next_key::<String>()? {
            if !FIELDS.contains(&key.as_str()) {
                return Err(refuse(&mut map, Refuse::Unknown(key)));
            }
            if let Some(k) = Kind::of(&key) {
                match &kind {
                    Some((told, by)) if *told != k => {
                        let message = format!(
                            "`{key}` belongs to {}, but this step is {} (it holds `{by}`)",
                            k.name(),
                            told.name()
                        );
                        return Err(refuse(&mut map, Refuse::Message(message)));
                    }
                    Some(_) => {}
                    None => kind = Some((k, key.clone())),
                }
            }
            let is_if = kind.as_ref().is_some_and(|(k, _)| *k == Kind::If);
            if is_if && (key == "on_error" || f.on_error.is_some()) {
                let message =
                    "an if step takes no on_error: the steps in its branches have their own";
                return Err(refuse(&mut map, Refuse::Message(message.into())));
            }
            match key.as_str() {
                "id" => once(&mut map, &mut f.id, &key)?,
                "card" => once(&mut map, &mut f.card, &key)?,
                "connection" => once(&mut map, &mut f.connection, &key)?,
                "input" => once(&mut map, &mut f.input, &key)?,
                "on_error" => once(&mut map, &mut f.on_error, &key)?,
                "if" => once(&mut map, &mut f.condition, &key)?,
                "then" => once(&mut map, &mut f.then, &key)?,
                "else" => once(&mut map, &mut f.otherwise, &key)?,
                "for_each" => once(&mut map, &mut f.for_each, &key)?,
                "max_items" => once(&mut map, &mut f.max_items, &key)?,
                _ => once(&mut map, &mut f.steps, &key)?,
            }
        }
        let id = f.id.ok_or_else(|| de::Error::missing_field("id"))?;
        Ok(match kind.map(|(k, _)| k).unwrap_or(Kind::Card) {
            Kind::Card => Step::Card(StepDefinition {
                id,
                card: f.card.ok_or_else(|| de::Error::missing_field("card"))?,
                connection: f
                    .connection
                    .ok_or_else(|| de::Error::missing_field("connection"))?,
                input: f.input.unwrap_or_default(),
                on_error: f.on_error.unwrap_or_default(),
            }),
            Kind::If => Step::If(IfStep {
                id,
                condition: f.condition.ok_or_else(|| de::Error::missing_field("if"))?,
                then: f.then.ok_or_else(|| de::Error::missing_field("then"))?,
                otherwise: f.otherwise.unwrap_or_default(),
            }),
            Kind::ForEach => Step::ForEach(ForEachStep {
                id,
                for_each: f
                    .for_each
                    .ok_or_else(|| de::Error::missing_field("for_each"))?,
                max_items: f.max_items.unwrap_or(DEFAULT_MAX_ITEMS),
                steps: f.steps.ok_or_else(|| de::Error::missing_field("steps"))?,
                on_error: f.on_error.unwrap_or_default(),
            }),
        })
    }
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Step, D::Error> {
        deserializer.deserialize_map(StepVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<Step, (String, String)> {
        parse_text(&value.to_string())
    }

    fn parse_text(text: &str) -> Result<Step, (String, String)> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let message = e.inner().to_string();
            (e.path().to_string(), message)
        })
    }

    #[test]
    fn the_three_shapes_read_and_write_back_unchanged() {
        let card = json!({"id": "a", "card": "x.y", "connection": "c", "input": {"k": 1},
                          "on_error": {"policy": "halt"}});
        let branch = json!({"id": "b", "if": {"equals": ["$.input.a", 1]},
                            "then": [card.clone()], "else": [card.clone()]});
        let each = json!({"id": "l", "for_each": "$.input.list", "max_items": 5,
                          "steps": [branch.clone()], "on_error": {"policy": "continue"}});
        for v in [card, branch, each] {
            let step = parse(v.clone()).unwrap();
            assert_eq!(serde_json::to_value(&step).unwrap(), v);
        }
        let Step::ForEach(l) =
            parse(json!({"id": "l", "for_each": "$.input.x", "steps": []})).unwrap()
        else {
            panic!("a loop")
        };
        assert_eq!(l.max_items, DEFAULT_MAX_ITEMS);
    }

    #[test]
    fn errors_name_the_nested_field() {
        let card = |extra: Value| {
            let mut v = json!({"id": "a", "card": "x.y", "connection": "c"});
            v.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            v
        };
        let nested = |inner: Value| json!({"id": "b", "if": {"exists": "$.input.a"}, "then": [card(json!({})), inner]});
        let cases = [
            (
                nested(json!({"id": "c", "card": 3, "connection": "c"})),
                "then[1].card",
                "invalid type",
            ),
            (
                nested(card(json!({"colour": 1}))),
                "then[1].colour",
                "unknown field `colour`",
            ),
            (
                nested(card(json!({"then": []}))),
                "then[1].then",
                "belongs to an if step",
            ),
            (
                nested(
                    json!({"id": "c", "if": {"exists": "$.input.a"}, "then": [], "on_error": {"policy": "halt"}}),
                ),
                "then[1].on_error",
                "no on_error",
            ),
            (
                nested(json!({"id": "c", "then": [], "for_each": "$.input.a"})),
                "then[1].then",
                "belongs to an if step, but this step is a for_each loop",
            ),
            (
                nested(json!({"id": "c", "if": {"greater": [1]}, "then": []})),
                "then[1].if.greater",
                "invalid length",
            ),
            (
                nested(json!({"id": "c", "if": {"nope": 1}, "then": []})),
                "then[1].if",
                "unknown variant",
            ),
            (
                json!({"id": "l", "for_each": "$.input.a", "steps": [{"id": "x", "card": "a.b"}]}),
                "steps[0]",
                "missing field `connection`",
            ),
            (
                json!({"id": "l", "for_each": "$.input.a"}),
                ".",
                "missing field `steps`",
            ),
        ];
        for (value, path, message) in cases {
            let (got_path, got) = parse(value.clone()).unwrap_err();
            assert_eq!(got_path, path, "{value}: {got}");
            assert!(got.contains(message), "{value}: {got}");
        }
        let (path, message) =
            parse_text(r#"{"id": "a", "card": "x", "connection": "c", "id": "b"}"#).unwrap_err();
        assert_eq!(path, "id");
        assert!(message.contains("duplicate field `id`"), "{message}");
    }
}
