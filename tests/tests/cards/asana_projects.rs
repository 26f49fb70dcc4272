//! The Asana project cards against the fake Asana: create, read, update and
//! search projects, read a project's tasks page by page, add and remove
//! project members; each validation error before any provider call, the
//! not-found errors naming the input, and the scopes each card needs.

use std::collections::HashMap;

use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::{json, Value};

use crate::common::Host;

/// Every card of this module, with an input that passes its validation.
fn cards() -> Vec<(&'static str, Value)> {
    vec![
        (
            "asana.create-project",
            json!({"name": "Roadmap", "workspace": seed::WORKSPACE_GID}),
        ),
        ("asana.read-project", json!({"project": seed::PROJECT_GID})),
        (
            "asana.update-project",
            json!({"project": seed::PROJECT_GID, "notes": "x"}),
        ),
        (
            "asana.search-projects",
            json!({"query": "launch", "workspace": seed::WORKSPACE_GID}),
        ),
        (
            "asana.read-project-tasks",
            json!({"project": seed::PROJECT_GID}),
        ),
        (
            "asana.create-membership",
            json!({"project": seed::PROJECT_GID, "member": seed::GRACE_HOPPER_GID}),
        ),
        (
            "asana.delete-membership",
            json!({"project": seed::PROJECT_GID, "member": seed::GRACE_HOPPER_GID}),
        ),
    ]
}

async fn setup() -> (FakeAsana, Host, String) {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("ada", false).await;
    fake.clear_requests();
    (fake, host, conn)
}

/// An OAuth connection granted only `scopes` (consent approved at the fake).
async fn oauth_with_scopes(host: &Host, scopes: &[&str]) -> String {
    let (status, created) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": scopes.join(" "), "scopes": scopes}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let url = created["authorize_url"].as_str().unwrap();
    let asked: HashMap<_, _> = url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(asked["scope"], scopes.join(" "));
    let callback = host.approve(url).await;
    let r = host.client.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    created["connection"]["id"].as_str().unwrap().to_string()
}

/// Runs `card` expecting a 400 naming `field`.
async fn refused(host: &Host, conn: &str, card: &str, input: Value, field: &str) {
    let (status, body) = host.run(card, conn, input.clone()).await;
    assert_eq!(status, 400, "{card} {input} -> {body}");
    assert_eq!(
        body["error"]["code"], "invalid_input",
        "{card} {input}: {body}"
    );
    assert_eq!(
        body["error"]["field"].as_str(),
        Some(field),
        "{card} {input}: {body}"
    );
}

#[tokio::test]
async fn each_card_declares_the_scopes_of_its_operations() {
    let (_fake, host, _) = setup().await;
    let expected: [(&str, &[&str]); 7] = [
        ("asana.create-project", &["projects:write"]),
        ("asana.read-project", &["projects:read", "teams:read"]),
        ("asana.update-project", &["projects:write"]),
        ("asana.search-projects", &["projects:read"]),
        ("asana.read-project-tasks", &["tasks:read"]),
        ("asana.create-membership", &["default"]),
        ("asana.delete-membership", &["default"]),
    ];
    let asana = host.connector("asana");
    for (card, scopes) in expected {
        let (status, body) = host.get(&format!("/cards/{card}")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["scopes"], json!(scopes), "{card}");
        for scope in scopes {
            assert!(
                asana.known_scopes.iter().any(|known| known == scope),
                "{card}: {scope} is not one of Asana's scopes"
            );
        }
    }
}

#[tokio::test]
async fn a_connection_without_a_cards_scope_is_refused_before_any_call() {
    let (fake, host, _) = setup().await;
    let conn = oauth_with_scopes(&host, &["users:read"]).await;
    fake.clear_requests();
    for (card, input) in cards() {
        let (status, body) = host.run(card, &conn, input).await;
        assert_eq!(status, 403, "{card}: {body}");
        assert_eq!(body["error"]["code"], "missing_scopes", "{card}: {body}");
        assert_eq!(body["error"]["field"], "connection", "{card}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        let (_, card_body) = host.get(&format!("/cards/{card}")).await;
        for scope in card_body["scopes"].as_array().unwrap() {
            assert!(
                message.contains(scope.as_str().unwrap()),
                "{card}: {message}"
            );
        }
        if card.contains("membership") {
            assert!(message.contains("full access"), "{card}: {message}");
        }
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

#[tokio::test]
async fn validation_errors_name_the_field_and_send_nothing() {
    let (fake, host, conn) = setup().await;
    let ws = seed::WORKSPACE_GID;
    let project = seed::PROJECT_GID;
    let cases = [
        (
            "asana.create-project",
            json!({"name": " ", "workspace": ws}),
            "name",
        ),
        ("asana.create-project", json!({"workspace": ws}), "name"),
        (
            "asana.create-project",
            json!({"name": "x", "color": "red"}),
            "color",
        ),
        (
            "asana.create-project",
            json!({"name": "x", "default_view": "gantt"}),
            "default_view",
        ),
        (
            "asana.create-project",
            json!({"name": "x", "privacy_setting": "secret"}),
            "privacy_setting",
        ),
        (
            "asana.create-project",
            json!({"name": "x", "due_on": "2027-02-30"}),
            "due_on",
        ),
        (
            "asana.create-project",
            json!({"name": "x", "start_on": "2027-02-01"}),
            "start_on",
        ),
        (
            "asana.create-project",
            json!({"name": "x", "start_on": "2027-03-01", "due_on": "2027-02-01"}),
            "start_on",
        ),
        (
            "asana.create-project",
            json!({"name": "x", "public": true}),
            "public",
        ),
        ("asana.read-project", json!({}), "project"),
        (
            "asana.read-project",
            json!({"project": "1/tasks"}),
            "project",
        ),
        (
            "asana.update-project",
            json!({"project": project}),
            "project",
        ),
        ("asana.update-project", json!({"name": "x"}), "project"),
        (
            "asana.update-project",
            json!({"project": project, "name": ""}),
            "name",
        ),
        (
            "asana.update-project",
            json!({"project": project, "color": "teal"}),
            "color",
        ),
        (
            "asana.update-project",
            json!({"project": project, "due_on": "soon"}),
            "due_on",
        ),
        (
            "asana.update-project",
            json!({"project": project, "start_on": "2027-01-01"}),
            "start_on",
        ),
        ("asana.search-projects", json!({"query": ""}), "query"),
        (
            "asana.search-projects",
            json!({"query": "a", "limit": 0}),
            "limit",
        ),
        (
            "asana.search-projects",
            json!({"query": "a", "limit": 1001}),
            "limit",
        ),
        (
            "asana.search-projects",
            json!({"query": "a", "page_size": 101}),
            "page_size",
        ),
        (
            "asana.search-projects",
            json!({"query": "a", "max_pages": 0}),
            "max_pages",
        ),
        (
            "asana.search-projects",
            json!({"query": "a", "team": "a/b"}),
            "team",
        ),
        ("asana.read-project-tasks", json!({}), "project"),
        (
            "asana.read-project-tasks",
            json!({"project": project, "completed_since": "last week"}),
            "completed_since",
        ),
        (
            "asana.read-project-tasks",
            json!({"project": project, "limit": 1001}),
            "limit",
        ),
        (
            "asana.read-project-tasks",
            json!({"project": project, "page_size": 0}),
            "page_size",
        ),
        (
            "asana.read-project-tasks",
            json!({"project": project, "max_pages": 101}),
            "max_pages",
        ),
        (
            "asana.create-membership",
            json!({"project": project}),
            "member",
        ),
        (
            "asana.create-membership",
            json!({"project": "Launch", "member": "1"}),
            "project",
        ),
        (
            "asana.create-membership",
            json!({"project": project, "member": seed::ME_EMAIL}),
            "member",
        ),
        (
            "asana.create-membership",
            json!({"project": project, "member": "1", "access_level": "owner"}),
            "access_level",
        ),
        ("asana.delete-membership", json!({}), "project"),
        (
            "asana.delete-membership",
            json!({"project": project}),
            "member",
        ),
        (
            "asana.delete-membership",
            json!({"membership": "1", "project": project}),
            "membership",
        ),
        (
            "asana.delete-membership",
            json!({"membership": "x"}),
            "membership",
        ),
    ];
    for (card, input, field) in cases {
        refused(&host, &conn, card, input, field).await;
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

/// The JSON body of the first request with this method and path.
fn sent(fake: &FakeAsana, method: &str, path: &str) -> Value {
    let req = fake
        .requests()
        .into_iter()
        .find(|r| r.method == method && r.path == path)
        .unwrap_or_else(|| panic!("{method} {path}"));
    req.json().expect("JSON body")["data"].clone()
}

/// The requests made with this method and path.
fn calls(
    fake: &FakeAsana,
    method: &str,
    path: &str,
) -> Vec<cardhost_tests::fake_asana::RecordedRequest> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method == method && r.path == path)
        .collect()
}

/// Runs `card` expecting a 200; its output.
async fn output(host: &Host, conn: &str, card: &str, input: Value) -> Value {
    let (status, body) = host.run(card, conn, input.clone()).await;
    assert_eq!(status, 200, "{card} {input} -> {body}");
    body["output"].clone()
}

/// Runs `card` expecting a 404 naming `field`.
async fn not_found(host: &Host, conn: &str, card: &str, input: Value, field: &str) {
    let (status, body) = host.run(card, conn, input.clone()).await;
    assert_eq!(status, 404, "{card} {input} -> {body}");
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    assert_eq!(body["error"]["field"], field, "{card} {input}: {body}");
}

const UNKNOWN_GID: &str = "1200000000009999";

fn gids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p["gid"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn create_project_in_a_team_of_an_organization() {
    let (fake, host, conn) = setup().await;
    let out = output(
        &host,
        &conn,
        "asana.create-project",
        json!({"name": " Q3 Roadmap ", "team": seed::TEAM_GID, "notes": "What ships in Q3",
               "color": "dark-blue", "default_view": "board", "due_on": "2027-09-30",
               "start_on": "2027-07-01", "privacy_setting": "private"}),
    )
    .await;
    let data = sent(&fake, "POST", "/api/1.0/projects");
    assert_eq!(
        data,
        json!({"name": "Q3 Roadmap", "workspace": seed::WORKSPACE_GID, "team": seed::TEAM_GID,
               "notes": "What ships in Q3", "color": "dark-blue", "default_view": "board",
               "due_on": "2027-09-30", "start_on": "2027-07-01", "privacy_setting": "private"})
    );
    assert!(!out["gid"].as_str().unwrap().is_empty());
    assert_eq!(out["name"], "Q3 Roadmap");
    assert_eq!(
        out["team"],
        json!({"gid": seed::TEAM_GID, "name": seed::TEAM_NAME})
    );
    assert_eq!(
        out["workspace"],
        json!({"gid": seed::WORKSPACE_GID, "name": seed::WORKSPACE_NAME})
    );
    assert_eq!(out["owner"]["gid"], seed::ME_GID);
    assert_eq!(out["members"][0]["gid"], seed::ME_GID);
    for (field, value) in [
        ("color", "dark-blue"),
        ("default_view", "board"),
        ("due_on", "2027-09-30"),
        ("start_on", "2027-07-01"),
        ("privacy_setting", "private"),
        ("notes", "What ships in Q3"),
    ] {
        assert_eq!(out[field], value, "{field}");
    }
    assert_eq!(out["archived"], false);
    let url = out["permalink_url"].as_str().unwrap();
    assert!(url.starts_with("https://") && url.ends_with(out["gid"].as_str().unwrap()));
}

#[tokio::test]
async fn create_project_asks_for_a_team_in_an_organization_only() {
    let (fake, host, conn) = setup().await;
    for (input, field) in [
        (json!({"name": "No team"}), "team"),
        (json!({"name": "Bad team", "team": UNKNOWN_GID}), "team"),
        (
            json!({"name": "Not mine", "workspace": seed::THIRD_WORKSPACE_GID}),
            "workspace",
        ),
    ] {
        let (status, body) = host.run("asana.create-project", &conn, input.clone()).await;
        assert_eq!(status, 400, "{input} -> {body}");
        assert_eq!(body["error"]["field"], field, "{input}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(field),
            "{body}"
        );
    }
    let out = output(
        &host,
        &conn,
        "asana.create-project",
        json!({"name": "Herbs", "workspace": seed::SECOND_WORKSPACE_GID}),
    )
    .await;
    assert_eq!(out["team"], Value::Null);
    assert_eq!(out["workspace"]["gid"], seed::SECOND_WORKSPACE_GID);
    assert_eq!(calls(&fake, "POST", "/api/1.0/projects").len(), 4);
}

#[tokio::test]
async fn read_project_with_owner_team_and_members() {
    let (fake, host, conn) = setup().await;
    let out = output(
        &host,
        &conn,
        "asana.read-project",
        json!({"project": seed::ROADMAP_PROJECT_GID}),
    )
    .await;
    assert_eq!(out["name"], seed::ROADMAP_PROJECT_NAME);
    assert_eq!(
        out["owner"],
        json!({"gid": seed::MANAGER_GID, "name": seed::MANAGER_NAME})
    );
    assert_eq!(out["team"]["name"], seed::TEAM_NAME);
    assert_eq!(gids(&out["members"]), [seed::MANAGER_GID, seed::ME_GID]);
    assert_eq!(out["archived"], false);
    assert_eq!(out["current_status_update"], Value::Null);
    assert!(out["created_at"].is_string() && out["permalink_url"].is_string());
    let req = &calls(
        &fake,
        "GET",
        &format!("/api/1.0/projects/{}", seed::ROADMAP_PROJECT_GID),
    )[0];
    assert!(req.query_param("opt_fields").unwrap().contains("team.name"));
    let archived = output(
        &host,
        &conn,
        "asana.read-project",
        json!({"project": seed::ARCHIVED_PROJECT_GID}),
    )
    .await;
    assert_eq!(archived["archived"], true);
    not_found(
        &host,
        &conn,
        "asana.read-project",
        json!({"project": UNKNOWN_GID}),
        "project",
    )
    .await;
}

#[tokio::test]
async fn update_project_sends_only_the_fields_given() {
    let (fake, host, conn) = setup().await;
    let out = output(
        &host,
        &conn,
        "asana.update-project",
        json!({"project": seed::ROADMAP_PROJECT_GID, "name": "Platform Roadmap 2027",
               "color": "light-green", "due_on": "2027-12-31", "start_on": "2027-01-04",
               "owner": seed::ME_GID}),
    )
    .await;
    let path = format!("/api/1.0/projects/{}", seed::ROADMAP_PROJECT_GID);
    assert_eq!(
        sent(&fake, "PUT", &path),
        json!({"name": "Platform Roadmap 2027", "color": "light-green", "due_on": "2027-12-31",
               "start_on": "2027-01-04", "owner": seed::ME_GID})
    );
    assert_eq!(out["name"], "Platform Roadmap 2027");
    assert_eq!(out["color"], "light-green");
    assert_eq!(
        (&out["start_on"], &out["due_on"]),
        (&json!("2027-01-04"), &json!("2027-12-31"))
    );
    assert_eq!(out["owner"]["gid"], seed::ME_GID);
    assert_eq!(out["notes"], "What the platform team ships this year.");
    let out = output(
        &host,
        &conn,
        "asana.update-project",
        json!({"project": seed::ROADMAP_PROJECT_GID, "archived": true}),
    )
    .await;
    assert_eq!(out["archived"], true);
    assert_eq!(out["name"], "Platform Roadmap 2027");
    not_found(
        &host,
        &conn,
        "asana.update-project",
        json!({"project": UNKNOWN_GID, "archived": true}),
        "project",
    )
    .await;
    let (status, body) = host
        .run(
            "asana.update-project",
            &conn,
            json!({"project": seed::ROADMAP_PROJECT_GID, "owner": seed::HEDY_LAMARR_GID}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "owner", "{body}");
}

#[tokio::test]
async fn search_projects_pages_through_a_workspace_and_a_team() {
    let (fake, host, conn) = setup().await;
    // Acme's six projects, two a page: "Incident Review", "Website Refresh"
    // and the archived "Legacy Migration" have an "i" in their name.
    let out = output(
        &host,
        &conn,
        "asana.search-projects",
        json!({"query": "I", "page_size": 2}),
    )
    .await;
    assert_eq!(
        gids(&out["projects"]),
        [
            seed::INCIDENT_PROJECT_GID,
            seed::MARKETING_PROJECT_GID,
            seed::ARCHIVED_PROJECT_GID
        ]
    );
    assert_eq!(out["more"], false);
    assert_eq!(out["projects"][0]["name"], "Incident Review");
    assert!(out["projects"][0]["permalink_url"].is_string());
    let pages = calls(&fake, "GET", "/api/1.0/projects");
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[0].query_param("workspace"), Some(seed::WORKSPACE_GID));
    assert_eq!(pages[0].query_param("limit"), Some("2"));
    assert!(pages[0].query_param("offset").is_none());
    assert!(pages[1].query_param("offset").is_some());
    fake.clear_requests();
    let out = output(
        &host,
        &conn,
        "asana.search-projects",
        json!({"query": "i", "archived": false, "page_size": 2}),
    )
    .await;
    assert_eq!(
        gids(&out["projects"]),
        [seed::INCIDENT_PROJECT_GID, seed::MARKETING_PROJECT_GID]
    );
    assert_eq!(
        calls(&fake, "GET", "/api/1.0/projects")[0].query_param("archived"),
        Some("false")
    );
    fake.clear_requests();
    let out = output(
        &host,
        &conn,
        "asana.search-projects",
        json!({"query": "i", "team": seed::TEAM_GID, "limit": 1, "page_size": 2}),
    )
    .await;
    assert_eq!(gids(&out["projects"]), [seed::INCIDENT_PROJECT_GID]);
    assert_eq!(out["more"], true);
    let team_path = format!("/api/1.0/teams/{}/projects", seed::TEAM_GID);
    assert_eq!(calls(&fake, "GET", &team_path).len(), 2);
    let out = output(
        &host,
        &conn,
        "asana.search-projects",
        json!({"query": "i", "max_pages": 1, "page_size": 2}),
    )
    .await;
    assert_eq!(
        (out["projects"].as_array().unwrap().len(), &out["more"]),
        (0, &json!(true))
    );
    not_found(
        &host,
        &conn,
        "asana.search-projects",
        json!({"query": "i", "team": UNKNOWN_GID}),
        "team",
    )
    .await;
}

#[tokio::test]
async fn read_project_tasks_page_by_page() {
    let (fake, host, conn) = setup().await;
    let project = seed::ROADMAP_PROJECT_GID;
    let out = output(
        &host,
        &conn,
        "asana.read-project-tasks",
        json!({"project": project, "page_size": 3}),
    )
    .await;
    assert_eq!(
        out["tasks"].as_array().unwrap().len(),
        seed::ROADMAP_TASK_COUNT
    );
    assert_eq!(out["more"], false);
    let path = format!("/api/1.0/projects/{project}/tasks");
    let pages = calls(&fake, "GET", &path);
    assert_eq!(pages.len(), 3);
    assert!(pages.iter().all(|p| p.query_param("limit") == Some("3")));
    let first = &out["tasks"][0];
    assert_eq!(first["gid"], seed::OFFBOARD_TASK_GID);
    assert_eq!(first["name"], "Design API gateway");
    assert_eq!(first["assignee"]["gid"], seed::OFFBOARD_USER_GID);
    assert_eq!(first["due_on"], "2024-04-15");
    assert_eq!(first["completed"], false);
    assert!(first["permalink_url"].is_string());
    let open = output(
        &host,
        &conn,
        "asana.read-project-tasks",
        json!({"project": project, "completed_since": "now"}),
    )
    .await;
    assert!(open["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["completed"] == false));
    assert_eq!(open["tasks"].as_array().unwrap().len(), 6);
    let some = output(
        &host,
        &conn,
        "asana.read-project-tasks",
        json!({"project": project, "limit": 5, "page_size": 2}),
    )
    .await;
    assert_eq!(
        (some["tasks"].as_array().unwrap().len(), &some["more"]),
        (5, &json!(true))
    );
    not_found(
        &host,
        &conn,
        "asana.read-project-tasks",
        json!({"project": UNKNOWN_GID}),
        "project",
    )
    .await;
}

#[tokio::test]
async fn a_team_and_a_user_join_a_project_and_leave_it() {
    let (fake, host, conn) = setup().await;
    let project = seed::ROADMAP_PROJECT_GID;
    let team = output(
        &host,
        &conn,
        "asana.create-membership",
        json!({"project": project, "member": seed::DESIGN_TEAM_GID, "access_level": "commenter"}),
    )
    .await;
    assert_eq!(
        sent(&fake, "POST", "/api/1.0/memberships"),
        json!({"parent": project, "member": seed::DESIGN_TEAM_GID, "access_level": "commenter"})
    );
    assert_eq!(team["parent"]["gid"], project);
    assert_eq!(team["member"]["gid"], seed::DESIGN_TEAM_GID);
    assert_eq!(team["member"]["resource_type"], "team");
    assert_eq!(team["access_level"], "commenter");
    let user = output(
        &host,
        &conn,
        "asana.create-membership",
        json!({"project": project, "member": seed::GRACE_KELLY_GID}),
    )
    .await;
    assert_eq!(user["member"]["resource_type"], "user");
    assert_eq!(user["access_level"], "editor");
    let read = output(
        &host,
        &conn,
        "asana.read-project",
        json!({"project": project}),
    )
    .await;
    assert!(gids(&read["members"]).contains(&seed::GRACE_KELLY_GID));

    // The team by project and member, the user by membership gid.
    fake.clear_requests();
    let gone = output(
        &host,
        &conn,
        "asana.delete-membership",
        json!({"project": project, "member": seed::DESIGN_TEAM_GID}),
    )
    .await;
    assert_eq!(gone["membership"], team["gid"]);
    let lookup = &calls(&fake, "GET", "/api/1.0/memberships")[0];
    assert_eq!(lookup.query_param("parent"), Some(project));
    assert_eq!(lookup.query_param("member"), Some(seed::DESIGN_TEAM_GID));
    let path = format!("/api/1.0/memberships/{}", team["gid"].as_str().unwrap());
    assert_eq!(calls(&fake, "DELETE", &path).len(), 1);
    let gone = output(
        &host,
        &conn,
        "asana.delete-membership",
        json!({"membership": user["gid"]}),
    )
    .await;
    assert_eq!(gone["membership"], user["gid"]);
    let read = output(
        &host,
        &conn,
        "asana.read-project",
        json!({"project": project}),
    )
    .await;
    assert!(!gids(&read["members"]).contains(&seed::GRACE_KELLY_GID));

    not_found(
        &host,
        &conn,
        "asana.delete-membership",
        json!({"membership": user["gid"]}),
        "membership",
    )
    .await;
    not_found(
        &host,
        &conn,
        "asana.delete-membership",
        json!({"project": project, "member": seed::DESIGN_TEAM_GID}),
        "member",
    )
    .await;
    for card in ["asana.create-membership", "asana.delete-membership"] {
        let (status, body) = host
            .run(
                card,
                &conn,
                json!({"project": UNKNOWN_GID, "member": seed::GRACE_KELLY_GID}),
            )
            .await;
        assert_eq!(status, 400, "{card}: {body}");
        assert_eq!(body["error"]["field"], "project", "{card}: {body}");
    }
}

#[tokio::test]
async fn connections_granted_the_cards_scopes_run_them() {
    let (_fake, host, _) = setup().await;
    let granular = oauth_with_scopes(
        &host,
        &[
            "projects:read",
            "projects:write",
            "teams:read",
            "tasks:read",
        ],
    )
    .await;
    let project = seed::ROADMAP_PROJECT_GID;
    for (card, input) in [
        ("asana.read-project", json!({"project": project})),
        (
            "asana.update-project",
            json!({"project": project, "notes": "n"}),
        ),
        (
            "asana.search-projects",
            json!({"query": "road", "workspace": seed::WORKSPACE_GID}),
        ),
        ("asana.read-project-tasks", json!({"project": project})),
        (
            "asana.create-project",
            json!({"name": "Scoped", "workspace": seed::WORKSPACE_GID, "team": seed::TEAM_GID}),
        ),
    ] {
        output(&host, &granular, card, input).await;
    }
    let (status, body) = host
        .run(
            "asana.create-membership",
            &granular,
            json!({"project": project, "member": seed::GRACE_KELLY_GID}),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (403, &json!("missing_scopes")),
        "{body}"
    );
    let full = oauth_with_scopes(&host, &["default"]).await;
    let added = output(
        &host,
        &full,
        "asana.create-membership",
        json!({"project": project, "member": seed::GRACE_KELLY_GID}),
    )
    .await;
    output(
        &host,
        &full,
        "asana.delete-membership",
        json!({"membership": added["gid"]}),
    )
    .await;
}
