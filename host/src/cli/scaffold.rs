//! `cardhost cards new <id>`: a card crate, anywhere, ready to build, install,
//! run and test. The example card reads the connection's who-am-I request as
//! the card's connector defines it, which the command gets with
//! `GET /api/v1/connectors/{connector}` like every other command (so an
//! unknown connector is the API's clear error, and installed connectors work
//! too). `docs/writing-cards.md` is the guide that follows it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use axum::http::Method;
use clap::Args;
use serde_json::{json, Map, Value};

use super::rest::{Api, Call};
use super::Target;
use crate::config::Settings;

/// `cardhost cards new`.
#[derive(Args)]
pub struct NewArgs {
    #[command(flatten)]
    target: Target,
    /// The card's id, `connector.card-name` (lowercase letters, digits and
    /// dashes), e.g. acme.who-am-i.
    id: String,
    /// The directory to write the crate in: new, or empty. Default:
    /// ./<connector>-<card-name>.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The cardhost-sdk crate to depend on by path. Default: the sdk of the
    /// cardhost source this binary was built from.
    #[arg(long, value_name = "PATH")]
    sdk: Option<PathBuf>,
}

/// The sdk of the source this binary was built from.
const BUILT_FROM_SDK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../sdk");

/// The `card` profile, as the cardhost workspace defines it (a test keeps
/// them equal).
pub const CARD_PROFILE: &str = r#"[profile.card]
inherits = "release"
opt-level = "s"
lto = true
codegen-units = 1
strip = true
panic = "unwind"
"#;

/// Scaffold the crate and say what to do next.
pub async fn new(settings: Settings, args: NewArgs) -> anyhow::Result<ExitCode> {
    let card = CardId::parse(&args.id)?;
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(card.package()));
    check_dir(&dir)?;
    let sdk = sdk_dir(args.sdk.as_deref())?;
    // How the next commands reach the same host, from the crate's directory.
    let same_host = match &args.target.server {
        Some(url) => Reach::Server(url.clone()),
        None if settings.data_dir.is_relative() => {
            Reach::DataDir(std::path::absolute(&settings.data_dir)?)
        }
        None => Reach::Same,
    };
    let api = Api::open(settings, args.target.server).await?;
    let (status, body) = api
        .send(Call::new(
            Method::GET,
            format!("/connectors/{}", card.connector),
        ))
        .await?;
    if status >= 400 {
        return super::cards::refused(status, &body);
    }
    let connector = Connector::from_json(&body)?;
    let files = [
        ("Cargo.toml", cargo_toml(&card, &sdk)),
        ("src/lib.rs", lib_rs(&card, &connector)),
        ("src/tests.rs", tests_rs(&card, &connector)),
        (".gitignore", "/target\n".to_string()),
    ];
    std::fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, text) in &files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let shown = dir.display();
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "id": card.id,
            "package": card.package(),
            "dir": shown.to_string(),
            "files": files.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            "sdk": sdk.display().to_string(),
            "scopes": connector.scope.iter().collect::<Vec<_>>(),
        }))?
    );
    let (export, server) = match &same_host {
        Reach::Server(url) => (String::new(), format!(" --server {url}")),
        Reach::DataDir(dir) => (
            format!(
                "  export CARDHOST_DATA_DIR={}   # the host this command used\n",
                dir.display()
            ),
            String::new(),
        ),
        Reach::Same => (String::new(), String::new()),
    };
    eprintln!(
        "\nCard {id} is in {shown}. Next (docs/writing-cards.md says more):\n\
         {export}\
         \x20 cd {shown}\n\
         \x20 cargo test                          # the native tests, HTTP mocked\n\
         \x20 cardhost cards build                # the WebAssembly component\n\
         \x20 cardhost cards install <the .wasm cards build prints>{server}\n\
         \x20 cardhost run {id} --input '{{}}'{server}",
        id = card.id
    );
    Ok(ExitCode::SUCCESS)
}

/// How the commands after `cards new` reach the host it read the connector from.
enum Reach {
    /// Through the running host at this URL.
    Server(String),
    /// In process on this data dir, which was relative to the directory `cards new` ran in.
    DataDir(PathBuf),
    /// In process on the same absolute data dir (`--data-dir` or `CARDHOST_DATA_DIR`).
    Same,
}

/// A card id taken apart.
struct CardId {
    id: String,
    connector: String,
    /// The part after the dot, e.g. `who-am-i`.
    name: String,
}

impl CardId {
    fn parse(id: &str) -> anyhow::Result<CardId> {
        // A connector id starts with a letter, and so must a package name.
        let well_formed = crate::runtime::manifest::valid_id(id)
            && id.starts_with(|c: char| c.is_ascii_lowercase());
        let Some((connector, name)) = id.split_once('.').filter(|_| well_formed) else {
            bail!(
                "{id:?} is not a card id: write `connector.card-name` in lowercase letters, digits \
                 and dashes, e.g. acme.who-am-i (`cardhost connectors list` lists the connectors)"
            );
        };
        Ok(CardId {
            id: id.to_string(),
            connector: connector.to_string(),
            name: name.to_string(),
        })
    }

    /// The crate's package name, `<connector>-<card-name>`.
    fn package(&self) -> String {
        format!("{}-{}", self.connector, self.name)
    }

    /// `Who Am I` for `who-am-i`.
    fn title(&self) -> String {
        self.words(" ")
    }

    /// The card type's name: `WhoAmI` for `who-am-i`.
    fn type_name(&self) -> String {
        let name = self.words("");
        if name.starts_with(|c: char| c.is_ascii_alphabetic()) && name != "Self" {
            name
        } else {
            format!("Card{name}")
        }
    }

    fn words(&self, separator: &str) -> String {
        self.name
            .split('-')
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut chars = w.chars();
                chars
                    .next()
                    .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(separator)
    }
}

/// A directory that does not exist yet, or is empty.
fn check_dir(dir: &Path) -> anyhow::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        bail!(
            "{} exists and is not a directory: pass --dir DIR for a new or empty directory",
            dir.display()
        );
    }
    let mut entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    if entries.next().is_some() {
        bail!(
            "{} exists and is not empty: pass --dir DIR for a new or empty directory",
            dir.display()
        );
    }
    Ok(())
}

/// The sdk to depend on, as an absolute path: `--sdk`, else the one of the
/// source this binary was built from.
fn sdk_dir(arg: Option<&Path>) -> anyhow::Result<PathBuf> {
    let (dir, hint) = match arg {
        Some(dir) => (dir.to_path_buf(), "--sdk must name the sdk/ directory of a cardhost checkout"),
        None => (
            PathBuf::from(BUILT_FROM_SDK),
            "this cardhost was built elsewhere: pass --sdk PATH, the sdk/ directory of a cardhost checkout",
        ),
    };
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("no sdk at {}: {hint}", dir.display()))?;
    let name = text
        .parse::<toml::Table>()
        .ok()
        .and_then(|t| t.get("package")?.get("name")?.as_str().map(str::to_string));
    if name.as_deref() != Some("cardhost-sdk") {
        bail!(
            "{} is not the cardhost-sdk crate: {hint}",
            manifest.display()
        );
    }
    dir.canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))
}

/// What the example card needs of its connector.
struct Connector {
    id: String,
    name: String,
    whoami_path: String,
    whoami_query: Vec<(String, String)>,
    id_at: Vec<String>,
    name_at: Vec<String>,
    email_at: Vec<String>,
    /// A scope from the OAuth catalogue for the who-am-I request: the first
    /// of the connector's default scopes that the catalogue lists.
    scope: Option<String>,
}

impl Connector {
    /// From `GET /api/v1/connectors/{id}`.
    fn from_json(body: &Value) -> anyhow::Result<Connector> {
        let d = &body["definition"];
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let whoami = &d["whoami"];
        let Some(path) = whoami["path"].as_str() else {
            bail!("the host's answer for the connector has no definition.whoami.path: {body}");
        };
        let oauth = &d["auth"]["oauth2"];
        let catalogue = oauth["scopes"].as_object();
        let scope = strings(&oauth["default_scopes"]["scopes"])
            .into_iter()
            .find(|s| catalogue.is_some_and(|c| c.contains_key(s)));
        Ok(Connector {
            id: body["id"].as_str().unwrap_or_default().to_string(),
            name: plain_name(body["name"].as_str().unwrap_or("the provider")),
            whoami_path: path.to_string(),
            whoami_query: whoami["query"]
                .as_object()
                .map(|q| {
                    q.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default(),
            id_at: strings(&whoami["account"]["id"]),
            name_at: strings(&whoami["account"]["name"]),
            email_at: strings(&whoami["account"]["email"]),
            scope,
        })
    }
}

/// A provider's name as the templates put it in doc comments, string
/// literals and format strings: one line, without quotes, backslashes or braces.
fn plain_name(name: &str) -> String {
    let name = one_line(name).replace(['"', '\\', '{', '}'], "");
    if name.is_empty() {
        "the provider".to_string()
    } else {
        name
    }
}

/// Text safe inside a `///` line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A Rust string literal.
fn lit(text: &str) -> String {
    format!("{text:?}")
}

/// Rust string literals.
fn lits(items: &[String]) -> Vec<String> {
    items.iter().map(|s| lit(s)).collect()
}

/// `const NAME: &[TYPE] = &[items];`, one line when it fits in 100 columns,
/// else an item per line (as rustfmt writes it).
fn const_slice(name: &str, ty: &str, items: &[String]) -> String {
    let line = format!("const {name}: &[{ty}] = &[{}];", items.join(", "));
    if line.len() <= 100 {
        return line;
    }
    let items: String = items.iter().map(|i| format!("    {i},\n")).collect();
    format!("const {name}: &[{ty}] = &[\n{items}];")
}

fn cargo_toml(card: &CardId, sdk: &Path) -> String {
    let sdk = toml::Value::String(sdk.display().to_string());
    format!(
        r#"# A cardhost card: this crate builds to the WebAssembly component cardhost
# runs. Made by `cardhost cards new {id}`; docs/writing-cards.md in cardhost
# is the guide.
[package]
name = "{package}"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
# cdylib: the .wasm component (without it cargo builds no .wasm at all);
# rlib: what `cargo test` links the native tests with.
crate-type = ["cdylib", "rlib"]

[dependencies]
# The card's only dependency: the card contract, the HTTP capability, errors,
# and serde/schemars through #[card_io]. To build from a git checkout instead:
# cardhost-sdk = {{ git = "<the cardhost repository's URL>", rev = "<a commit>" }}
cardhost-sdk = {{ path = {sdk} }}

# A workspace of its own, so the crate builds wherever it sits. (As a member
# of another workspace, drop this table and put the profile below in that
# workspace's Cargo.toml: cargo reads profiles only from the root.)
[workspace]

# `cardhost cards build` runs `cargo build --target wasm32-wasip2 --profile
# card`: small and fast to load, as cardhost's own cards.
{profile}"#,
        id = card.id,
        package = card.package(),
        profile = CARD_PROFILE,
    )
}

fn lib_rs(card: &CardId, c: &Connector) -> String {
    let query: Vec<String> = c
        .whoami_query
        .iter()
        .map(|(k, v)| format!("({}, {})", lit(k), lit(v)))
        .collect();
    let scopes = match &c.scope {
        Some(scope) => format!(
            "    // The OAuth scopes the card's requests need, in {provider}'s names\n    \
             // (`cardhost connectors get {connector}` lists them): an OAuth connection\n    \
             // not granted one is refused the card before it runs.\n    \
             const SCOPES: &'static [&'static str] = &[{scope}];\n",
            provider = c.name,
            connector = c.id,
            scope = lit(scope)
        ),
        None => {
            "    // The OAuth scopes the card's requests need (none: the connector has no\n    \
                 // OAuth scope for its who-am-I request).\n    \
                 const SCOPES: &'static [&'static str] = &[];\n"
                .to_string()
        }
    };
    let template = r#"//! __TITLE__ (`__ID__`): whom the __PROVIDER__ connection's credential belongs
//! to, read with the connector's who-am-I request (`GET __PATH__`).
//!
//! Made by `cardhost cards new`. Build it with `cardhost cards build`, install
//! the `.wasm` with `cardhost cards install`, run it with `cardhost run`; test
//! it natively with `cargo test` (`src/tests.rs`).

use cardhost_sdk::prelude::*;

/// The card's input. Doc comments become its JSON Schema's descriptions; the
/// host checks every run's input against that schema before the card runs.
#[card_io(input)]
#[serde(deny_unknown_fields)]
struct Input {
    /// Also return __PROVIDER__'s whole answer, as `raw`.
    #[serde(default)]
    include_raw: bool,
}

/// Whom the connection's credential belongs to.
#[card_io(output)]
struct Output {
    /// The account's id at __PROVIDER__.
    id: String,
    /// The account's name, when __PROVIDER__ says.
    name: Option<String>,
    /// The account's email, when __PROVIDER__ says.
    email: Option<String>,
    /// __PROVIDER__'s whole answer (with `include_raw`).
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<Value>,
}

/// The provider, for messages.
const PROVIDER: &str = __PROVIDER_LIT__;
/// The connector's who-am-I request, from its definition: a path under the
/// connector's API base (the host adds the base and the credential).
const WHOAMI_PATH: &str = __PATH_LIT__;
__QUERY__
/// Where the account is in the answer: JSON pointers, the first that finds a
/// string or a number wins.
__ID_AT__
__NAME_AT__
__EMAIL_AT__

struct __TYPE__;

impl Card for __TYPE__ {
    type Input = Input;
    type Output = Output;
    const ID: &'static str = __ID_LIT__;
    const NAME: &'static str = __TITLE_LIT__;
    const DESCRIPTION: &'static str = __DESCRIPTION_LIT__;
    const VERSION: &'static str = "0.1.0";
__SCOPES__
    fn run(input: Input, ctx: &Context) -> Result<Output, CardError> {
        let mut request = Request::get(WHOAMI_PATH);
        for (name, value) in WHOAMI_QUERY {
            request = request.query(*name, *value);
        }
        // The host checks the destination, attaches the connection's
        // credential, waits out rate limits and records the call.
        let answer = ctx.http().send(request)?;
        if !answer.is_success() {
            return Err(status_error(answer.status));
        }
        let answer: Value = answer.json()?;
        let Some(id) = first(&answer, ID_AT) else {
            let why = format!("{PROVIDER}'s answer names no account id");
            return Err(CardError::provider(why));
        };
        ctx.info(format!("the credential belongs to {id}"));
        Ok(Output {
            id,
            name: first(&answer, NAME_AT),
            email: first(&answer, EMAIL_AT),
            raw: input.include_raw.then_some(answer),
        })
    }
}

/// A failed answer as the error kind that tells the host which HTTP status
/// the run gets (docs/writing-cards.md lists them).
fn status_error(status: u16) -> CardError {
    let what = format!("{PROVIDER} answered HTTP {status}");
    match status {
        401 => CardError::unauthorized(format!("{what}: the credential was refused")),
        403 => CardError::forbidden(format!("{what}: the credential may not read this")),
        404 => CardError::not_found(what),
        429 => CardError::rate_limited(what),
        _ => CardError::provider(what),
    }
}

/// The first pointer that finds a non-empty string or a number.
fn first(answer: &Value, pointers: &[&str]) -> Option<String> {
    pointers.iter().find_map(|p| match answer.pointer(p)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

export_card!(__TYPE__);

// The native tests mock the HTTP capability, which exists only outside a
// component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
"#;
    template
        .replace("__SCOPES__", &scopes)
        .replace("__TYPE__", &card.type_name())
        .replace("__ID_LIT__", &lit(&card.id))
        .replace("__ID__", &card.id)
        .replace("__TITLE_LIT__", &lit(&card.title()))
        .replace("__TITLE__", &card.title())
        .replace(
            "__DESCRIPTION_LIT__",
            &lit(&format!(
                "Reads whom the {} connection's credential belongs to.",
                c.name
            )),
        )
        .replace("__PATH_LIT__", &lit(&c.whoami_path))
        .replace("__PATH__", &one_line(&c.whoami_path))
        .replace(
            "__QUERY__",
            &const_slice("WHOAMI_QUERY", "(&str, &str)", &query),
        )
        .replace("__ID_AT__", &const_slice("ID_AT", "&str", &lits(&c.id_at)))
        .replace(
            "__NAME_AT__",
            &const_slice("NAME_AT", "&str", &lits(&c.name_at)),
        )
        .replace(
            "__EMAIL_AT__",
            &const_slice("EMAIL_AT", "&str", &lits(&c.email_at)),
        )
        .replace("__PROVIDER_LIT__", &lit(&c.name))
        .replace("__PROVIDER__", &c.name)
}

fn tests_rs(card: &CardId, c: &Connector) -> String {
    let answer = sample_answer(c);
    let expected = json!({
        "id": first(&answer, &c.id_at),
        "name": first(&answer, &c.name_at),
        "email": first(&answer, &c.email_at),
    });
    let scopes = match &c.scope {
        Some(scope) => format!("assert_eq!(m.scopes, [{}]);", lit(scope)),
        None => "assert!(m.scopes.is_empty());".to_string(),
    };
    let template = r#"//! Native tests (`cargo test`): the card runs as the host runs it, input and
//! output checked against its schemas, with the sdk's mock answering its HTTP
//! requests instead of __PROVIDER__.

use super::*;
use cardhost_sdk::testing::{self, clear_mock, mock_http};

/// Runs the card on `input`, __PROVIDER__ answering `status` with `body`.
fn run(input: Value, status: u16, body: Value) -> Result<Value, CardError> {
    mock_http(move |request| {
        assert_eq!(request.method, Method::Get);
        assert_eq!(request.url, WHOAMI_PATH);
        assert_eq!(request.credential, Credential::Connection);
        Ok(Response::json_of(status, &body))
    });
    let result = testing::run::<__TYPE__>(input, &Context::new(__CONNECTOR_LIT__));
    clear_mock();
    result
}

/// An answer shaped as the connector's account pointers say.
fn account() -> Value {
    json!(__ANSWER__)
}

#[test]
fn reads_the_account() {
    let expected = json!(__EXPECTED__);
    assert_eq!(run(json!({}), 200, account()).unwrap(), expected);
}

#[test]
fn returns_the_whole_answer_on_request() {
    let out = run(json!({"include_raw": true}), 200, account()).unwrap();
    assert_eq!(out["raw"], account());
}

#[test]
fn refuses_an_input_the_host_refuses() {
    // Checked against the input schema before the card runs, as the host
    // checks it: the error names the field.
    for (input, field) in [
        (json!({"include_raw": "yes"}), "include_raw"),
        (json!({"verbose": true}), "verbose"),
    ] {
        let err = run(input, 200, account()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput);
        assert_eq!(err.field.as_deref(), Some(field));
    }
}

#[test]
fn a_refused_credential_is_unauthorized() {
    let err = run(json!({}), 401, json!({})).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unauthorized);
}

#[test]
fn manifest() {
    let m = testing::manifest::<__TYPE__>();
    assert_eq!(m.id, __ID_LIT__);
    __SCOPES_ASSERT__
}
"#;
    template
        .replace("__TYPE__", &card.type_name())
        .replace("__CONNECTOR_LIT__", &lit(&card.connector))
        .replace("__ANSWER__", &rust_json(&answer, 1))
        .replace("__EXPECTED__", &rust_json(&expected, 1))
        .replace("__ID_LIT__", &lit(&card.id))
        .replace("__SCOPES_ASSERT__", &scopes)
        .replace("__PROVIDER__", &c.name)
}

/// An answer in which the first pointer of each account field finds a value.
fn sample_answer(c: &Connector) -> Value {
    let mut answer = Value::Object(Map::new());
    let fields = [
        (&c.id_at, "1200000000000101"),
        (&c.name_at, "Ada Lovelace"),
        (&c.email_at, "ada@example.com"),
    ];
    for (pointers, value) in fields {
        if let Some(pointer) = pointers.first() {
            set(&mut answer, pointer, value);
        }
    }
    answer
}

/// Put `value` where the JSON pointer says, making objects on the way.
fn set(answer: &mut Value, pointer: &str, value: &str) {
    let mut at = answer;
    let keys: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|k| k.replace("~1", "/").replace("~0", "~"))
        .collect();
    for key in keys {
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        let Value::Object(map) = at else { return };
        at = map.entry(key).or_insert(Value::Null);
    }
    *at = Value::String(value.to_string());
}

/// The first pointer that finds a non-empty string or a number (as the
/// example card reads its answer).
fn first(answer: &Value, pointers: &[String]) -> Option<String> {
    pointers.iter().find_map(|p| match answer.pointer(p)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// JSON for `json!`, with Rust string literals, indented at `level`.
fn rust_json(value: &Value, level: usize) -> String {
    let pad = "    ".repeat(level + 1);
    let end = "    ".repeat(level);
    match value {
        Value::String(s) => lit(s),
        Value::Object(map) if map.is_empty() => "{}".to_string(),
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{pad}{}: {}", lit(k), rust_json(v, level + 1)))
                .collect();
            format!("{{\n{}\n{end}}}", items.join(",\n"))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(|v| rust_json(v, level)).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_card_profile_is_the_workspaces() {
        let workspace: toml::Table = include_str!("../../../Cargo.toml").parse().unwrap();
        let ours: toml::Table = CARD_PROFILE.parse().unwrap();
        assert_eq!(
            workspace["profile"]["card"], ours["profile"]["card"],
            "the scaffold's [profile.card] must be the workspace's"
        );
    }

    #[test]
    fn ids_and_names() {
        let card = CardId::parse("acme.who-am-i").unwrap();
        assert_eq!(
            (card.package(), card.title(), card.type_name()),
            ("acme-who-am-i".into(), "Who Am I".into(), "WhoAmI".into())
        );
        assert_eq!(
            CardId::parse("github.2fa-check").unwrap().type_name(),
            "Card2faCheck"
        );
        assert_eq!(
            CardId::parse("github.self").unwrap().type_name(),
            "CardSelf"
        );
        for bad in [
            "acme",
            "acme.",
            ".x",
            "Acme.x",
            "acme.who_am_i",
            "acme.a.b",
            "9a.x",
            "acme.x y",
        ] {
            let err = CardId::parse(bad).err().unwrap().to_string();
            assert!(err.contains("connector.card-name"), "{bad}: {err}");
        }
    }

    #[test]
    fn sample_answers_follow_the_pointers() {
        let c = Connector {
            id: "acme".into(),
            name: "Acme".into(),
            whoami_path: "/users/me".into(),
            whoami_query: vec![],
            id_at: vec!["/data/gid".into()],
            name_at: vec!["/data/name".into(), "/data/login".into()],
            email_at: vec![],
            scope: None,
        };
        let answer = sample_answer(&c);
        assert_eq!(
            answer,
            json!({"data": {"gid": "1200000000000101", "name": "Ada Lovelace"}})
        );
        assert_eq!(first(&answer, &c.name_at).as_deref(), Some("Ada Lovelace"));
        assert_eq!(first(&answer, &c.email_at), None);
        assert_eq!(
            rust_json(&json!({"a\"b": [1, null], "c": {}}), 0),
            "{\n    \"a\\\"b\": [1, null],\n    \"c\": {}\n}"
        );
    }
}
