//! A deliberately hostile card (`test.hostile`) for the sandbox tests; never
//! shipped. Input `{"action": "<name>", ...}`; each action tries one thing a
//! card must not be able to do, or does something the host must bound.

use cardhost_sdk::prelude::*;

/// What the card tries.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Action {
    /// Returns its input as output (also the no-op benchmark card).
    Echo,
    /// Loops forever.
    Loop,
    /// Allocates and touches 1 MiB chunks forever.
    MemoryBomb,
    /// Tries to read `/etc/passwd`, `.` and `/`.
    ReadFile,
    /// Returns the environment variables and arguments it sees.
    Env,
    /// Panics.
    Panic,
    /// Sends GETs to `https://example.com/` and `http://169.254.169.254/`.
    ForeignHost,
    /// Sends GET `/users/me` with its own `Authorization` and `Cookie`.
    SetAuth,
    /// Returns a string of `size` bytes.
    BigOutput,
    /// GET of `url`, returning status and body.
    Http,
    /// Fails with an invalid-input error naming `action`.
    Error,
    /// Returns an array, breaking its own output schema (an object).
    BadOutput,
    /// Sleeps `ms` milliseconds in `std::thread::sleep`: the wait happens in
    /// WASI (`wasi:io/poll`), not in WebAssembly.
    Sleep,
    /// Makes `count` GETs of `url` (default `/users/me`) through the
    /// capability and reports how many succeeded and how many were refused.
    Flood,
    /// Makes one GET whose URL is `size` bytes long (a path under `/users/`)
    /// and reports the status or the error.
    HugeUrl,
}

/// The output: any JSON object (`big_output` and `bad_output` break this on purpose).
#[derive(Serialize)]
#[serde(transparent)]
struct Output(Value);

impl JsonSchema for Output {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "HostileOutput".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "object"})
    }
}

/// Which credential the `http` action asks for.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Cred {
    #[default]
    Connection,
    ServiceAccount,
    None,
}

#[derive(Serialize, Deserialize, JsonSchema)]
struct Input {
    /// What to try.
    action: Action,
    /// `big_output`: the output string's length in bytes; `huge_url`: the URL's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    /// `http`: the URL (or path) to GET.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    /// `sleep`: how long to sleep, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ms: Option<u64>,
    /// `flood`: how many calls to make.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    count: Option<u64>,
    /// `http`: the credential to ask for (default `connection`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credential: Option<Cred>,
    /// Anything else (echoed back by `echo`).
    #[serde(flatten)]
    extra: serde_json::Map<String, Value>,
}

struct Hostile;

impl Card for Hostile {
    type Input = Input;
    type Output = Output;
    const ID: &'static str = "test.hostile";
    const NAME: &'static str = "Hostile";
    const DESCRIPTION: &'static str = "Tries what a card must not do; for the sandbox tests only.";
    const VERSION: &'static str = "0.1.0";
    const SCOPES: &'static [&'static str] = &["default"];
    const USES_SERVICE_ACCOUNT: bool = false;

    fn run(input: Input, ctx: &Context) -> Result<Output, CardError> {
        act(input, ctx).map(Output)
    }
}

fn act(input: Input, ctx: &Context) -> Result<Value, CardError> {
    match input.action {
        Action::Echo => Ok(serde_json::to_value(&input)?),
        Action::Loop => {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        Action::MemoryBomb => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                let mut chunk = vec![0u8; 1 << 20];
                for i in (0..chunk.len()).step_by(4096) {
                    chunk[i] = (hoard.len() % 251) as u8 + 1;
                }
                hoard.push(std::hint::black_box(chunk));
            }
        }
        Action::ReadFile => {
            let mut found = serde_json::Map::new();
            for path in ["/etc/passwd", ".", "/"] {
                let result = match std::fs::read_to_string(path) {
                    Ok(text) => json!({ "ok": text }),
                    Err(e) => json!({ "error": e.to_string() }),
                };
                found.insert(path.to_string(), result);
            }
            for dir in [".", "/"] {
                let result = match std::fs::read_dir(dir) {
                    Ok(entries) => json!({ "ok": entries
                            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                            .collect::<Vec<_>>() }),
                    Err(e) => json!({ "error": e.to_string() }),
                };
                found.insert(format!("read_dir {dir}"), result);
            }
            Ok(Value::Object(found))
        }
        Action::Env => Ok(json!({
            "vars": std::env::vars().collect::<std::collections::BTreeMap<_, _>>(),
            "args": std::env::args().collect::<Vec<_>>(),
        })),
        Action::Panic => panic!("the hostile card panics on purpose"),
        Action::ForeignHost => {
            let mut out = serde_json::Map::new();
            for url in ["https://example.com/", "http://169.254.169.254/"] {
                let result = match ctx.http().send(Request::get(url)) {
                    Ok(r) => json!({ "status": r.status, "body": r.text() }),
                    Err(e) => {
                        json!({ "error": format!("{e:?}"), "message": CardError::from(e).message })
                    }
                };
                out.insert(url.to_string(), result);
            }
            Ok(Value::Object(out))
        }
        Action::SetAuth => {
            let response = ctx.http().send(
                Request::get("/users/me")
                    .header("Authorization", "Bearer stolen")
                    .header("Cookie", "a=b"),
            )?;
            Ok(json!({ "status": response.status, "body": response.text() }))
        }
        Action::BigOutput => {
            let size = input.size.unwrap_or(0);
            let size = usize::try_from(size).map_err(|_| {
                CardError::invalid_input("size", "`size` is too large for this card")
            })?;
            Ok(Value::String("x".repeat(size)))
        }
        Action::Http => {
            let Some(url) = input.url else {
                return Err(CardError::invalid_input("url", "`http` needs a `url`"));
            };
            let credential = match input.credential.unwrap_or_default() {
                Cred::Connection => Credential::Connection,
                Cred::ServiceAccount => Credential::ServiceAccount,
                Cred::None => Credential::None,
            };
            let response = ctx.http().send(Request::get(url).credential(credential))?;
            Ok(json!({ "status": response.status, "body": response.text() }))
        }
        Action::Error => Err(CardError::invalid_input(
            "action",
            "the hostile card fails on purpose",
        )),
        Action::BadOutput => Ok(json!([1, 2, 3])),
        Action::Sleep => {
            let ms = input.ms.unwrap_or(0);
            std::thread::sleep(std::time::Duration::from_millis(ms));
            Ok(json!({ "slept_ms": ms }))
        }
        Action::Flood => {
            let url = input.url.unwrap_or_else(|| "/users/me".into());
            let (mut ok, mut refused) = (0u64, 0u64);
            let mut first_error = None;
            for _ in 0..input.count.unwrap_or(0) {
                match ctx.http().send(Request::get(url.as_str())) {
                    Ok(_) => ok += 1,
                    Err(e) => {
                        refused += 1;
                        first_error.get_or_insert_with(|| short(CardError::from(e).message));
                    }
                }
            }
            Ok(json!({ "ok": ok, "refused": refused, "first_error": first_error }))
        }
        Action::HugeUrl => {
            let prefix = "/users/";
            let size = usize::try_from(input.size.unwrap_or(0)).map_err(|_| {
                CardError::invalid_input("size", "`size` is too large for this card")
            })?;
            let url = format!("{prefix}{}", "u".repeat(size.saturating_sub(prefix.len())));
            let length = url.len();
            Ok(match ctx.http().send(Request::get(url)) {
                Ok(r) => json!({ "url_bytes": length, "status": r.status }),
                Err(e) => {
                    let kind = short(format!("{e:?}"));
                    json!({ "url_bytes": length, "error": kind, "message": short(CardError::from(e).message) })
                }
            })
        }
    }
}

/// At most 200 characters of an error, so a refusal that quotes a huge URL
/// does not make a huge output.
fn short(text: String) -> String {
    text.chars().take(200).collect()
}

export_card!(Hostile);

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn run(input: Value) -> Result<Value, CardError> {
        __cardhost_run(&input.to_string(), &Context::new("asana"))
            .map(|out| serde_json::from_str(&out).unwrap())
    }

    #[test]
    fn harmless_actions() {
        let input = json!({"action": "echo", "anything": [1, {"a": null}]});
        assert_eq!(run(input.clone()).unwrap(), input);
        // A string breaks the output schema (an object): refused natively as
        // the host refuses it (`invalid_output`).
        let err = run(json!({"action": "big_output", "size": 5})).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Internal);
        assert!(err.message.contains("output schema"), "{}", err.message);
        let err = run(json!({"action": "error"})).unwrap_err();
        assert_eq!(
            (err.kind, err.field.as_deref()),
            (ErrorKind::InvalidInput, Some("action"))
        );
        let err = run(json!({"action": "nope"})).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("action"));
        let m = __cardhost_manifest();
        let schema: Value = serde_json::from_str(&m.input_schema).unwrap();
        assert_eq!(schema["required"], json!(["action"]));
        assert_ne!(schema["additionalProperties"], false);
    }
}
