//! A card written as a card crate writes one (`#[card_io]`, `export_card!`),
//! run natively with `cardhost_sdk::testing::run`: the input and output are
//! checked against the card's schemas as the host checks them.

use cardhost_sdk::prelude::*;
use cardhost_sdk::testing::{self, clear_mock, mock_http};

/// The input.
#[card_io(input)]
#[serde(deny_unknown_fields)]
struct Input {
    /// Who to greet.
    #[schemars(length(min = 1))]
    name: String,
    /// How many times, 1 to 3.
    #[serde(default)]
    #[schemars(range(min = 1, max = 3))]
    times: Option<u8>,
    /// Tags, each at least two characters.
    #[serde(default)]
    tags: Vec<Tag>,
    /// Labels by gid.
    #[serde(default)]
    labels: std::collections::BTreeMap<String, Tag>,
    /// Make an output that breaks the output schema.
    #[serde(default)]
    break_output: bool,
}

#[card_io]
#[serde(transparent)]
struct Tag(#[schemars(length(min = 2))] String);

/// The output.
#[card_io(output)]
struct Output {
    /// The greeting.
    greeting: String,
    /// What the provider said.
    said: Value,
    /// Always positive.
    #[schemars(range(min = 1))]
    count: i32,
}

struct Greet;

impl Card for Greet {
    type Input = Input;
    type Output = Output;
    const ID: &'static str = "asana.greet";
    const NAME: &'static str = "Greet";
    const DESCRIPTION: &'static str = "Greets.";
    const VERSION: &'static str = "1.0.0";

    fn run(input: Input, ctx: &Context) -> Result<Output, CardError> {
        let said: Value = ctx.http().send(Request::get("/hello"))?.json()?;
        let times = input.times.unwrap_or(1);
        Ok(Output {
            greeting: format!("hello {}", input.name).repeat(times.into()),
            said,
            count: if input.break_output {
                0
            } else {
                1 + (input.tags.len() + input.labels.len()) as i32
            },
        })
    }
}

export_card!(Greet);

fn run(input: Value) -> Result<Value, CardError> {
    mock_http(|req| {
        assert_eq!(req.url, "/hello");
        Ok(Response::json_of(200, &json!({"hi": true})))
    });
    let out = testing::run::<Greet>(input, &Context::new("asana"));
    clear_mock();
    out
}

#[test]
fn runs_a_good_input() {
    let out = run(json!({"name": "Ada", "times": 2, "tags": ["ab"]})).unwrap();
    assert_eq!(
        out,
        json!({"greeting": "hello Adahello Ada", "said": {"hi": true}, "count": 2})
    );
}

#[test]
fn refuses_what_the_host_refuses_naming_the_field() {
    // Each of these the card's own decoding would take: only the schema,
    // which the host checks before a card runs, refuses them.
    for (input, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "Ada", "times": 4}), "times"),
        (json!({"name": "Ada", "tags": ["ab", "c"]}), "tags[1]"),
        (json!({"name": "Ada", "labels": {"12": "c"}}), "labels.12"),
    ] {
        let err = run(input.clone()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(err.field.as_deref(), Some(field), "{input}");
        assert!(
            err.message
                .starts_with(&format!("invalid input: {field}: ")),
            "{}",
            err.message
        );
    }
    // Missing and unknown fields are named, as the host names them.
    let err = run(json!({})).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("name"));
    let err = run(json!({"name": "Ada", "colour": "red"})).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("colour"));
    assert!(!err.message.contains("red"), "{}", err.message);
}

#[test]
fn an_output_off_its_schema_is_an_internal_error() {
    let err = run(json!({"name": "Ada", "break_output": true})).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Internal);
    assert_eq!(err.field.as_deref(), Some("count"));
    assert!(err.message.contains("output schema"), "{}", err.message);
}

#[test]
fn the_exported_run_checks_the_schema_too() {
    let err = __cardhost_run(r#"{"name": ""}"#, &Context::new("asana")).unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::InvalidInput, Some("name"))
    );
    // Text that is not JSON is the card's decoding error, as before.
    let err = __cardhost_run("{", &Context::new("asana")).unwrap_err();
    assert_eq!((err.kind, err.field), (ErrorKind::InvalidInput, None));
}

#[test]
fn card_io_schemas_keep_doc_comments_and_serde_attributes() {
    let m = testing::manifest::<Greet>();
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    assert_eq!(input["properties"]["name"]["description"], "Who to greet.");
    assert_eq!(input["additionalProperties"], false);
    assert_eq!(input["required"], json!(["name"]));
    let output: Value = serde_json::from_str(&m.output_schema).unwrap();
    assert_eq!(output["description"], "The output.");
}
