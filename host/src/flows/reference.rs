//! References in step inputs: `$.input...`, `$.steps.<id>.output...`,
//! `$.item...` and `$.index` (inside a loop), `$.event...`, parsed, checked
//! and resolved; strings holding `{{ ... }}` are templates ([`super::template`]).

use serde_json::{Map, Value};

use super::limits::{depth, json_size_within, MAX_DEPTH};
use super::template::{Missing, Template};

/// Where a reference points.
#[derive(Debug, Clone, PartialEq)]
pub enum Root {
    /// The flow's input.
    Input,
    /// The output of the step with this id.
    Step(String),
    /// The current item of the innermost loop.
    Item,
    /// The 0-based index of the innermost loop's current item.
    Index,
    /// The event that started the flow.
    Event,
}

/// One step of a path inside a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A parsed reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub root: Root,
    pub path: Vec<Segment>,
}

/// What a string in an input is.
pub enum Literal<'a> {
    /// A reference.
    Reference(&'a str),
    /// A template (a string holding `{{`).
    Template(&'a str),
    /// A plain string (with a `$$.` escape undone).
    Text(String),
}

/// Classify a string found in a step's input: `$$.` escapes (the rest is
/// plain text), then `$.` makes a reference, then `{{` a template.
pub fn classify(s: &str) -> Literal<'_> {
    if let Some(rest) = s.strip_prefix("$$.") {
        Literal::Text(format!("$.{rest}"))
    } else if s.starts_with("$.") {
        Literal::Reference(s)
    } else if s.contains("{{") {
        Literal::Template(s)
    } else {
        Literal::Text(s.to_string())
    }
}

/// Parse `$.input.a.b[0]` or `$.steps.x.output.c`.
pub fn parse(text: &str) -> Result<Reference, String> {
    let body = text
        .strip_prefix("$.")
        .ok_or_else(|| format!("{text:?} does not start with $."))?;
    let segments = segments(body).ok_or_else(|| format!("{text:?} is not a valid reference"))?;
    let mut it = segments.into_iter();
    match it.next() {
        Some(Segment::Key(k)) if k == "input" => Ok(Reference {
            root: Root::Input,
            path: it.collect(),
        }),
        Some(Segment::Key(k)) if k == "item" => Ok(Reference {
            root: Root::Item,
            path: it.collect(),
        }),
        Some(Segment::Key(k)) if k == "event" => Ok(Reference {
            root: Root::Event,
            path: it.collect(),
        }),
        Some(Segment::Key(k)) if k == "index" => match it.next() {
            None => Ok(Reference {
                root: Root::Index,
                path: Vec::new(),
            }),
            Some(_) => Err(format!("{text:?}: $.index is a number and has no fields")),
        },
        Some(Segment::Key(k)) if k == "steps" => {
            let step = match it.next() {
                Some(Segment::Key(s)) => s,
                _ => return Err(format!("{text:?} must name a step: $.steps.<id>.output")),
            };
            match it.next() {
                Some(Segment::Key(o)) if o == "output" => Ok(Reference {
                    root: Root::Step(step),
                    path: it.collect(),
                }),
                _ => Err(format!(
                    "{text:?} must continue with .output after the step id"
                )),
            }
        }
        _ => Err(format!(
            "{text:?} must start with $.input, $.steps, $.item, $.index or $.event"
        )),
    }
}

fn segments(body: &str) -> Option<Vec<Segment>> {
    let mut out = Vec::new();
    for part in body.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() {
            return None;
        }
        out.push(Segment::Key(key.to_string()));
        while !rest.is_empty() {
            let close = rest.find(']')?;
            let index: usize = rest.get(1..close)?.parse().ok()?;
            out.push(Segment::Index(index));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return None;
            }
        }
    }
    Some(out)
}

/// Follow a path inside a value.
pub fn follow<'a>(value: &'a Value, path: &[Segment]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, seg| match seg {
        Segment::Key(k) => v.get(k),
        Segment::Index(i) => v.get(*i),
    })
}

/// A string of a definition whose value is known only at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum Dynamic {
    Reference(String),
    Template(String),
}

/// Every reference and template string inside a value (objects and arrays
/// walked), with the dotted path where it stands under `at`.
pub fn dynamic_in(value: &Value, at: &str, out: &mut Vec<(String, Dynamic)>) {
    match value {
        Value::String(s) => match classify(s) {
            Literal::Reference(r) => out.push((at.to_string(), Dynamic::Reference(r.to_string()))),
            Literal::Template(t) => out.push((at.to_string(), Dynamic::Template(t.to_string()))),
            Literal::Text(_) => {}
        },
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                dynamic_in(v, &format!("{at}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let path = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                dynamic_in(v, &path, out);
            }
        }
        _ => {}
    }
}

/// Replace every reference in an input by what it points at, and every
/// template by its text. `lookup` answers a reference; an unresolved one is
/// an error naming the field (so is a template that cannot be rendered).
///
/// Nothing is copied before it is measured: each value a reference points at
/// must fit within [`MAX_DEPTH`] where it lands and within what is left of
/// `max_bytes` for the whole input, so that a definition repeating a large
/// reference is refused before it can make a large input.
pub fn resolve<'a>(
    input: &Map<String, Value>,
    lookup: &dyn Fn(&Reference) -> Option<&'a Value>,
    max_bytes: usize,
) -> Result<Value, (String, String)> {
    let mut resolver = Resolver {
        lookup,
        bytes_left: max_bytes,
        max_bytes,
    };
    let mut out = Map::new();
    for (k, v) in input {
        out.insert(k.clone(), resolver.value(v, k, 1)?);
    }
    Ok(Value::Object(out))
}

struct Resolver<'l, 'a> {
    lookup: &'l dyn Fn(&Reference) -> Option<&'a Value>,
    bytes_left: usize,
    max_bytes: usize,
}

impl Resolver<'_, '_> {
    /// Resolve `value`, found at `at`, `level` containers deep.
    fn value(&mut self, value: &Value, at: &str, level: usize) -> Result<Value, (String, String)> {
        Ok(match value {
            Value::String(s) => match classify(s) {
                Literal::Text(t) => Value::String(t),
                Literal::Reference(r) => self.reference(r, at, level)?,
                Literal::Template(t) => self.template(t, at)?,
            },
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.value(v, &format!("{at}[{i}]"), level + 1))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    out.insert(k.clone(), self.value(v, &format!("{at}.{k}"), level + 1)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    fn template(&mut self, text: &str, at: &str) -> Result<Value, (String, String)> {
        let template = Template::parse(text).map_err(|e| {
            (
                at.to_string(),
                format!("the template {text:?} is not valid: {e}"),
            )
        })?;
        let rendered = template
            .render(self.lookup, Missing::Fail)
            .map_err(|e| (at.to_string(), e))?;
        let size = json_size_within(&Value::String(rendered.clone()), self.bytes_left)
            .ok_or_else(|| {
                (
                    at.to_string(),
                    format!(
                        "the template would make the step's input larger than {} bytes of JSON, the most a flow hands a card",
                        self.max_bytes
                    ),
                )
            })?;
        self.bytes_left -= size;
        Ok(Value::String(rendered))
    }

    fn reference(&mut self, r: &str, at: &str, level: usize) -> Result<Value, (String, String)> {
        let parsed = parse(r).map_err(|e| (at.to_string(), e))?;
        let found =
            (self.lookup)(&parsed).ok_or_else(|| (at.to_string(), format!("{r} found nothing")))?;
        let nested = level + depth(found);
        if nested > MAX_DEPTH {
            return Err((
                at.to_string(),
                format!(
                    "{r} would nest the step's input {nested} levels deep; a flow keeps values at most {MAX_DEPTH} levels deep"
                ),
            ));
        }
        let size = json_size_within(found, self.bytes_left).ok_or_else(|| {
            (
                at.to_string(),
                format!(
                    "{r} would make the step's input larger than {} bytes of JSON, the most a flow hands a card",
                    self.max_bytes
                ),
            )
        })?;
        self.bytes_left -= size;
        Ok(found.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_input_and_step_references() {
        let r = parse("$.input.email").unwrap();
        assert_eq!(r.root, Root::Input);
        assert_eq!(r.path, vec![Segment::Key("email".into())]);
        let r = parse("$.steps.find_user.output.users[0].gid").unwrap();
        assert_eq!(r.root, Root::Step("find_user".into()));
        assert_eq!(
            r.path,
            vec![
                Segment::Key("users".into()),
                Segment::Index(0),
                Segment::Key("gid".into())
            ]
        );
        for bad in [
            "$.",
            "$.other",
            "$.steps",
            "$.steps.x",
            "$.steps.x.input",
            "$.input.a[x]",
            "$.input..a",
            "$.input.a[0]b",
            "$.index.x",
            "$.item[x]",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_loop_and_event_references() {
        assert_eq!(parse("$.item").unwrap().root, Root::Item);
        assert_eq!(
            parse("$.item.email").unwrap().path,
            vec![Segment::Key("email".into())]
        );
        assert_eq!(parse("$.index").unwrap().root, Root::Index);
        assert_eq!(parse("$.event.task.gid").unwrap().root, Root::Event);
    }

    #[test]
    fn templates_render_in_inputs_and_escapes_stay_literal() {
        let flow_input = json!({"name": "Ada", "n": 3});
        let lookup = |r: &Reference| follow(&flow_input, &r.path);
        let input = json!({"a": "Hi {{$.input.name}} ({{$.input.n}})", "b": "$$.{{not a template}}",
                           "c": "$.input.n", "d": ["{{upper($.input.name)}}"]});
        let got = resolve(input.as_object().unwrap(), &lookup, 1 << 20).unwrap();
        assert_eq!(
            got,
            json!({"a": "Hi Ada (3)", "b": "$.{{not a template}}", "c": 3, "d": ["ADA"]})
        );
        let missing = json!({"x": {"y": "Hi {{$.input.nobody}}"}});
        let (field, message) = resolve(missing.as_object().unwrap(), &lookup, 1 << 20).unwrap_err();
        assert_eq!(field, "x.y");
        assert!(
            message.contains("$.input.nobody found nothing"),
            "{message}"
        );
    }

    #[test]
    fn resolves_nested_values_and_escapes() {
        let input = json!({"user": "$.steps.s.output.users[1].gid", "tags": ["$.input.tag", "$$.literal"], "n": 3});
        let outputs = json!({"users": [{"gid": "a"}, {"gid": "b"}]});
        let flow_input = json!({"tag": "t1"});
        let lookup = |r: &Reference| match &r.root {
            Root::Input => follow(&flow_input, &r.path),
            _ => follow(&outputs, &r.path),
        };
        let got = resolve(input.as_object().unwrap(), &lookup, 1 << 20).unwrap();
        assert_eq!(
            got,
            json!({"user": "b", "tags": ["t1", "$.literal"], "n": 3})
        );
        let missing = json!({"user": "$.steps.s.output.users[5].gid"});
        let err = resolve(missing.as_object().unwrap(), &lookup, 1 << 20).unwrap_err();
        assert_eq!(err.0, "user");
    }

    #[test]
    fn repeated_references_are_refused_before_they_are_copied() {
        let big = json!({"blob": "x".repeat(10_000)});
        let lookup = |_: &Reference| Some(&big);
        let input: Map<String, Value> = (0..1000)
            .map(|i| (format!("k{i}"), json!("$.input")))
            .collect();
        let (field, message) = resolve(&input, &lookup, 100_000).unwrap_err();
        assert!(field.starts_with('k'), "{field}");
        assert!(message.contains("100000 bytes"), "{message}");
    }

    #[test]
    fn a_reference_landing_too_deep_is_refused() {
        let deep = (0..60).fold(json!(1), |v, _| json!([v]));
        let lookup = |_: &Reference| Some(&deep);
        let input = json!({"a": {"b": {"c": {"d": {"e": "$.input"}}}}});
        let (field, message) = resolve(input.as_object().unwrap(), &lookup, 1 << 20).unwrap_err();
        assert_eq!(field, "a.b.c.d.e");
        assert!(message.contains("65 levels"), "{message}");
    }
}
