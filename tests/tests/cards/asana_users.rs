//! The user and team cards against the fake Asana: list-users,
//! search-teams, add-user-to-team, remove-user-from-team (REST), and
//! create-user, update-user, deactivate-user (SCIM with the service account
//! token). For each: success, validation errors naming the field before any
//! request, a 404 naming the input, a 403 for a missing scope, and paging
//! past one page for the lists.

use cardhost_tests::fake_asana::{seed, FakeAsana, Fault};
use serde_json::{json, Value};

use crate::common::Host;

/// A fake, a host and a token connection of Ada's (with the service account
/// token when `service_account`); the fake's requests cleared.
async fn setup(service_account: bool) -> (FakeAsana, Host, String) {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("ada", service_account).await;
    fake.clear_requests();
    (fake, host, conn)
}

/// An OAuth connection granted only `scopes`, consent approved at the fake.
async fn scoped_connection(host: &Host, scopes: &[&str]) -> String {
    scoped_connection_with(host, scopes, json!({})).await
}

/// [`scoped_connection`] with `extra` fields in its creation body.
async fn scoped_connection_with(host: &Host, scopes: &[&str], extra: Value) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (status, created) = host
        .post("/connections", {
            let mut body =
                json!({"connector": "asana", "nickname": format!("scoped-{n}"), "scopes": scopes});
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            body
        })
        .await;
    assert_eq!(status, 201, "{created}");
    let url = created["authorize_url"].as_str().unwrap();
    let callback = host.approve(url).await;
    let r = host.client.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    created["connection"]["id"].as_str().unwrap().to_string()
}

/// A run refused for the scope it lacks, before any request.
async fn assert_missing_scope(
    fake: &FakeAsana,
    host: &Host,
    card: &str,
    input: Value,
    scope: &str,
) {
    let conn = scoped_connection(host, &["tasks:write"]).await;
    fake.clear_requests();
    let (status, body) = host.run(card, &conn, input).await;
    assert_eq!(status, 403, "{card}: {body}");
    assert_eq!(body["error"]["code"], "missing_scopes", "{card}: {body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(scope), "{card}: {message}");
    assert!(fake.requests().is_empty(), "{card}: {:?}", fake.requests());
}

fn gids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item["gid"].as_str().unwrap())
        .collect()
}

// --- list-users ------------------------------------------------------------

#[tokio::test]
async fn list_users_pages_through_the_default_workspace() {
    let (fake, host, conn) = setup(false).await;
    let (status, body) = host
        .run("asana.list-users", &conn, json!({"page_size": 2}))
        .await;
    assert_eq!(status, 200, "{body}");
    let out = &body["output"];
    let users = gids(&out["users"]);
    assert!(users.len() > 2, "{out}");
    assert_eq!(out["count"], users.len());
    assert_eq!(out["more"], false);
    assert!(users.contains(&seed::ME_GID) && users.contains(&seed::GRACE_HOPPER_GID));
    assert!(
        !users.contains(&seed::CHARLES_BABBAGE_GID),
        "deactivated users are not listed"
    );
    let ada = out["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["gid"] == seed::ME_GID)
        .unwrap();
    assert_eq!(ada["email"], seed::ME_EMAIL);
    assert_eq!(ada["name"], seed::ME_NAME);
    let pages: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/1.0/users")
        .collect();
    assert_eq!(pages.len(), users.len().div_ceil(2), "one request a page");
    assert_eq!(pages[0].query_param("workspace"), Some(seed::WORKSPACE_GID));
    assert_eq!(pages[0].query_param("limit"), Some("2"));
    assert!(pages[1].query_param("offset").is_some());
}

#[tokio::test]
async fn list_users_stops_at_the_limit_and_says_there_is_more() {
    let (_fake, host, conn) = setup(false).await;
    let (status, body) = host
        .run(
            "asana.list-users",
            &conn,
            json!({"workspace": seed::WORKSPACE_GID, "limit": 3, "page_size": 2}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["count"], 3);
    assert_eq!(body["output"]["more"], true);
    let (status, body) = host
        .run(
            "asana.list-users",
            &conn,
            json!({"page_size": 1, "max_pages": 2}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["output"]["count"].clone(),
            body["output"]["more"].clone()
        ),
        (json!(2), json!(true))
    );
}

#[tokio::test]
async fn list_users_refuses_bad_input_a_missing_workspace_and_a_missing_scope() {
    let (fake, host, conn) = setup(false).await;
    crate::refused_before_any_request(
        &fake,
        &host,
        &conn,
        "asana.list-users",
        &[
            (json!({"limit": 0}), "limit"),
            (json!({"limit": 1001}), "limit"),
            (json!({"page_size": 101}), "page_size"),
            (json!({"max_pages": 0}), "max_pages"),
            (json!({"team": "a/b"}), "team"),
            (json!({"role": "admin"}), "role"),
        ],
    )
    .await;
    fake.inject(Fault::status("/api/1.0/users", 404, 1));
    let (status, body) = host
        .run(
            "asana.list-users",
            &conn,
            json!({"workspace": "1299999999999999"}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(body["error"]["field"], "workspace");
    assert_missing_scope(&fake, &host, "asana.list-users", json!({}), "users:read").await;
}

#[tokio::test]
async fn list_users_of_a_team() {
    let (fake, host, conn) = setup(false).await;
    let (status, body) = host
        .run(
            "asana.list-users",
            &conn,
            json!({"team": seed::TEAM_GID, "page_size": 4}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut listed = gids(&body["output"]["users"]);
    listed.sort();
    let mut members = fake.team_members(seed::TEAM_GID);
    members.sort();
    assert_eq!(listed, members);
    assert!(listed.contains(&seed::OFFBOARD_USER_GID));
    let first = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/api/1.0/users")
        .unwrap();
    assert_eq!(first.query_param("team"), Some(seed::TEAM_GID));
    assert_eq!(first.query_param("workspace"), None, "only the team");
}

// --- search-teams ----------------------------------------------------------

#[tokio::test]
async fn search_teams_finds_names_containing_the_query_across_pages() {
    let (fake, host, conn) = setup(false).await;
    let (status, body) = host
        .run(
            "asana.search-teams",
            &conn,
            json!({"query": "ENGINEERING", "page_size": 1}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let out = &body["output"];
    assert_eq!(gids(&out["teams"]), [seed::TEAM_GID, seed::OPS_TEAM_GID]);
    assert_eq!(out["teams"][0]["name"], seed::TEAM_NAME);
    assert!(out["teams"][0]["permalink_url"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    assert_eq!(
        (out["count"].clone(), out["more"].clone()),
        (json!(2), json!(false))
    );
    let pages: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == format!("/api/1.0/workspaces/{}/teams", seed::WORKSPACE_GID))
        .collect();
    assert!(
        pages.len() >= 4,
        "every team on its own page: {}",
        pages.len()
    );
    assert_eq!(pages[0].query_param("limit"), Some("1"));
    let (status, body) = host
        .run(
            "asana.search-teams",
            &conn,
            json!({"query": "engineering", "limit": 1, "workspace": seed::WORKSPACE_GID}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(gids(&body["output"]["teams"]), [seed::TEAM_GID]);
    assert_eq!(body["output"]["more"], true);
    let (status, body) = host
        .run("asana.search-teams", &conn, json!({"query": "finance"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["output"],
        json!({"teams": [], "count": 0, "more": false})
    );
}

#[tokio::test]
async fn search_teams_refuses_bad_input_an_unknown_workspace_and_a_missing_scope() {
    let (fake, host, conn) = setup(false).await;
    crate::refused_before_any_request(
        &fake,
        &host,
        &conn,
        "asana.search-teams",
        &[
            (json!({}), "query"),
            (json!({"query": " "}), "query"),
            (json!({"query": "x", "workspace": "1/2"}), "workspace"),
            (json!({"query": "x", "page_size": 0}), "page_size"),
            (json!({"query": "x", "limit": 5000}), "limit"),
            (json!({"query": "x", "max_pages": 101}), "max_pages"),
        ],
    )
    .await;
    let (status, body) = host
        .run(
            "asana.search-teams",
            &conn,
            json!({"query": "x", "workspace": "1299999999999999"}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["field"], "workspace");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("1299999999999999"));
    assert_missing_scope(
        &fake,
        &host,
        "asana.search-teams",
        json!({"query": "x"}),
        "teams:read",
    )
    .await;
}

// --- add-user-to-team and remove-user-from-team ----------------------------

#[tokio::test]
async fn add_then_remove_a_user_by_email_gid_or_me() {
    let (fake, host, conn) = setup(false).await;
    // Ada is in Engineering and Marketing: members may change a team.
    assert!(!fake
        .team_members(seed::TEAM_GID)
        .contains(&seed::GRACE_KELLY_GID.to_string()));
    let (status, body) = host
        .run(
            "asana.add-user-to-team",
            &conn,
            json!({"team": seed::TEAM_GID, "user": seed::GRACE_KELLY_EMAIL}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let out = &body["output"];
    assert_eq!(out["user"]["gid"], seed::GRACE_KELLY_GID);
    assert_eq!(out["user"]["name"], "Grace Kelly");
    assert_eq!(
        out["team"],
        json!({"gid": seed::TEAM_GID, "name": seed::TEAM_NAME})
    );
    assert_eq!(
        (out["is_admin"].clone(), out["is_guest"].clone()),
        (json!(false), json!(false))
    );
    assert!(!out["gid"].as_str().unwrap().is_empty());
    assert!(fake
        .team_members(seed::TEAM_GID)
        .contains(&seed::GRACE_KELLY_GID.to_string()));
    let sent = fake
        .requests()
        .into_iter()
        .find(|r| r.path == format!("/api/1.0/teams/{}/addUser", seed::TEAM_GID))
        .unwrap();
    assert_eq!(
        sent.json().unwrap(),
        json!({"data": {"user": seed::GRACE_KELLY_EMAIL}})
    );

    let (status, body) = host
        .run(
            "asana.remove-user-from-team",
            &conn,
            json!({"team": seed::TEAM_GID, "user": seed::GRACE_KELLY_GID}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["output"],
        json!({"team": seed::TEAM_GID, "user": seed::GRACE_KELLY_GID, "removed": true})
    );
    assert!(!fake
        .team_members(seed::TEAM_GID)
        .contains(&seed::GRACE_KELLY_GID.to_string()));

    let (status, body) = host
        .run(
            "asana.remove-user-from-team",
            &conn,
            json!({"team": seed::MARKETING_TEAM_GID, "user": "me"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(!fake
        .team_members(seed::MARKETING_TEAM_GID)
        .contains(&seed::ME_GID.to_string()));
}

#[tokio::test]
async fn team_membership_changes_refuse_bad_input_unknown_teams_and_granular_connections() {
    let (fake, host, conn) = setup(false).await;
    for card in ["asana.add-user-to-team", "asana.remove-user-from-team"] {
        crate::refused_before_any_request(
            &fake,
            &host,
            &conn,
            card,
            &[
                (json!({"user": "me"}), "team"),
                (json!({"team": "../users", "user": "me"}), "team"),
                (json!({"team": seed::TEAM_GID}), "user"),
                (json!({"team": seed::TEAM_GID, "user": "Grace"}), "user"),
                (
                    json!({"team": seed::TEAM_GID, "user": "me", "admin": true}),
                    "admin",
                ),
            ],
        )
        .await;
        let (status, body) = host
            .run(
                card,
                &conn,
                json!({"team": "1299999999999999", "user": "me"}),
            )
            .await;
        assert_eq!(status, 404, "{card}: {body}");
        assert_eq!(body["error"]["code"], "not_found", "{card}: {body}");
        assert_eq!(body["error"]["field"], "team", "{card}: {body}");
        // Asana lists no granular scope for these: a granular connection
        // lacks Full permissions and is refused before any request.
        assert_missing_scope(
            &fake,
            &host,
            card,
            json!({"team": seed::TEAM_GID, "user": "me"}),
            "default",
        )
        .await;
    }
    // Only members of a team may change it: Ada is not in Design.
    let (status, body) = host
        .run(
            "asana.add-user-to-team",
            &conn,
            json!({"team": seed::DESIGN_TEAM_GID, "user": "me"}),
        )
        .await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "provider_forbidden", "{body}");
    // An unknown user is Asana's 400 naming `user`.
    let (status, body) = host
        .run(
            "asana.add-user-to-team",
            &conn,
            json!({"team": seed::TEAM_GID, "user": "nobody@example.com"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "user", "{body}");
}

// --- create-user, update-user, deactivate-user (SCIM) ----------------------

/// The SCIM requests the fake received, as `(method, path)`.
fn scim_requests(fake: &FakeAsana) -> Vec<(String, String)> {
    fake.requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/1.0/scim/"))
        .map(|r| (r.method, r.path))
        .collect()
}

#[tokio::test]
async fn create_then_update_a_user_with_the_service_account_token() {
    let (fake, host, conn) = setup(true).await;
    let email = "barbara.mcclintock@example.com";
    let (status, body) = host
        .run(
            "asana.create-user",
            &conn,
            json!({"email": email, "given_name": "Barbara", "family_name": "McClintock",
                   "title": "Geneticist", "department": "Research"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let out = &body["output"];
    let id = out["id"].as_str().unwrap().to_string();
    assert!(!id.is_empty());
    assert_eq!(
        (
            &out["email"],
            &out["name"],
            &out["title"],
            &out["department"],
            &out["active"]
        ),
        (
            &json!(email),
            &json!("Barbara McClintock"),
            &json!("Geneticist"),
            &json!("Research"),
            &json!(true)
        )
    );
    let created = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(created.path, "/api/1.0/scim/Users");
    assert_eq!(
        created.header("authorization"),
        Some(format!("Bearer {}", seed::SERVICE_ACCOUNT_TOKEN).as_str()),
        "SCIM takes the service account token"
    );
    assert_eq!(fake.scim_user(email).unwrap()["id"], id.as_str());

    // By email, then by SCIM id.
    fake.clear_requests();
    let (status, body) = host
        .run(
            "asana.update-user",
            &conn,
            json!({"email": email, "name": "Barbara McClintock (Nobel)", "title": "Nobel laureate"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["name"], "Barbara McClintock (Nobel)");
    assert_eq!(body["output"]["title"], "Nobel laureate");
    assert_eq!(body["output"]["department"], "Research");
    assert_eq!(
        scim_requests(&fake),
        [
            ("GET".to_string(), "/api/1.0/scim/Users".to_string()),
            ("PATCH".to_string(), format!("/api/1.0/scim/Users/{id}"))
        ]
    );
    let (status, body) = host
        .run(
            "asana.update-user",
            &conn,
            json!({"id": id, "department": "Cytogenetics"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let user = fake.scim_user(email).unwrap();
    assert_eq!(user["name"]["formatted"], "Barbara McClintock (Nobel)");
    assert_eq!(
        user["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
        "Cytogenetics"
    );
}

#[tokio::test]
async fn create_user_refuses_an_existing_user_bad_input_and_a_connection_without_a_service_account()
{
    let (fake, host, conn) = setup(true).await;
    let (status, body) = host
        .run(
            "asana.create-user",
            &conn,
            json!({"email": seed::GRACE_HOPPER_EMAIL}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "email");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("already exists") && message.contains("409"),
        "{message}"
    );
    crate::refused_before_any_request(
        &fake,
        &host,
        &conn,
        "asana.create-user",
        &[
            (json!({}), "email"),
            (json!({"email": "not-an-email"}), "email"),
            (json!({"email": "x@example.com", "name": " "}), "name"),
            (
                json!({"email": "x@example.com", "given_name": ""}),
                "given_name",
            ),
            (
                json!({"email": "x@example.com", "department": ""}),
                "department",
            ),
            (json!({"email": "x@example.com", "manager": "1"}), "manager"),
        ],
    )
    .await;
    let plain = host.token_connection("no-sa", false).await;
    fake.clear_requests();
    let (status, body) = host
        .run(
            "asana.create-user",
            &plain,
            json!({"email": "x@example.com"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "connection");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("service account token"));
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    // SCIM needs no OAuth scope: a granular connection with the service
    // account token creates users.
    let granular = scoped_connection_with(
        &host,
        &["tasks:write"],
        json!({"service_account_token": seed::SERVICE_ACCOUNT_TOKEN}),
    )
    .await;
    let (status, body) = host
        .run(
            "asana.create-user",
            &granular,
            json!({"email": "x@example.com"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn update_user_refuses_unknown_users_and_bad_input() {
    let (fake, host, conn) = setup(true).await;
    let (status, body) = host
        .run(
            "asana.update-user",
            &conn,
            json!({"email": "nobody@example.com", "title": "x"}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["field"], "email");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("nobody@example.com"));
    let (status, body) = host
        .run(
            "asana.update-user",
            &conn,
            json!({"id": "1299999999999999", "title": "x"}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["field"], "id");
    crate::refused_before_any_request(
        &fake,
        &host,
        &conn,
        "asana.update-user",
        &[
            (json!({"title": "x"}), "email"),
            (json!({"email": seed::GRACE_KELLY_EMAIL}), "name"),
            (json!({"email": "grace", "title": "x"}), "email"),
            (json!({"email": seed::GRACE_KELLY_EMAIL, "id": seed::GRACE_KELLY_GID, "title": "x"}), "id"),
            (json!({"id": "../Groups", "title": "x"}), "id"),
            (json!({"email": seed::GRACE_KELLY_EMAIL, "family_name": "Grimaldi"}), "family_name"),
        ],
    )
    .await;
    let plain = host.token_connection("no-sa", false).await;
    let (status, body) = host
        .run(
            "asana.update-user",
            &plain,
            json!({"id": seed::GRACE_KELLY_GID, "title": "x"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (400, json!("connection")),
        "{body}"
    );
}

#[tokio::test]
async fn deactivate_user_by_email_or_gid_and_says_it_cannot_be_undone() {
    let (fake, host, conn) = setup(true).await;
    let (status, body) = host
        .run(
            "asana.deactivate-user",
            &conn,
            json!({"email": seed::OFFBOARD_USER_EMAIL}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let out = &body["output"];
    assert_eq!(out["id"], seed::OFFBOARD_USER_GID);
    assert_eq!(
        (out["active"].clone(), out["already_deactivated"].clone()),
        (json!(false), json!(false))
    );
    assert!(
        out["note"].as_str().unwrap().contains("cannot be undone"),
        "{out}"
    );
    assert_eq!(fake.user_active(seed::OFFBOARD_USER_GID), Some(false));
    let patch = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH")
        .unwrap();
    assert_eq!(
        patch.path,
        format!("/api/1.0/scim/Users/{}", seed::OFFBOARD_USER_GID)
    );
    assert_eq!(
        patch.json().unwrap()["Operations"],
        json!([{"op": "replace", "path": "active", "value": false}])
    );

    fake.clear_requests();
    let (status, body) = host
        .run(
            "asana.deactivate-user",
            &conn,
            json!({"gid": seed::KATHERINE_JOHNSON_GID}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["email"], seed::KATHERINE_JOHNSON_EMAIL);
    assert_eq!(fake.user_active(seed::KATHERINE_JOHNSON_GID), Some(false));
    let first = &fake.requests()[0];
    assert_eq!(
        first.path,
        format!("/api/1.0/users/{}", seed::KATHERINE_JOHNSON_GID)
    );
    assert_eq!(first.query_param("opt_fields"), Some("email"));
    assert_eq!(
        first.header("authorization"),
        Some(format!("Bearer {}", seed::PAT).as_str())
    );

    // Already deactivated: nothing is sent to change.
    fake.clear_requests();
    let (status, body) = host
        .run(
            "asana.deactivate-user",
            &conn,
            json!({"email": seed::CHARLES_BABBAGE_EMAIL}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["already_deactivated"], true);
    assert!(!scim_requests(&fake).iter().any(|(m, _)| m == "PATCH"));
}

#[tokio::test]
async fn deactivate_user_refuses_unknown_users_bad_input_and_missing_scopes() {
    let (fake, host, conn) = setup(true).await;
    for (input, field) in [
        (json!({"email": "nobody@example.com"}), "email"),
        (json!({"gid": "1299999999999999"}), "gid"),
    ] {
        let (status, body) = host
            .run("asana.deactivate-user", &conn, input.clone())
            .await;
        assert_eq!(status, 404, "{input}: {body}");
        assert_eq!(body["error"]["code"], "not_found", "{body}");
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    crate::refused_before_any_request(
        &fake,
        &host,
        &conn,
        "asana.deactivate-user",
        &[
            (json!({}), "email"),
            (json!({"email": "ada"}), "email"),
            (json!({"gid": "me"}), "gid"),
            (json!({"email": seed::ME_EMAIL, "gid": seed::ME_GID}), "gid"),
            (
                json!({"email": seed::ME_EMAIL, "transfer_to": "me"}),
                "transfer_to",
            ),
        ],
    )
    .await;
    let plain = host.token_connection("no-sa", false).await;
    fake.clear_requests();
    let (status, body) = host
        .run(
            "asana.deactivate-user",
            &plain,
            json!({"email": seed::GRACE_KELLY_EMAIL}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (400, json!("connection")),
        "{body}"
    );
    assert!(fake.requests().is_empty());
    // `users:read` (for a gid's email) is missing: refused before any request.
    let granular = scoped_connection_with(
        &host,
        &["tasks:write"],
        json!({"service_account_token": seed::SERVICE_ACCOUNT_TOKEN}),
    )
    .await;
    fake.clear_requests();
    let (status, body) = host
        .run(
            "asana.deactivate-user",
            &granular,
            json!({"email": seed::GRACE_KELLY_EMAIL}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "missing_scopes");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("users:read"));
    assert!(fake.requests().is_empty());
    assert_eq!(fake.user_active(seed::GRACE_KELLY_GID), Some(true));
}
