//! Save-time checks of a flow: every card and connection exists and fits;
//! step ids are unique across the flow, nested steps included; references
//! point at the flow's input, the event, the current loop item or a step
//! that has run before them on every path, and their paths fit the output
//! schema of what they point at ([`Shape`]); templates parse; the literal
//! inputs can satisfy each card's input schema. Each error names its field,
//! e.g. `steps[1].input.assignee` or `steps[2].then[0].card`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::limits;
use super::model::{Condition, ErrorPolicy, FlowDefinition, Step, StepDefinition};
use super::reference::{self, Dynamic, Root, Segment};
use super::shape::Shape;
use super::template::Template;
use crate::connections::Connections;
use crate::error::{AppError, Kind};
use crate::runtime::catalogue::Catalogue;
use crate::runtime::LoadedCard;
use crate::store::Connection;

/// Most steps in one flow, nested ones included.
const MAX_STEPS: usize = 50;
/// Most ifs and loops one step may stand inside.
pub const MAX_NESTING: usize = 4;
/// Most items a loop may be allowed.
pub const MAX_ITEMS: u32 = 1000;

fn invalid(field: String, message: impl Into<String>) -> AppError {
    AppError::new(Kind::Unprocessable, "invalid_flow", message).field(field)
}

/// The connection a step or a trigger names (id or nickname), which must
/// belong to `card`'s connector. Errors name `field`: `unknown_connection`
/// when there is none, `code` when it is another connector's.
pub(crate) fn connection_for_card(
    connections: &Connections,
    card: &str,
    connection: &str,
    field: &str,
    code: &str,
) -> Result<Connection, AppError> {
    let conn = connections.resolve(connection).map_err(|_| {
        AppError::new(
            Kind::Unprocessable,
            "unknown_connection",
            format!("no connection {connection:?}"),
        )
        .field(field)
    })?;
    let card_connector = card.split_once('.').map(|(c, _)| c).unwrap_or_default();
    if conn.connector != card_connector {
        return Err(AppError::new(
            Kind::Unprocessable,
            code,
            format!(
                "{} is a {} connection; card {card} needs a {card_connector} one",
                conn.nickname, conn.connector
            ),
        )
        .field(field));
    }
    Ok(conn)
}

/// Check a definition; the connection id each card step resolves to, in the
/// order of [`FlowDefinition::card_steps`]. `event_schema` is the output
/// schema of the card whose event starts the flow: `None` when no event
/// does, and then `$.event` references are refused.
pub async fn check(
    catalogue: &Catalogue,
    connections: &Connections,
    def: &FlowDefinition,
    event_schema: Option<&Value>,
) -> Result<Vec<String>, AppError> {
    if def.name.trim().is_empty() {
        return Err(invalid("name".into(), "the flow needs a name"));
    }
    if def.steps.is_empty() {
        return Err(invalid("steps".into(), "a flow needs at least one step"));
    }
    let mut places = HashMap::new();
    let mut count = 0;
    collect_places(&def.steps, "steps", &[], &mut places, &mut count)?;
    if count > MAX_STEPS {
        return Err(invalid(
            "steps".into(),
            format!("a flow has at most {MAX_STEPS} steps, nested ones included"),
        ));
    }
    let mut cards = HashMap::new();
    for step in def.card_steps() {
        if !cards.contains_key(&step.card) {
            cards.insert(step.card.clone(), catalogue.get(&step.card).await);
        }
    }
    let mut checker = Checker {
        connections,
        cards,
        places,
        event: event_schema.map(Shape::schema),
        resolved: Vec::new(),
        references: 0,
        holder: String::new(),
    };
    let mut scope = Scope::default();
    checker.steps(&def.steps, "steps", &mut scope, &mut Vec::new())?;
    let depth = limits::depth(&Value::Object(def.output.clone()));
    if depth > limits::MAX_DEPTH {
        return Err(invalid(
            "output".into(),
            format!(
                "the output is nested {depth} levels deep; a flow keeps values at most {} levels deep",
                limits::MAX_DEPTH
            ),
        ));
    }
    checker.holder = "output".into();
    checker.values(&def.output, "output", &scope)?;
    Ok(checker.resolved)
}

fn valid_step_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// An if branch or a loop a step stands inside.
#[derive(Debug, Clone, PartialEq)]
struct Container {
    id: String,
    /// `then` or `else` for an if step; `None` for a loop.
    branch: Option<&'static str>,
}

/// Where a step stands in the flow.
struct Place {
    containers: Vec<Container>,
    is_if: bool,
}

/// Ids, their uniqueness and where each stands; how deep steps nest.
fn collect_places(
    steps: &[Step],
    at: &str,
    containers: &[Container],
    places: &mut HashMap<String, Place>,
    count: &mut usize,
) -> Result<(), AppError> {
    for (i, step) in steps.iter().enumerate() {
        let field = format!("{at}[{i}]");
        *count += 1;
        let id = step.id();
        if !valid_step_id(id) {
            return Err(invalid(
                format!("{field}.id"),
                format!("step id {id:?} must be lowercase letters, digits and _"),
            ));
        }
        if places.contains_key(id) {
            return Err(invalid(
                format!("{field}.id"),
                format!("two steps are called {id:?} (ids are unique across the flow, nested steps included)"),
            ));
        }
        places.insert(
            id.to_string(),
            Place {
                containers: containers.to_vec(),
                is_if: matches!(step, Step::If(_)),
            },
        );
        let inside = |branch| {
            let mut c = containers.to_vec();
            c.push(Container {
                id: id.to_string(),
                branch,
            });
            c
        };
        if !matches!(step, Step::Card(_)) && containers.len() >= MAX_NESTING {
            return Err(invalid(
                field,
                format!("ifs and loops nest at most {MAX_NESTING} deep"),
            ));
        }
        match step {
            Step::Card(_) => {}
            Step::If(s) => {
                collect_places(
                    &s.then,
                    &format!("{field}.then"),
                    &inside(Some("then")),
                    places,
                    count,
                )?;
                collect_places(
                    &s.otherwise,
                    &format!("{field}.else"),
                    &inside(Some("else")),
                    places,
                    count,
                )?;
            }
            Step::ForEach(s) => {
                collect_places(
                    &s.steps,
                    &format!("{field}.steps"),
                    &inside(None),
                    places,
                    count,
                )?;
            }
        }
    }
    Ok(())
}

/// What a reference at some point of the flow may see.
#[derive(Clone, Default)]
struct Scope {
    /// Steps that have run on every path to here: the shape of their output
    /// and who owns it, for messages (`card example.find-user's output`).
    visible: HashMap<String, (Shape, String)>,
    containers: Vec<Container>,
    /// The innermost loop's item, and the reference to its list.
    item: Option<(Shape, String)>,
}

struct Checker<'c> {
    connections: &'c Connections,
    cards: HashMap<String, Option<Arc<LoadedCard>>>,
    places: HashMap<String, Place>,
    event: Option<Shape>,
    resolved: Vec<String>,
    references: usize,
    /// What the references being checked stand in (`steps[0].input`), for
    /// the error when there are too many.
    holder: String,
}

impl Checker<'_> {
    /// Check `steps` (standing at `at`); the outputs they make in this
    /// iteration scope join `made`.
    fn steps(
        &mut self,
        steps: &[Step],
        at: &str,
        scope: &mut Scope,
        made: &mut Vec<(String, Shape)>,
    ) -> Result<(), AppError> {
        for (i, step) in steps.iter().enumerate() {
            let field = format!("{at}[{i}]");
            match step {
                Step::Card(s) => {
                    let (shape, owner) = self.card_step(s, &field, scope)?;
                    made.push((s.id.clone(), shape.clone()));
                    scope.visible.insert(s.id.clone(), (shape, owner));
                }
                Step::If(s) => {
                    self.holder = format!("{field}.if");
                    self.condition(&s.condition, &format!("{field}.if"), scope)?;
                    for (branch, steps) in [("then", &s.then), ("else", &s.otherwise)] {
                        let mut inner = scope.clone();
                        inner.containers.push(Container {
                            id: s.id.clone(),
                            branch: Some(branch),
                        });
                        self.steps(steps, &format!("{field}.{branch}"), &mut inner, made)?;
                    }
                }
                Step::ForEach(s) => {
                    if !(1..=MAX_ITEMS).contains(&s.max_items) {
                        return Err(invalid(
                            format!("{field}.max_items"),
                            format!("max_items must be between 1 and {MAX_ITEMS}"),
                        ));
                    }
                    if let ErrorPolicy::Retry { .. } = s.on_error {
                        return Err(invalid(
                            format!("{field}.on_error"),
                            "a loop's on_error is halt or continue; set retries on the card steps inside it",
                        ));
                    }
                    let list_field = format!("{field}.for_each");
                    self.holder = list_field.clone();
                    let item = self.list(&s.for_each, &list_field, scope)?;
                    let mut inner = scope.clone();
                    inner.containers.push(Container {
                        id: s.id.clone(),
                        branch: None,
                    });
                    inner.item = Some((item, s.for_each.clone()));
                    let mut results = Vec::new();
                    self.steps(
                        &s.steps,
                        &format!("{field}.steps"),
                        &mut inner,
                        &mut results,
                    )?;
                    let result: BTreeMap<String, Shape> = results.into_iter().collect();
                    let continues = s.on_error == ErrorPolicy::Continue;
                    let result = if continues {
                        Shape::AnyOf(vec![Shape::Object(result), Shape::error()])
                    } else {
                        Shape::Object(result)
                    };
                    let output = Shape::Object(BTreeMap::from([
                        ("results".to_string(), Shape::List(Box::new(result))),
                        (
                            "count".to_string(),
                            Shape::schema(&json!({"type": "integer"})),
                        ),
                    ]));
                    let output = if continues {
                        Shape::AnyOf(vec![output, Shape::error()])
                    } else {
                        output
                    };
                    made.push((s.id.clone(), output.clone()));
                    scope
                        .visible
                        .insert(s.id.clone(), (output, format!("loop {}'s output", s.id)));
                }
            }
        }
        Ok(())
    }

    /// Check a card step; the shape of its output and its owner's name.
    fn card_step(
        &mut self,
        step: &StepDefinition,
        field: &str,
        scope: &Scope,
    ) -> Result<(Shape, String), AppError> {
        let at = |f: &str| format!("{field}.{f}");
        let card = self
            .cards
            .get(&step.card)
            .cloned()
            .flatten()
            .ok_or_else(|| {
                AppError::new(
                    Kind::Unprocessable,
                    "unknown_card",
                    format!("no card {:?} is installed", step.card),
                )
                .field(at("card"))
            })?;
        if card.manifest().kind == crate::runtime::CardKind::Event {
            return Err(AppError::new(
                Kind::Unprocessable,
                "event_card",
                format!(
                    "{} is an event card: it starts flows as their trigger ({{\"type\": \"event\", \"card\": \"{}\", ...}}) and cannot be a step",
                    step.card, step.card
                ),
            )
            .field(at("card")));
        }
        let conn = connection_for_card(
            self.connections,
            &step.card,
            &step.connection,
            &at("connection"),
            "invalid_flow",
        )?;
        if let ErrorPolicy::Retry { times, delay_ms } = step.on_error {
            if !(1..=10).contains(&times) {
                return Err(invalid(
                    at("on_error.times"),
                    "retry times must be between 1 and 10",
                ));
            }
            if delay_ms > 60_000 {
                return Err(invalid(
                    at("on_error.delay_ms"),
                    "retry delay_ms must be at most 60000",
                ));
            }
        }
        let literal_depth = limits::depth(&Value::Object(step.input.clone()));
        if literal_depth > limits::MAX_DEPTH {
            return Err(invalid(
                at("input"),
                format!(
                    "the input is nested {literal_depth} levels deep; a flow keeps values at most {} levels deep",
                    limits::MAX_DEPTH
                ),
            ));
        }
        self.holder = at("input");
        let referenced = self.values(&step.input, &at("input"), scope)?;
        check_literals(&card, &step.input, &referenced, field)?;
        self.resolved.push(conn.id);
        let output = Shape::schema(&card.manifest().output_schema);
        let shape = if step.on_error == ErrorPolicy::Continue {
            Shape::AnyOf(vec![output, Shape::error()])
        } else {
            output
        };
        Ok((shape, format!("card {}'s output", step.card)))
    }

    /// Check the references and templates in a map of values standing at
    /// `at`; the top-level keys that hold any.
    fn values(
        &mut self,
        values: &Map<String, Value>,
        at: &str,
        scope: &Scope,
    ) -> Result<HashSet<String>, AppError> {
        let mut keys = HashSet::new();
        for (k, v) in values {
            let mut found = Vec::new();
            reference::dynamic_in(v, &format!("{at}.{k}"), &mut found);
            if !found.is_empty() {
                keys.insert(k.clone());
            }
            self.dynamic(found, scope)?;
        }
        Ok(keys)
    }

    fn dynamic(&mut self, found: Vec<(String, Dynamic)>, scope: &Scope) -> Result<(), AppError> {
        for (field, d) in found {
            match d {
                Dynamic::Reference(text) => {
                    self.reference(&text, &field, scope)?;
                }
                Dynamic::Template(text) => {
                    let template = Template::parse(&text).map_err(|e| {
                        invalid(field.clone(), format!("the template is not valid {e}"))
                    })?;
                    for (_, r) in template.references() {
                        self.reference(r, &field, scope)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn condition(&mut self, c: &Condition, at: &str, scope: &Scope) -> Result<(), AppError> {
        let pair = |op: &str, pair: &[Value; 2]| -> Vec<(String, Dynamic)> {
            let mut found = Vec::new();
            for (i, v) in pair.iter().enumerate() {
                reference::dynamic_in(v, &format!("{at}.{op}[{i}]"), &mut found);
            }
            found
        };
        let found = match c {
            Condition::Equals(p) => pair("equals", p),
            Condition::NotEquals(p) => pair("not_equals", p),
            Condition::Contains(p) => pair("contains", p),
            Condition::Greater(p) => pair("greater", p),
            Condition::Less(p) => pair("less", p),
            Condition::Exists(r) => {
                let field = format!("{at}.exists");
                if !matches!(reference::classify(r), reference::Literal::Reference(_)) {
                    return Err(invalid(
                        field,
                        format!("exists takes a reference ($.…), not {r:?}"),
                    ));
                }
                self.reference(r, &field, scope)?;
                Vec::new()
            }
            Condition::All(all) | Condition::Any(all) => {
                let op = if matches!(c, Condition::All(_)) {
                    "all"
                } else {
                    "any"
                };
                for (i, inner) in all.iter().enumerate() {
                    self.condition(inner, &format!("{at}.{op}[{i}]"), scope)?;
                }
                Vec::new()
            }
            Condition::Not(inner) => {
                self.condition(inner, &format!("{at}.not"), scope)?;
                Vec::new()
            }
        };
        self.dynamic(found, scope)
    }

    /// Check a loop's list reference; the shape of its items.
    fn list(&mut self, text: &str, field: &str, scope: &Scope) -> Result<Shape, AppError> {
        if !matches!(reference::classify(text), reference::Literal::Reference(_)) {
            return Err(invalid(
                field.to_string(),
                format!("for_each takes a reference to a list, e.g. $.steps.<id>.output.<list>, not {text:?}"),
            ));
        }
        let shape = self.reference(text, field, scope)?;
        shape.check(&[Segment::Index(0)]).map_err(|m| {
            invalid(
                field.to_string(),
                format!(
                    "{text} is not a list: it {}",
                    m.trim_start_matches("has no list: it ")
                ),
            )
        })
    }

    /// Check one reference standing at `field`; the shape it points at.
    fn reference(&mut self, text: &str, field: &str, scope: &Scope) -> Result<Shape, AppError> {
        self.references += 1;
        if self.references > limits::MAX_REFERENCES {
            return Err(invalid(
                self.holder.clone(),
                format!(
                    "the flow holds more than {0} references; a flow may hold at most {0} (each is copied at every run)",
                    limits::MAX_REFERENCES
                ),
            ));
        }
        let parsed = reference::parse(text).map_err(|e| invalid(field.to_string(), e))?;
        let fail = |m: String| invalid(field.to_string(), format!("{text}: {m}"));
        match &parsed.root {
            Root::Input => Ok(Shape::Any),
            Root::Index => match scope.item {
                Some(_) => Ok(Shape::schema(&json!({"type": "integer"}))),
                None => Err(fail(
                    "$.index is only defined inside a for_each loop's steps".into(),
                )),
            },
            Root::Item => match &scope.item {
                Some((shape, list)) => shape
                    .check(&parsed.path)
                    .map_err(|m| fail(format!("an item of {list} {m}"))),
                None => Err(fail(
                    "$.item is only defined inside a for_each loop's steps".into(),
                )),
            },
            Root::Event => match &self.event {
                Some(shape) => shape
                    .check(&parsed.path)
                    .map_err(|m| fail(format!("the flow's event {m}"))),
                None => Err(fail(
                    "this flow is not started by an event, so there is no $.event".into(),
                )),
            },
            Root::Step(id) => match scope.visible.get(id) {
                Some((shape, owner)) => shape
                    .check(&parsed.path)
                    .map_err(|m| fail(format!("{owner} {m}"))),
                None => Err(invalid(field.to_string(), self.unseen(text, id, scope))),
            },
        }
    }

    /// Why step `id` cannot be referred to from where `scope` stands.
    fn unseen(&self, text: &str, id: &str, scope: &Scope) -> String {
        let Some(place) = self.places.get(id) else {
            return format!(
                "{text} refers to step {id:?}, which is not an earlier step of this flow"
            );
        };
        if place.is_if {
            return format!(
                "{text} refers to if step {id:?}, which has no output (refer to the steps in its branches)"
            );
        }
        if scope.containers.iter().any(|c| c.id == id) {
            return format!(
                "{text} refers to loop {id:?} from inside it: its output exists only once the loop has ended"
            );
        }
        let hiding = place
            .containers
            .iter()
            .enumerate()
            .find(|(i, c)| scope.containers.get(*i) != Some(c));
        match hiding {
            Some((_, Container { id: c, branch: Some(b) })) => format!(
                "{text} refers to step {id:?}, which is in the {b} branch of if step {c:?}: it may not have run here (refer to it only from later steps of that branch)"
            ),
            Some((_, Container { id: c, branch: None })) => format!(
                "{text} refers to step {id:?}, which is inside loop {c:?}: outside the loop, use $.steps.{c}.output.results[i].{id}"
            ),
            None => format!("{text} refers to step {id:?}, which is not an earlier step of this flow"),
        }
    }
}

/// The literal part of the input must be able to satisfy the card's schema:
/// errors about fields a reference or template will fill are ignored.
fn check_literals(
    card: &LoadedCard,
    input: &Map<String, Value>,
    referenced: &HashSet<String>,
    step: &str,
) -> Result<(), AppError> {
    let literal: Map<String, Value> = input
        .iter()
        .filter(|(k, _)| !referenced.contains(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for v in card.input_schema().violations(&Value::Object(literal)) {
        let field = v.field.clone().unwrap_or_default();
        let top = field.split(['.', '[']).next().unwrap_or(&field);
        if referenced.contains(top) {
            continue;
        }
        let at = if field.is_empty() {
            format!("{step}.input")
        } else {
            format!("{step}.input.{field}")
        };
        return Err(invalid(
            at,
            format!(
                "the input cannot satisfy {}: {}",
                card.manifest().id,
                v.message
            ),
        ));
    }
    Ok(())
}
