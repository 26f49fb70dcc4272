//! Teams, team memberships and `GET /users?team=` over real HTTP.

use super::seed::*;
use super::tests::{get, gids, granular_token, message, send, walk};
use super::FakeAsana;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn teams_of_an_organization_are_listed_paged_and_read() {
    let fake = FakeAsana::start().await;
    let path = format!("/workspaces/{WORKSPACE_GID}/teams");
    let (status, body) = get(&fake, PAT, &path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        gids(&body),
        [TEAM_GID, OPS_TEAM_GID, MARKETING_TEAM_GID, DESIGN_TEAM_GID]
    );
    assert_eq!(
        body["data"][0],
        json!({"gid": TEAM_GID, "resource_type": "team", "name": TEAM_NAME})
    );
    assert!(body.get("next_page").is_none());
    let (seen, pages) = walk(&fake, PAT, &format!("{path}?limit=3")).await;
    assert_eq!(seen.len(), 4);
    assert_eq!(pages, 2);
    let (_, body) = get(
        &fake,
        PAT,
        &format!("/workspaces/{SECOND_WORKSPACE_GID}/teams"),
    )
    .await;
    assert_eq!(body["data"], json!([]), "a plain workspace has no teams");
    let (status, body) = get(
        &fake,
        PAT,
        &format!("/workspaces/{THIRD_WORKSPACE_GID}/teams"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        message(&body),
        format!("workspace: Unknown object: {THIRD_WORKSPACE_GID}")
    );

    let (status, body) = get(&fake, PAT, &format!("/teams/{OPS_TEAM_GID}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["name"], OPS_TEAM_NAME);
    assert_eq!(body["data"]["visibility"], "public");
    assert_eq!(
        body["data"]["organization"],
        json!({"gid": WORKSPACE_GID, "resource_type": "workspace", "name": WORKSPACE_NAME})
    );
    let (_, body) = get(
        &fake,
        PAT,
        &format!("/teams/{TEAM_GID}?opt_fields=name,organization.name"),
    )
    .await;
    assert_eq!(
        body["data"],
        json!({"gid": TEAM_GID, "resource_type": "team", "name": TEAM_NAME,
               "organization": {"gid": WORKSPACE_GID, "resource_type": "workspace", "name": WORKSPACE_NAME}})
    );
    let (status, body) = get(&fake, PAT, "/teams/999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message(&body), "team: Unknown object: 999");
}

#[tokio::test]
async fn a_name_search_for_engineering_finds_both_teams() {
    let fake = FakeAsana::start().await;
    let (status, body) = get(
        &fake,
        PAT,
        &format!("/workspaces/{WORKSPACE_GID}/typeahead?resource_type=team&query=engineering"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(gids(&body), [TEAM_GID, OPS_TEAM_GID]);
    assert_eq!(
        body["data"][1],
        json!({"gid": OPS_TEAM_GID, "resource_type": "team", "name": OPS_TEAM_NAME})
    );
}

#[tokio::test]
async fn team_users_come_sorted_by_name_and_users_filter_by_team() {
    let fake = FakeAsana::start().await;
    let (status, body) = get(
        &fake,
        PAT,
        &format!("/teams/{TEAM_GID}/users?opt_fields=name,email"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Ada Lovelace",
            "Alan Turing",
            "Dorothy Vaughan",
            "Edsger Dijkstra",
            "Grace Hopper",
            "Katherine Johnson"
        ]
    );
    assert!(body["data"][0]["email"].is_string());
    assert!(body.get("next_page").is_none());

    let (_, body) = get(&fake, PAT, &format!("/users?team={TEAM_GID}")).await;
    assert_eq!(
        gids(&body),
        [
            ME_GID,
            GRACE_HOPPER_GID,
            ALAN_TURING_GID,
            KATHERINE_JOHNSON_GID,
            MANAGER_GID,
            OFFBOARD_USER_GID
        ],
        "sorted by gid"
    );
    let (seen, pages) = walk(&fake, PAT, &format!("/users?team={TEAM_GID}&limit=2")).await;
    assert_eq!(seen.len(), 6);
    assert_eq!(pages, 3);
    let (status, body) = get(&fake, PAT, "/users?team=42").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "team: Not a recognized ID: 42");

    let (status, body) = get(
        &fake,
        PAT,
        &format!("/users/{OFFBOARD_USER_EMAIL}/teams?organization={WORKSPACE_GID}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(gids(&body), [TEAM_GID, OPS_TEAM_GID, DESIGN_TEAM_GID]);
    let (_, body) = get(
        &fake,
        PAT,
        &format!("/users/me/teams?organization={WORKSPACE_GID}&limit=1"),
    )
    .await;
    assert_eq!(gids(&body), [TEAM_GID]);
    assert!(body["next_page"]["offset"].is_string());
    let (status, body) = get(&fake, PAT, "/users/me/teams").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "organization: Missing input");
    let (status, _) = get(
        &fake,
        PAT,
        &format!("/users/{HEDY_LAMARR_GID}/teams?organization={WORKSPACE_GID}"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn members_add_and_remove_people_and_memberships_follow() {
    let fake = FakeAsana::start().await;
    let add = format!("/teams/{DESIGN_TEAM_GID}/addUser");
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        &add,
        Some(json!({"data": {"user": ME_GID}})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "Ada is not in Design: {body}"
    );
    assert!(body["errors"][0]["help"].is_string());

    let add = format!("/teams/{TEAM_GID}/addUser");
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        &add,
        Some(json!({"data": {"user": BARBARA_LISKOV_EMAIL}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["resource_type"], "team_membership");
    assert_eq!(body["data"]["user"]["gid"], BARBARA_LISKOV_GID);
    assert_eq!(
        body["data"]["team"],
        json!({"gid": TEAM_GID, "resource_type": "team", "name": TEAM_NAME})
    );
    assert_eq!(body["data"]["is_admin"], false);
    assert!(fake
        .team_members(TEAM_GID)
        .contains(&BARBARA_LISKOV_GID.to_string()));
    let (_, again) = send(
        &fake,
        "POST",
        PAT,
        &add,
        Some(json!({"data": {"user": BARBARA_LISKOV_GID}})),
    )
    .await;
    assert_eq!(
        again["data"]["gid"], body["data"]["gid"],
        "adding twice is one membership"
    );

    for (data, text) in [
        (json!({}), "user: Missing input"),
        (
            json!({"user": "nobody@example.com"}),
            "user: Not a recognized ID: nobody@example.com",
        ),
        (
            json!({"user": MARGARET_HAMILTON_GID}),
            "user: Not a recognized ID",
        ),
    ] {
        let (status, body) = send(&fake, "POST", PAT, &add, Some(json!({"data": data}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{data}");
        assert!(message(&body).starts_with(text), "{body}");
    }
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        &add,
        Some(json!({"data": {"user": ME_GID, "role": "admin"}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("data.role: "), "{body}");
    assert_eq!(fake.take_contract_violations().len(), 1);

    let remove = format!("/teams/{TEAM_GID}/removeUser");
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        &remove,
        Some(json!({"data": {"user": OFFBOARD_USER_GID}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"data": {}}));
    assert!(!fake
        .team_members(TEAM_GID)
        .contains(&OFFBOARD_USER_GID.to_string()));
    assert_eq!(
        fake.user_teams(OFFBOARD_USER_GID),
        [OPS_TEAM_GID, DESIGN_TEAM_GID]
    );
    let (status, _) = send(
        &fake,
        "POST",
        PAT,
        "/teams/999/removeUser",
        Some(json!({"data": {"user": ME_GID}})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The service account may change any team.
    let (status, _) = send(
        &fake,
        "POST",
        SERVICE_ACCOUNT_TOKEN,
        &format!("/teams/{DESIGN_TEAM_GID}/removeUser"),
        Some(json!({"data": {"user": OFFBOARD_USER_EMAIL}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fake.user_teams(OFFBOARD_USER_GID), [OPS_TEAM_GID]);
}

#[tokio::test]
async fn team_memberships_by_team_or_by_user_and_workspace() {
    let fake = FakeAsana::start().await;
    let (status, body) = get(
        &fake,
        PAT,
        &format!("/team_memberships?team={OPS_TEAM_GID}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 3);
    assert_eq!(body["data"][0]["user"]["gid"], MANAGER_GID);
    assert_eq!(body["data"][0]["is_admin"], true);
    let (_, body) = get(
        &fake,
        PAT,
        &format!("/team_memberships?user={OFFBOARD_USER_EMAIL}&workspace={WORKSPACE_GID}&opt_fields=team.name"),
    )
    .await;
    let teams: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["team"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(teams, ["Engineering", "Engineering Ops", "Design"]);
    let (status, body) = get(&fake, PAT, "/team_memberships?user=me").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("workspace: "));
    let (status, _) = get(&fake, PAT, "/team_memberships").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (seen, pages) = walk(
        &fake,
        PAT,
        &format!("/teams/{TEAM_GID}/team_memberships?limit=4"),
    )
    .await;
    assert_eq!((seen.len(), pages), (6, 2));
    let (status, body) = get(&fake, PAT, &format!("/team_memberships/{}", seen[0])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["team"]["gid"], TEAM_GID);
}

#[tokio::test]
async fn team_routes_check_scopes_and_unscoped_ones_need_full_permissions() {
    let fake = FakeAsana::start().await;
    let users_only = granular_token(&fake, "users:read").await;
    let (status, body) = get(
        &fake,
        &users_only,
        &format!("/workspaces/{WORKSPACE_GID}/teams"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message(&body).contains("teams:read"), "{body}");
    let (status, _) = get(&fake, &users_only, &format!("/teams/{TEAM_GID}/users")).await;
    assert_eq!(status, StatusCode::OK, "team users need users:read");
    let (status, body) = get(
        &fake,
        &users_only,
        &format!("/team_memberships?team={TEAM_GID}"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message(&body).contains("team_memberships:read"), "{body}");

    let every = granular_token(&fake, &GRANULAR_SCOPES.join(" ")).await;
    let (status, body) = send(
        &fake,
        "POST",
        &every,
        &format!("/teams/{TEAM_GID}/addUser"),
        Some(json!({"data": {"user": JOHN_BACKUS_GID}})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no granular scope covers addUser"
    );
    assert!(message(&body).contains("Full permissions"), "{body}");
    assert!(!fake
        .team_members(TEAM_GID)
        .contains(&JOHN_BACKUS_GID.to_string()));
    let (status, _) = get(&fake, &every, &format!("/teams/{TEAM_GID}")).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = get(&fake, "bogus", &format!("/teams/{TEAM_GID}")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(message(&body), "Not Authorized");
}

#[tokio::test]
async fn a_user_task_list_is_found_per_workspace() {
    let fake = FakeAsana::start().await;
    let (status, body) = get(
        &fake,
        PAT,
        &format!("/users/{OFFBOARD_USER_EMAIL}/user_task_list?workspace={WORKSPACE_GID}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["gid"], OFFBOARD_USER_TASK_LIST_GID);
    assert_eq!(body["data"]["name"], "My Tasks");
    assert_eq!(body["data"]["owner"]["gid"], OFFBOARD_USER_GID);
    assert_eq!(body["data"]["workspace"]["gid"], WORKSPACE_GID);
    let (_, body) = get(
        &fake,
        PAT,
        &format!("/users/me/user_task_list?workspace={WORKSPACE_GID}"),
    )
    .await;
    assert_eq!(body["data"]["gid"], ME_USER_TASK_LIST_GID);
    let (_, first) = get(
        &fake,
        PAT,
        &format!("/users/me/user_task_list?workspace={SECOND_WORKSPACE_GID}"),
    )
    .await;
    let (_, again) = get(
        &fake,
        PAT,
        &format!("/users/me/user_task_list?workspace={SECOND_WORKSPACE_GID}"),
    )
    .await;
    assert!(first["data"]["gid"].is_string());
    assert_eq!(first["data"]["gid"], again["data"]["gid"]);
    let (status, body) = get(&fake, PAT, "/users/me/user_task_list").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "workspace: Missing input");
    let (status, _) = get(
        &fake,
        PAT,
        &format!("/users/{MARGARET_HAMILTON_GID}/user_task_list?workspace={WORKSPACE_GID}"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
