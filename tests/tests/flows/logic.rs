//! Flow logic against the fake Asana: for_each loops (no, one and many
//! items, over the cap, per-iteration error policies), if steps taking each
//! branch as the history shows, templates in card inputs, the flow's
//! output, and the save-time checks of references and nested steps.

use cardhost_tests::fake_asana::{seed, FakeAsana, Fault};
use serde_json::{json, Value};

use crate::common::Host;
use crate::create_flow;

/// Search users, read each one found; the output counts them and names
/// the first one's email.
fn read_each_found(max_items: u32) -> Value {
    json!({
        "name": "Read each user found",
        "steps": [
            {"id": "find", "card": "asana.search-user", "connection": "team",
             "input": {"query": "$.input.q", "workspace": seed::WORKSPACE_GID}},
            {"id": "each_user", "for_each": "$.steps.find.output.users", "max_items": max_items,
             "steps": [
                {"id": "read", "card": "asana.read-user", "connection": "team",
                 "input": {"user": "$.item.gid"}}
             ]}
        ],
        "output": {
            "count": "$.steps.each_user.output.count",
            "first_email": "$.steps.each_user.output.results[0].read.email",
            "summary": "{{$.steps.find.output.count}} found for {{lower($.input.q)}}"
        }
    })
}

async fn run(host: &Host, flow: &str, input: Value) -> Value {
    let (status, run) = host
        .post(&format!("/flows/{flow}/runs"), json!({ "input": input }))
        .await;
    assert_eq!(status, 200, "{run}");
    run
}

#[tokio::test]
async fn for_each_runs_once_per_item_for_none_one_and_many() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("team", true).await;
    let flow = create_flow(&host, read_each_found(20)).await;

    let none = run(&host, &flow, json!({"q": "nobody@example.com"})).await;
    assert_eq!(none["status"], "succeeded", "{none}");
    assert_eq!(none["steps"][1]["kind"], "for_each");
    assert_eq!(none["steps"][1]["iterations"], json!([]));
    assert_eq!(
        none["output"],
        json!({"count": 0, "first_email": null, "summary": "0 found for nobody@example.com"})
    );

    let one = run(&host, &flow, json!({"q": seed::GRACE_HOPPER_EMAIL})).await;
    assert_eq!(one["status"], "succeeded", "{one}");
    let iterations = one["steps"][1]["iterations"].as_array().unwrap();
    assert_eq!(iterations.len(), 1, "{one}");
    assert_eq!(iterations[0]["index"], 0);
    assert_eq!(iterations[0]["item"]["gid"], seed::GRACE_HOPPER_GID);
    assert_eq!(iterations[0]["steps"][0]["id"], "read");
    assert_eq!(iterations[0]["steps"][0]["card"], "asana.read-user");
    assert_eq!(
        iterations[0]["steps"][0]["input"],
        json!({"user": seed::GRACE_HOPPER_GID})
    );
    assert_eq!(one["output"]["count"], 1);
    assert_eq!(one["output"]["first_email"], seed::GRACE_HOPPER_EMAIL);

    fake.clear_requests();
    let many = run(&host, &flow, json!({"q": "Grace"})).await;
    assert_eq!(many["status"], "succeeded", "{many}");
    let found = many["steps"][0]["output"]["users"]
        .as_array()
        .unwrap()
        .clone();
    assert!(found.len() >= 2, "{many}");
    let iterations = many["steps"][1]["iterations"].as_array().unwrap();
    assert_eq!(iterations.len(), found.len());
    for (i, (iteration, user)) in iterations.iter().zip(&found).enumerate() {
        assert_eq!(iteration["index"], i);
        assert_eq!(iteration["status"], "succeeded");
        assert_eq!(
            iteration["steps"][0]["output"]["gid"], user["gid"],
            "{iteration}"
        );
    }
    assert_eq!(many["output"]["count"], found.len());
    for user in &found {
        let path = format!("/api/1.0/users/{}", user["gid"].as_str().unwrap());
        assert!(
            fake.count("GET", &path) >= 2,
            "searched, then read in the loop: {path}"
        );
    }
    let secrets = [seed::PAT, seed::SERVICE_ACCOUNT_TOKEN];
    let (_, stored) = host.get(&format!("/flows/{flow}/runs")).await;
    for s in secrets {
        assert!(!stored.to_string().contains(s));
    }
    let run_id = many["id"].as_str().unwrap();
    let (_, kept) = host.get(&format!("/flows/{flow}/runs/{run_id}")).await;
    assert_eq!(kept["steps"], many["steps"]);
    assert_eq!(kept["output"], many["output"]);
}

#[tokio::test]
async fn a_list_over_the_cap_fails_the_loop_before_any_iteration() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("team", false).await;
    let flow = create_flow(
        &host,
        json!({"name": "Read everyone", "steps": [
            {"id": "all", "card": "asana.list-users", "connection": "team",
             "input": {"workspace": seed::WORKSPACE_GID}},
            {"id": "each_user", "for_each": "$.steps.all.output.users", "max_items": 3,
             "steps": [{"id": "read", "card": "asana.read-user", "connection": "team",
                        "input": {"user": "$.item.gid"}}]},
            {"id": "after", "card": "asana.read-user", "connection": "team", "input": {"user": "me"}}
        ]}),
    )
    .await;
    fake.clear_requests();
    let failed = run(&host, &flow, json!({})).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["error"]["code"], "too_many_items", "{failed}");
    assert_eq!(failed["error"]["field"], "for_each");
    let message = failed["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("holds {} items", seed::WORKSPACE_USER_COUNT))
            && message.contains("at most 3"),
        "{message}"
    );
    assert_eq!(
        failed["steps"].as_array().unwrap().len(),
        2,
        "the flow halted"
    );
    assert_eq!(failed["steps"][1]["iterations"], json!([]));
    let reads = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/api/1.0/users/"))
        .count();
    assert_eq!(reads, 0, "no iteration ran");
}

#[tokio::test]
async fn a_failing_iteration_halts_the_loop_or_is_its_result_with_continue() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("team", false).await;
    let flow_with = |policy: &str| {
        json!({"name": "Read everyone", "steps": [
            {"id": "all", "card": "asana.list-users", "connection": "team",
             "input": {"workspace": seed::WORKSPACE_GID}},
            {"id": "each_user", "for_each": "$.steps.all.output.users", "max_items": 20,
             "on_error": {"policy": policy},
             "steps": [{"id": "read", "card": "asana.read-user", "connection": "team",
                        "input": {"user": "$.item.gid"}}]}
        ], "output": {"second": "$.steps.each_user.output.results[1]"}})
    };
    let (_, all) = host
        .run(
            "asana.list-users",
            "team",
            json!({"workspace": seed::WORKSPACE_GID}),
        )
        .await;
    let second = all["output"]["users"][1]["gid"]
        .as_str()
        .unwrap()
        .to_string();

    let halting = create_flow(&host, flow_with("halt")).await;
    fake.inject(Fault::status(&format!("/api/1.0/users/{second}"), 500, 1));
    let halted = run(&host, &halting, json!({})).await;
    assert_eq!(halted["status"], "failed", "{halted}");
    let iterations = halted["steps"][1]["iterations"].as_array().unwrap();
    assert_eq!(iterations.len(), 2, "it stopped at the failing iteration");
    assert_eq!(iterations[1]["status"], "failed");
    assert_eq!(iterations[1]["steps"][0]["status"], "failed");
    assert!(
        halted["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("iteration 1:"),
        "{halted}"
    );
    assert!(halted.get("output").is_none(), "a failed run has no output");

    let going_on = create_flow(&host, flow_with("continue")).await;
    fake.inject(Fault::status(&format!("/api/1.0/users/{second}"), 500, 1));
    let went_on = run(&host, &going_on, json!({})).await;
    assert_eq!(went_on["status"], "succeeded", "{went_on}");
    let loop_run = &went_on["steps"][1];
    assert_eq!(loop_run["status"], "continued");
    let iterations = loop_run["iterations"].as_array().unwrap();
    assert_eq!(iterations.len(), seed::WORKSPACE_USER_COUNT);
    assert_eq!(iterations[1]["status"], "continued");
    assert_eq!(iterations[2]["status"], "succeeded");
    assert_eq!(
        went_on["output"]["second"]["error"]["code"], "provider_error",
        "{went_on}"
    );
}

#[tokio::test]
async fn if_steps_take_each_branch_and_the_history_shows_which() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("team", false).await;
    let flow = create_flow(
        &host,
        json!({"name": "Welcome or report", "steps": [
            {"id": "find", "card": "asana.search-user", "connection": "team",
             "input": {"query": "$.input.q", "workspace": seed::WORKSPACE_GID}},
            {"id": "found", "if": {"all": [
                {"exists": "$.steps.find.output.users[0].gid"},
                {"contains": ["$.steps.find.output.users[0].email", "@example.com"]}]},
             "then": [
                {"id": "welcome", "card": "asana.create-task", "connection": "team",
                 "input": {"name": "Welcome {{$.steps.find.output.users[0].name}}",
                           "notes": "Due {{date($.input.due, \"%d %B %Y\")}}, for {{upper(default($.input.team, \"everyone\"))}}",
                           "due_on": "{{date($.input.due, \"%Y-%m-%d\")}}",
                           "workspace": seed::WORKSPACE_GID,
                           "assignee": "$.steps.find.output.users[0].gid"}}
             ],
             "else": [
                {"id": "report", "card": "asana.create-task", "connection": "team",
                 "input": {"name": "Nobody found for {{$.input.q}}", "workspace": seed::WORKSPACE_GID}}
             ]},
            {"id": "big", "if": {"greater": ["$.steps.find.output.count", "many"]}, "then": []}
        ], "output": {"searched": "$.input.q", "found": "$.steps.find.output.count"}}),
    )
    .await;

    let then = run(
        &host,
        &flow,
        json!({"q": seed::GRACE_HOPPER_EMAIL, "due": "2026-12-24T10:00:00Z"}),
    )
    .await;
    assert_eq!(then["status"], "succeeded", "{then}");
    let branch = &then["steps"][1];
    assert_eq!(branch["kind"], "if");
    assert_eq!(branch["branch"], "then");
    assert_eq!(branch["status"], "succeeded");
    assert_eq!(branch["steps"].as_array().unwrap().len(), 1);
    assert_eq!(branch["steps"][0]["id"], "welcome");
    assert!(
        branch.get("card").is_none() && branch.get("calls").is_none(),
        "{branch}"
    );
    let tasks = fake.tasks();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["name"], "Welcome Grace Hopper");
    assert_eq!(tasks[0]["notes"], "Due 24 December 2026, for EVERYONE");
    assert_eq!(tasks[0]["due_on"], "2026-12-24");
    assert_eq!(tasks[0]["assignee"]["gid"], seed::GRACE_HOPPER_GID);
    assert_eq!(
        then["output"],
        json!({"searched": seed::GRACE_HOPPER_EMAIL, "found": 1})
    );
    let big = &then["steps"][2];
    assert_eq!(big["branch"], "else");
    assert_eq!(big["steps"], json!([]));
    assert!(
        big["notes"][0]
            .as_str()
            .unwrap()
            .contains("cannot be compared"),
        "{big}"
    );

    let other = run(
        &host,
        &flow,
        json!({"q": "nobody@example.com", "due": "2026-12-24"}),
    )
    .await;
    assert_eq!(other["status"], "succeeded", "{other}");
    assert_eq!(other["steps"][1]["branch"], "else");
    assert_eq!(other["steps"][1]["steps"][0]["id"], "report");
    assert!(fake
        .tasks()
        .iter()
        .any(|t| t["name"] == "Nobody found for nobody@example.com"));
    let run_id = other["id"].as_str().unwrap();
    let (_, kept) = host.get(&format!("/flows/{flow}/runs/{run_id}")).await;
    assert_eq!(
        kept["steps"], other["steps"],
        "the history shows the path taken"
    );
}

#[tokio::test]
async fn save_refuses_references_that_do_not_fit_and_checks_nested_steps() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("team", false).await;
    let find = json!({"id": "find", "card": "asana.search-user", "connection": "team",
                      "input": {"query": "$.input.q"}});
    let read = |id: &str, user: &str| json!({"id": id, "card": "asana.read-user", "connection": "team", "input": {"user": user}});
    let each = |steps: Value| json!({"id": "each_user", "for_each": "$.steps.find.output.users", "steps": steps});
    let when = |then: Value| json!({"id": "when", "if": {"exists": "$.input.x"}, "then": then});
    let cases: Vec<(Value, Value, &str, &str)> = vec![
        (
            json!([find, read("a", "$.steps.find.output.users[0].gidd")]),
            json!({}),
            "steps[1].input.user",
            "$.steps.find.output.users[0].gidd: card asana.search-user's output has no field \"gidd\" at users[0]",
        ),
        (
            json!([find, read("a", "$.steps.find.output.count.x")]),
            json!({}),
            "steps[1].input.user",
            "has no field \"x\" at count: it is an integer",
        ),
        (
            json!([find, each(json!([read("a", "$.item.gidd")]))]),
            json!({}),
            "steps[1].steps[0].input.user",
            "an item of $.steps.find.output.users has no field \"gidd\"",
        ),
        (
            json!([find, when(json!([{"id": "b", "card": "asana.nope", "connection": "team"}]))]),
            json!({}),
            "steps[1].then[0].card",
            "no card \"asana.nope\"",
        ),
        (
            json!([find, when(json!([read("b", "me")])), read("c", "$.steps.b.output.gid")]),
            json!({}),
            "steps[2].input.user",
            "in the then branch of if step \"when\"",
        ),
        (
            json!([find, each(json!([read("b", "$.item.gid")])), read("c", "$.steps.b.output.gid")]),
            json!({}),
            "steps[2].input.user",
            "inside loop \"each_user\": outside the loop, use $.steps.each_user.output.results[i].b",
        ),
        (
            json!([find, each(json!([read("b", "$.item.gid")])), read("c", "$.steps.each_user.output.results[0].b.gidd")]),
            json!({}),
            "steps[2].input.user",
            "loop each_user's output has no field \"gidd\" at results[0].b",
        ),
        (
            json!([read("a", "$.item.gid")]),
            json!({}),
            "steps[0].input.user",
            "only defined inside a for_each loop",
        ),
        (
            json!([read("a", "$.event.user.gid")]),
            json!({}),
            "steps[0].input.user",
            "not started by an event",
        ),
        (
            json!([read("a", "{{lower($.input.u}}")]),
            json!({}),
            "steps[0].input.user",
            "at character 18",
        ),
        (
            json!([find, when(json!([read("find", "me")]))]),
            json!({}),
            "steps[1].then[0].id",
            "two steps are called \"find\"",
        ),
        (
            json!([find, {"id": "each_user", "for_each": "$.steps.find.output.users", "max_items": 5000, "steps": []}]),
            json!({}),
            "steps[1].max_items",
            "between 1 and 1000",
        ),
        (
            json!([find, {"id": "each_user", "for_each": "$.steps.find.output.count", "steps": []}]),
            json!({}),
            "steps[1].for_each",
            "$.steps.find.output.count is not a list: it is an integer",
        ),
        (
            json!([find, {"id": "w", "if": {"equals": ["$.steps.find.output.userz", 1]}, "then": []}]),
            json!({}),
            "steps[1].if.equals[0]",
            "has no field \"userz\"",
        ),
        (
            json!([find, when(json!([read("b", "me")]))]),
            json!({"who": "$.steps.b.output.gid"}),
            "output.who",
            "in the then branch of if step \"when\"",
        ),
    ];
    for (steps, output, field, message) in cases {
        let (status, body) = host
            .post(
                "/flows",
                json!({"name": "f", "steps": steps, "output": output}),
            )
            .await;
        assert_eq!(status, 422, "{steps} -> {body}");
        assert_eq!(body["error"]["field"], field, "{body}");
        let got = body["error"]["message"].as_str().unwrap();
        assert!(got.contains(message), "{field}: {got}");
    }
    let (status, body) = host
        .post(
            "/flows",
            json!({"name": "f", "steps": [find, when(json!([{"id": "b", "card": 5, "connection": "team"}]))]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "steps[1].then[0].card", "{body}");
    let (_, list) = host.get("/flows").await;
    assert_eq!(list["data"], json!([]), "nothing was stored");

    let fine = json!([
        find,
        each(json!([read("b", "$.item.gid"),
                    {"id": "known", "if": {"equals": ["$.steps.b.output.email", "$.item.email"]},
                     "then": [read("c", "$.steps.b.output.gid")]}])),
        read("d", "$.steps.each_user.output.results[0].b.gid")
    ]);
    let (status, body) = host
        .post("/flows", json!({"name": "fine", "steps": fine,
                               "output": {"n": "$.steps.each_user.output.count", "c": "$.steps.each_user.output.results[0].c.email"}}))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["connections"].as_array().unwrap().len(),
        4,
        "one per card step"
    );
}
