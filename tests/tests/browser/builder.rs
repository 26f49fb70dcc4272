//! The flow builder in Chromium: the onboarding flow (find a user, give them
//! a task, read it back) built by clicks and typing only, saved, changed,
//! test-run and found in its history; a mapping to a step that does not
//! come earlier, refused with its error next to the field; hostile names
//! shown as text; and builder posts without their CSRF token refused.

use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::{json, Value};

use crate::chromium::{output_dir, with_browser, Browser, HEIGHT, WIDTH};
use crate::common::Host;
use crate::http::{input_value, page, post, sign_in as http_sign_in};
use crate::sign_in;

/// The screenshot's height: the trigger and the three steps.
const SHOT_HEIGHT: u32 = 2300;

/// The selector of the builder's part for a definition path.
fn at(path: &str) -> String {
    format!("[data-path=\"{path}\"]")
}

/// The definition the builder holds right now.
async fn definition(b: &Browser) -> Value {
    let text = b
        .script(
            "return document.getElementById('definition').value;",
            vec![],
        )
        .await;
    serde_json::from_str(text.as_str().expect("definition text")).expect("definition JSON")
}

/// Add a card step at the end of the flow and choose its card, connection
/// and id.
async fn add_card_step(b: &Browser, i: usize, card: &str, connection: &str, id: &str) {
    b.click("#add-step").await;
    let step = format!("steps[{i}]");
    b.select(&format!("{} select", at(&format!("{step}.card"))), card)
        .await;
    // The card's own fields appear once it is chosen.
    b.wait(&at(&format!("{step}.input"))).await;
    b.select(
        &format!("{} select", at(&format!("{step}.connection"))),
        connection,
    )
    .await;
    b.fill(&format!("{} input", at(&format!("{step}.id"))), id)
        .await;
}

/// Show an input field: optional ones without a value wait behind the
/// step's "more fields" button.
async fn reveal(b: &Browser, path: &str) {
    if !b.exists(&at(path)).await {
        let (inputs, _) = path.rsplit_once('.').expect("a field path");
        b.click(&format!("{} .more-fields", at(inputs))).await;
        b.wait(&at(path)).await;
    }
}

/// Map an input field to a reference with its "Map to…" picker.
async fn map(b: &Browser, path: &str, reference: &str) {
    reveal(b, path).await;
    b.select(&format!("{} select.map-ref", at(path)), reference)
        .await;
    assert_eq!(
        b.value(&format!("{} input.ref", at(path))).await,
        reference,
        "{path}"
    );
}

/// Type a literal into an input field.
async fn literal(b: &Browser, path: &str, text: &str) {
    reveal(b, path).await;
    b.fill(&format!("{} .value", at(path)), text).await;
}

#[tokio::test]
async fn the_onboarding_flow_built_by_clicks_runs_and_shows_in_its_history() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("Ops Asana", false).await;
    let expected = json!({
        "name": "Onboarding",
        "description": "Find the newcomer, give them their first task, read it back.",
        "steps": [
            {"id": "find_user", "card": "asana.search-user", "connection": conn,
             "input": {"query": "$.input.email", "workspace": seed::WORKSPACE_GID}},
            {"id": "create_task", "card": "asana.create-task", "connection": conn,
             "input": {"name": "$.input.task", "workspace": seed::WORKSPACE_GID,
                       "assignee": "$.steps.find_user.output.users[0].gid"}},
            {"id": "read_task", "card": "asana.read-task", "connection": conn,
             "input": {"task": "$.steps.create_task.output.gid"}}
        ]
    });
    with_browser(async |b| {
        sign_in(b, &host).await;
        b.click("nav a[href=\"/console/flows\"]").await;
        b.click("#new-flow").await;
        b.wait("#builder.ready").await;
        assert!(b.exists("script[src=\"/console/assets/builder.js\"]").await);

        b.fill("#flow-name", "Onboarding").await;
        b.fill(
            "#flow-description",
            "Find the newcomer, give them their first task, read it back.",
        )
        .await;
        b.fill("#flow-inputs", "email, task").await;
        // Manual is the default trigger, and stays out of the definition.
        assert_eq!(b.value("#trigger-type").await, "manual");

        // The card picker offers action cards grouped by connector.
        b.click("#add-step").await;
        let groups = b
            .script(
                "return Array.from(document.querySelectorAll('[data-path=\"steps[0].card\"] optgroup')).map(g => g.label);",
                vec![],
            )
            .await;
        assert!(
            groups.as_array().unwrap().iter().any(|g| g == "Asana"),
            "{groups}"
        );
        // A step added by mistake goes again.
        b.click(&format!("{} .delete-step", at("steps[0]"))).await;
        assert!(!b.exists(&at("steps[0]")).await);

        add_card_step(b, 0, "asana.search-user", &conn, "find_user").await;
        // Required fields are marked; descriptions and constraints are help.
        let query = b.text(&at("steps[0].input.query")).await;
        assert!(query.to_lowercase().contains("required"), "{query}");
        assert!(query.contains("email address"), "{query}");
        assert!(query.contains("at least 1 character"), "{query}");
        map(b, "steps[0].input.query", "$.input.email").await;
        literal(b, "steps[0].input.workspace", seed::WORKSPACE_GID).await;

        add_card_step(b, 1, "asana.create-task", &conn, "create_task").await;
        map(b, "steps[1].input.name", "$.input.task").await;
        literal(b, "steps[1].input.workspace", seed::WORKSPACE_GID).await;
        // The picker knows the earlier step's outputs, through its items.
        reveal(b, "steps[1].input.assignee").await;
        let offered = b
            .script(
                "return Array.from(document.querySelectorAll('[data-path=\"steps[1].input.assignee\"] select.map-ref option')).map(o => o.value);",
                vec![],
            )
            .await;
        for r in [
            "$.input.email",
            "$.steps.find_user.output.users",
            "$.steps.find_user.output.users[0].gid",
            "$.steps.find_user.output.count",
        ] {
            assert!(
                offered.as_array().unwrap().iter().any(|o| o == r),
                "{r} not in {offered}"
            );
        }
        map(
            b,
            "steps[1].input.assignee",
            "$.steps.find_user.output.users[0].gid",
        )
        .await;

        add_card_step(b, 2, "asana.read-task", &conn, "read_task").await;
        map(b, "steps[2].input.task", "$.steps.create_task.output.gid").await;
        assert_eq!(definition(b).await, expected);
        b.save("builder-onboarding").await;

        b.click("#save").await;
        let banner = b.wait_text("#banner", "Flow saved").await;
        assert!(banner.contains("Onboarding is saved as version 1"), "{banner}");
        let url = b.wait_url("/edit").await;
        let id = url
            .trim_end_matches("/edit")
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let (s, flow) = host.get(&format!("/flows/{id}")).await;
        assert_eq!(s, 200);
        // The host writes each step's default error policy out.
        let mut saved = expected.clone();
        for step in saved["steps"].as_array_mut().unwrap() {
            step["on_error"] = json!({"policy": "halt"});
        }
        assert_eq!(flow["definition"], saved);
        assert_eq!(flow["version"], 1);

        // The saved flow opens in the builder as it was built.
        b.wait("#builder.ready").await;
        assert_eq!(definition(b).await, saved);
        screenshot(b).await;

        // Test run with a sample input: each step's input, output, calls.
        let sample = b
            .script(
                "return JSON.parse(document.getElementById('sample-input').value);",
                vec![],
            )
            .await;
        assert_eq!(sample, json!({"email": "", "task": ""}));
        b.fill(
            "#sample-input",
            &json!({"email": seed::GRACE_HOPPER_EMAIL, "task": "Read the handbook"}).to_string(),
        )
        .await;
        b.click("#test-run").await;
        b.wait("#test-result[data-outcome=\"ok\"]").await;
        assert!(b.text("#test-result h2").await.contains("Succeeded"));
        let found = b.text("#step-find_user").await;
        for part in ["asana.search-user", "Ops Asana", "Grace Hopper", seed::GRACE_HOPPER_GID, "GET"] {
            assert!(found.contains(part), "{part} not in {found:?}");
        }
        let read = b.text("#step-read_task").await;
        for part in ["Read the handbook", "Grace Hopper", "/tasks/"] {
            assert!(read.contains(part), "{part} not in {read:?}");
        }
        // The resolved input is there too.
        b.click("#step-create_task details summary").await;
        let created = b.text("#step-create_task").await;
        assert!(created.contains(seed::GRACE_HOPPER_GID), "{created}");
        b.save("builder-test-run").await;

        // The run history (existing pages) has it.
        b.click("#run-history").await;
        b.wait_text("#runs", "Succeeded").await;
        let runs = b
            .script("return document.querySelectorAll('#runs tbody tr').length;", vec![])
            .await;
        assert_eq!(runs, 1);
        assert!(b.text("#flow-title").await.contains("Onboarding"));
        b.click("#runs tbody tr a").await;
        b.wait_text("#step-read_task", "Succeeded").await;

        // Change it: a fourth step, moved up and then deleted; a retry policy;
        // saved as version 2.
        b.goto(&format!("{}/console/flows/{id}", host.base)).await;
        b.click("#edit-flow").await;
        b.wait("#builder.ready").await;
        add_card_step(b, 3, "asana.read-user", &conn, "whoami").await;
        literal(b, "steps[3].input.user", "me").await;
        b.click(&format!("{} .move-up", at("steps[3]"))).await;
        let ids: Vec<String> = definition(b).await["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids, ["find_user", "create_task", "whoami", "read_task"]);
        b.click(&format!("{} .delete-step", at("steps[2]"))).await;
        b.select(&format!("{} select", at("steps[2].on_error")), "retry")
            .await;
        b.click("#save").await;
        b.wait_text("#banner", "version 2").await;
        let (_, flow) = host.get(&format!("/flows/{id}")).await;
        assert_eq!(flow["version"], 2);
        let mut v2 = saved.clone();
        v2["steps"][2]["on_error"] = json!({"policy": "retry", "times": 3, "delay_ms": 1000});
        assert_eq!(flow["definition"], v2);
    })
    .await;
}

/// `docs/flow-builder.png`: the builder with the onboarding flow. Written
/// under the test output dir, and to docs/ with `CARDHOST_UPDATE_SCREENSHOT=1`.
async fn screenshot(b: &Browser) {
    b.viewport(WIDTH, SHOT_HEIGHT).await;
    b.script("window.scrollTo(0, 0);", vec![]).await;
    let png = b.screenshot().await;
    b.viewport(WIDTH, HEIGHT).await;
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!(height, SHOT_HEIGHT);
    assert!(png.len() < 300 * 1024, "{} bytes", png.len());
    std::fs::write(output_dir().join("flow-builder.png"), &png).unwrap();
    if std::env::var_os("CARDHOST_UPDATE_SCREENSHOT").is_some() {
        let docs =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/flow-builder.png");
        std::fs::write(docs, &png).unwrap();
    }
}

#[tokio::test]
async fn a_mapping_to_a_later_step_is_refused_next_to_its_field() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("Ops Asana", false).await;
    with_browser(async |b| {
        sign_in(b, &host).await;
        b.goto(&format!("{}/console/flows/new", host.base)).await;
        b.wait("#builder.ready").await;
        b.fill("#flow-name", "Out of order").await;
        b.fill("#flow-inputs", "email").await;
        add_card_step(b, 0, "asana.search-user", &conn, "find_user").await;
        map(b, "steps[0].input.query", "$.input.email").await;
        add_card_step(b, 1, "asana.read-user", &conn, "user").await;
        map(
            b,
            "steps[1].input.user",
            "$.steps.find_user.output.users[0].gid",
        )
        .await;
        // Moved first, the step refers to one that now runs after it.
        b.click(&format!("{} .move-up", at("steps[1]"))).await;
        b.click("#save").await;

        let error = b
            .wait_text(
                &format!("{} .field-error", at("steps[0].input.user")),
                "not an earlier step",
            )
            .await;
        assert!(error.contains("find_user"), "{error}");
        assert!(b.text("#banner").await.contains("The flow was not saved"));
        assert_eq!(b.text("#error-field").await, "Field: steps[0].input.user");
        // Nothing was saved; the builder holds the flow as it was sent.
        let (_, flows) = host.get("/flows").await;
        assert_eq!(flows["data"], json!([]));
        assert_eq!(definition(b).await["steps"][0]["id"], "user");
        b.save("builder-error").await;

        // Put back in order, it saves.
        b.click(&format!("{} .move-down", at("steps[0]"))).await;
        b.click("#save").await;
        b.wait_text("#banner", "Flow saved").await;
        assert!(!b.exists(".field-error:not([hidden])").await);
    })
    .await;
}

#[tokio::test]
async fn a_script_in_a_flow_name_or_step_id_is_shown_as_text() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("Ops Asana", false).await;
    let hostile = "<script>alert(1)</script>";
    let hostile_id = "<img src=x onerror=alert(2)>";
    with_browser(async |b| {
        sign_in(b, &host).await;
        b.goto(&format!("{}/console/flows/new", host.base)).await;
        b.wait("#builder.ready").await;
        b.fill("#flow-name", hostile).await;
        add_card_step(b, 0, "asana.read-user", &conn, hostile_id).await;
        literal(b, "steps[0].input.user", "me").await;
        b.click("#save").await;
        // The step id is refused, and the error quoting it reads as text.
        let error = b
            .wait_text(
                &format!("{} .field-error", at("steps[0].id")),
                "must be lowercase",
            )
            .await;
        assert!(error.contains(hostile_id), "{error}");
        assert_eq!(b.alert_text().await, None, "a script ran");
        assert!(!b.exists("main img").await, "the step id became markup");

        b.fill(&format!("{} input", at("steps[0].id")), "me").await;
        b.click("#save").await;
        b.wait_text("#banner", "Flow saved").await;
        assert_eq!(b.alert_text().await, None, "a script ran");
        assert!(b.text("#builder-title").await.contains(hostile));
        assert_eq!(b.value("#flow-name").await, hostile);
        let (_, flows) = host.get("/flows").await;
        let id = flows["data"][0]["id"].as_str().unwrap().to_string();
        for path in [
            "/console/flows".to_string(),
            format!("/console/flows/{id}"),
            format!("/console/flows/{id}/edit"),
        ] {
            b.goto(&format!("{}{path}", host.base)).await;
            b.wait("main h1").await;
            assert_eq!(b.alert_text().await, None, "a script ran on {path}");
            assert!(b.body_text().await.contains(hostile), "{path}");
            assert!(
                !b.exists("main script:not([src])").await,
                "{path} made a script"
            );
            let source = b.source().await;
            assert!(!source.contains(hostile), "{path} holds the raw tag");
        }
    })
    .await;
}

#[tokio::test]
async fn builder_posts_without_their_csrf_token_are_refused() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("Ops", false).await;
    let def = json!({"name": "Who am I", "steps": [
        {"id": "me", "card": "asana.read-user", "connection": conn, "input": {"user": "me"}}
    ]})
    .to_string();
    let cookie = http_sign_in(&host).await;
    let (status, html) = page(&host, &cookie, "/console/flows/new").await;
    assert_eq!(status, 200);
    let csrf = input_value(&html, "csrf");

    // Create: without the token, or with a wrong one, nothing is saved.
    for form in [
        vec![("definition", def.as_str())],
        vec![("csrf", "forged"), ("definition", def.as_str())],
    ] {
        let r = post(&host, &cookie, "/console/flows/new", &form).await;
        assert_eq!(r.status(), 403);
        assert!(r.text().await.unwrap().contains("csrf_failed"));
    }
    let (_, flows) = host.get("/flows").await;
    assert_eq!(flows["data"], json!([]));
    let r = post(
        &host,
        &cookie,
        "/console/flows/new",
        &[("csrf", &csrf), ("definition", &def)],
    )
    .await;
    assert_eq!(r.status(), 303);
    let id = r.headers()["location"]
        .to_str()
        .unwrap()
        .trim_end_matches("/edit")
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();

    // Change and test run: refused without the token.
    let changed = def.replace("Who am I", "Hijacked");
    let r = post(
        &host,
        &cookie,
        &format!("/console/flows/{id}/edit"),
        &[("definition", &changed)],
    )
    .await;
    assert_eq!(r.status(), 403);
    let r = post(
        &host,
        &cookie,
        &format!("/console/flows/{id}/test"),
        &[("input", "{}")],
    )
    .await;
    assert_eq!(r.status(), 403);
    let (_, flow) = host.get(&format!("/flows/{id}")).await;
    assert_eq!(flow["version"], 1);
    assert_eq!(flow["definition"]["name"], "Who am I");
    let (_, runs) = host.get(&format!("/flows/{id}/runs")).await;
    assert_eq!(runs["data"], json!([]));

    // Without script the pages still read: the flow's page and the builder
    // hold the definition, the builder's form posts it.
    let (_, html) = page(&host, &cookie, &format!("/console/flows/{id}")).await;
    assert!(html.contains("id=\"definition-json\""), "{html}");
    assert!(
        html.contains("&quot;Who am I&quot;") || html.contains("\"Who am I\""),
        "{html}"
    );
    let (_, html) = page(&host, &cookie, &format!("/console/flows/{id}/edit")).await;
    assert!(
        html.contains(&format!("action=\"/console/flows/{id}/edit\"")),
        "{html}"
    );
    assert!(html.contains("name=\"definition\""), "{html}");
    // The page carries the catalogue for the script: every card's schemas.
    assert!(html.len() < 1024 * 1024, "{} bytes", html.len());
    println!("builder page: {} bytes", html.len());

    // With it: a test run, shown on the page (which reads without script).
    let r = post(
        &host,
        &cookie,
        &format!("/console/flows/{id}/test"),
        &[("csrf", &csrf), ("input", "{}")],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"test-result\" data-outcome=\"ok\""),
        "{html}"
    );
    assert!(html.contains(seed::ME_NAME));
    // A definition the API would refuse is refused here the same way.
    let r = post(
        &host,
        &cookie,
        &format!("/console/flows/{id}/edit"),
        &[
            ("csrf", &csrf),
            ("definition", "{\"name\": \"x\", \"steps\": []}"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-error-field=\"steps\""), "{html}");
}

#[tokio::test]
async fn a_condition_a_loop_an_output_and_a_schedule_built_by_clicks_save_and_run() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("Ops Asana", false).await;
    let expected = json!({
        "name": "Welcome the newcomers",
        "trigger": {"type": "schedule", "cron": "0 9 * * MON-FRI", "timezone": "Europe/Paris",
                    "missed": "run_once", "allow_overlap": false},
        "steps": [
            {"id": "find_user", "card": "asana.search-user", "connection": conn,
             "input": {"query": "$.input.email", "workspace": seed::WORKSPACE_GID}},
            {"id": "found", "if": {"greater": ["$.steps.find_user.output.count", 0]},
             "then": [{"id": "welcome", "card": "asana.create-task", "connection": conn,
                       "input": {"name": "Welcome {{$.input.email}}", "workspace": seed::WORKSPACE_GID,
                                 "assignee": "$.steps.find_user.output.users[0].gid"}}],
             "else": []},
            {"id": "each_user", "for_each": "$.steps.find_user.output.users", "max_items": 5,
             "steps": [{"id": "read_user", "card": "asana.read-user", "connection": conn,
                        "input": {"user": "$.item.gid"}}]}
        ],
        "output": {"count": "$.steps.find_user.output.count"}
    });
    with_browser(async |b| {
        sign_in(b, &host).await;
        b.goto(&format!("{}/console/flows/new", host.base)).await;
        b.wait("#builder.ready").await;
        b.fill("#flow-name", "Welcome the newcomers").await;
        b.fill("#flow-inputs", "email").await;

        // A schedule trigger; a time zone the host does not know is refused
        // next to its field.
        b.select("#trigger-type", "schedule").await;
        b.fill("#trigger-timezone", "Mars/Olympus_Mons").await;
        b.click("#save").await;
        b.wait_text(
            &format!("{} .field-error", at("trigger.timezone")),
            "Mars/Olympus_Mons",
        )
        .await;
        // The page came back with what was sent, the input names included.
        assert_eq!(b.value("#flow-name").await, "Welcome the newcomers");
        assert_eq!(b.value("#flow-inputs").await, "email");
        b.fill("#trigger-timezone", "Europe/Paris").await;
        b.select("#trigger-missed", "run_once").await;
        assert_eq!(b.value("#trigger-cron").await, "0 9 * * MON-FRI");

        add_card_step(b, 0, "asana.search-user", &conn, "find_user").await;
        map(b, "steps[0].input.query", "$.input.email").await;
        literal(b, "steps[0].input.workspace", seed::WORKSPACE_GID).await;

        // If someone was found, a task for them.
        b.click("#add-if").await;
        b.fill(&format!("{} input", at("steps[1].id")), "found")
            .await;
        b.select(&format!("{} select.cond-op", at("steps[1].if")), "greater")
            .await;
        b.select(
            &format!("{} select.map-ref", at("steps[1].if.greater[0]")),
            "$.steps.find_user.output.count",
        )
        .await;
        b.fill(
            &format!("{} input.operand", at("steps[1].if.greater[1]")),
            "0",
        )
        .await;
        b.click(&format!("{} > .add-row .add-step", at("steps[1].then")))
            .await;
        b.select(
            &format!("{} select", at("steps[1].then[0].card")),
            "asana.create-task",
        )
        .await;
        b.wait(&at("steps[1].then[0].input")).await;
        b.fill(&format!("{} input", at("steps[1].then[0].id")), "welcome")
            .await;
        literal(
            b,
            "steps[1].then[0].input.name",
            "Welcome {{$.input.email}}",
        )
        .await;
        literal(b, "steps[1].then[0].input.workspace", seed::WORKSPACE_GID).await;
        map(
            b,
            "steps[1].then[0].input.assignee",
            "$.steps.find_user.output.users[0].gid",
        )
        .await;

        // For each user found, read them; the loop offers the items' fields.
        b.click("#add-loop").await;
        b.fill(&format!("{} input", at("steps[2].id")), "each_user")
            .await;
        b.select(
            &format!("{} select.map-ref", at("steps[2].for_each")),
            "$.steps.find_user.output.users",
        )
        .await;
        b.fill(&format!("{} input", at("steps[2].max_items")), "5")
            .await;
        b.click(&format!("{} > .add-row .add-step", at("steps[2].steps")))
            .await;
        b.select(
            &format!("{} select", at("steps[2].steps[0].card")),
            "asana.read-user",
        )
        .await;
        b.wait(&at("steps[2].steps[0].input")).await;
        b.fill(
            &format!("{} input", at("steps[2].steps[0].id")),
            "read_user",
        )
        .await;
        map(b, "steps[2].steps[0].input.user", "$.item.gid").await;

        // The flow's output.
        b.click("#add-output").await;
        b.fill(".output-row .output-name", "count").await;
        b.select(
            ".output-row select.map-ref",
            "$.steps.find_user.output.count",
        )
        .await;
        assert_eq!(definition(b).await, expected);
        b.save("builder-logic").await;

        b.click("#save").await;
        b.wait_text("#banner", "Flow saved").await;
        let (_, flows) = host.get("/flows").await;
        let flow = &flows["data"][0];
        let id = flow["id"].as_str().unwrap().to_string();
        assert_eq!(flow["definition"]["trigger"], expected["trigger"]);
        assert_eq!(
            flow["definition"]["steps"][1]["if"],
            expected["steps"][1]["if"]
        );
        assert_eq!(
            flow["definition"]["steps"][2]["for_each"],
            expected["steps"][2]["for_each"]
        );
        assert_eq!(flow["definition"]["output"], expected["output"]);

        // Run: the condition takes `then`, the loop reads each user found.
        b.wait("#builder.ready").await;
        b.fill(
            "#sample-input",
            &json!({"email": seed::GRACE_HOPPER_EMAIL}).to_string(),
        )
        .await;
        b.click("#test-run").await;
        b.wait("#test-result[data-outcome=\"ok\"]").await;
        assert!(b.text("#step-found").await.contains("took then"));
        b.click("#step-welcome details summary").await;
        let welcome = b.text("#step-welcome").await;
        assert!(
            welcome.contains(&format!("Welcome {}", seed::GRACE_HOPPER_EMAIL)),
            "{welcome}"
        );
        assert!(b.text("#step-read_user-0").await.contains("Grace Hopper"));
        assert_eq!(
            serde_json::from_str::<Value>(&b.text("#test-output").await).unwrap(),
            json!({"count": 1})
        );
        let (_, runs) = host.get(&format!("/flows/{id}/runs")).await;
        assert_eq!(runs["data"][0]["status"], "succeeded");
    })
    .await;
}

#[tokio::test]
async fn an_event_trigger_takes_an_event_card_and_offers_its_output() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("Ops Asana", false).await;
    with_browser(async |b| {
        sign_in(b, &host).await;
        b.goto(&format!("{}/console/flows/new", host.base)).await;
        b.wait("#builder.ready").await;
        b.fill("#flow-name", "Completed tasks").await;
        b.select("#trigger-type", "event").await;
        // Only event cards are offered as events, and only action cards as steps.
        let events = b
            .script(
                "return Array.from(document.querySelectorAll('select.trigger-card option')).map(o => o.value).filter(Boolean);",
                vec![],
            )
            .await;
        let events: Vec<&str> = events
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(events.contains(&"asana.task-completed"), "{events:?}");
        assert!(!events.contains(&"asana.read-task"), "{events:?}");
        b.select("select.trigger-card", "asana.task-completed").await;
        b.fill(&format!("{} .value", at("trigger.input.project")), seed::PROJECT_GID)
            .await;
        assert_eq!(b.value("select.trigger-connection").await, conn);

        b.click("#add-step").await;
        let actions = b
            .script(
                "return Array.from(document.querySelectorAll('[data-path=\"steps[0].card\"] option')).map(o => o.value);",
                vec![],
            )
            .await;
        assert!(
            !actions.as_array().unwrap().iter().any(|v| v == "asana.task-completed"),
            "{actions}"
        );
        b.select(&format!("{} select", at("steps[0].card")), "asana.read-task")
            .await;
        b.wait(&at("steps[0].input")).await;
        b.fill(&format!("{} input", at("steps[0].id")), "read_task").await;
        map(b, "steps[0].input.task", "$.event.task.gid").await;
        assert_eq!(
            definition(b).await,
            json!({
                "name": "Completed tasks",
                "trigger": {"type": "event", "card": "asana.task-completed", "connection": conn,
                            "input": {"project": seed::PROJECT_GID}},
                "steps": [{"id": "read_task", "card": "asana.read-task", "connection": conn,
                           "input": {"task": "$.event.task.gid"}}]
            })
        );
        b.click("#save").await;
        b.wait_text("#banner", "Flow saved").await;
        let (_, flows) = host.get("/flows").await;
        assert_eq!(flows["data"][0]["definition"]["trigger"]["card"], "asana.task-completed");
    })
    .await;
}
