//! The data every fake starts with, and the constants tests refer to.
//!
//! Three workspaces: "Acme Corp" (an organization on `example.com`, where the
//! service account and SCIM live; **premium**, so task search works there),
//! "Personal Projects" and "Globex Labs" (which Ada is not in; both
//! **not premium**: task search answers 402 in them). Twelve people: Ada
//! Lovelace (the authenticated user of [`PAT`] and of the consent page),
//! Grace Hopper and Grace Kelly (names sharing a prefix), Alan Turing,
//! Katherine Johnson, Dorothy Vaughan (engineering manager), Edsger Dijkstra
//! (the one to offboard), Barbara Liskov, John Backus, Margaret Hamilton (only
//! in Personal Projects, which Ada shares), Hedy Lamarr (only in Globex Labs)
//! and Charles Babbage (deactivated). Grace Hopper and Alan Turing have
//! secondary email addresses that differ from their primary one. Nine of
//! them are listed people of Acme Corp.
//!
//! Acme Corp has four teams: "Engineering" and "Engineering Ops" (a name
//! search for "engineering" finds both), "Marketing" and "Design". Projects:
//! "Launch Plan" (Engineering, the custom fields), "Platform Roadmap" (8
//! tasks, 3 sections), "Incident Review", an archived "Legacy Migration"
//! (all Engineering), "Ops Runbooks" (Engineering Ops), "Website Refresh"
//! (Marketing) and "Garden" (Personal Projects). Edsger has 5 open and 2
//! completed tasks across three projects.
//!
//! Two OAuth apps: [`CLIENT_ID`], registered with Full permissions, and
//! [`GRANULAR_CLIENT_ID`], registered with the granular [`GRANULAR_SCOPES`].

use super::model::{
    CustomField, CustomFieldKind, EnumOption, MemberKind, Project, ProjectMembership, Section,
    Store, Story, Tag, Task, Team, TeamMembership, User, UserTaskList, Workspace,
};
use serde_json::json;

/// "Acme Corp", an organization.
pub const WORKSPACE_GID: &str = "1200000000000001";
/// Name of [`WORKSPACE_GID`].
pub const WORKSPACE_NAME: &str = "Acme Corp";
/// "Personal Projects", a plain workspace.
pub const SECOND_WORKSPACE_GID: &str = "1200000000000002";
/// Name of [`SECOND_WORKSPACE_GID`].
pub const SECOND_WORKSPACE_NAME: &str = "Personal Projects";
/// "Globex Labs", a plain workspace Ada is not in.
pub const THIRD_WORKSPACE_GID: &str = "1200000000000003";

/// Ada Lovelace, the user behind [`PAT`] and the consent page.
pub const ME_GID: &str = "1200000000000101";
/// Ada's name.
pub const ME_NAME: &str = "Ada Lovelace";
/// Ada's email.
pub const ME_EMAIL: &str = "ada@example.com";
/// Grace Hopper, in both workspaces, with a secondary email.
pub const GRACE_HOPPER_GID: &str = "1200000000000102";
/// Grace Hopper's primary email.
pub const GRACE_HOPPER_EMAIL: &str = "grace.hopper@example.com";
/// Grace Hopper's secondary email (SCIM only).
pub const GRACE_HOPPER_SECONDARY_EMAIL: &str = "amazing.grace@navy.example.org";
/// Grace Kelly, in Acme Corp, without a photo.
pub const GRACE_KELLY_GID: &str = "1200000000000103";
/// Grace Kelly's email.
pub const GRACE_KELLY_EMAIL: &str = "grace.kelly@example.com";
/// Alan Turing, in Acme Corp, with a secondary email.
pub const ALAN_TURING_GID: &str = "1200000000000104";
/// Alan Turing's primary email.
pub const ALAN_TURING_EMAIL: &str = "alan.turing@example.com";
/// Alan Turing's secondary email (SCIM only).
pub const ALAN_TURING_SECONDARY_EMAIL: &str = "alan@bletchley.example.org";
/// Katherine Johnson, in Acme Corp.
pub const KATHERINE_JOHNSON_GID: &str = "1200000000000105";
/// Katherine Johnson's email.
pub const KATHERINE_JOHNSON_EMAIL: &str = "katherine.johnson@example.com";
/// Margaret Hamilton, only in Personal Projects: Ada can see her, but she is
/// not a user of Acme Corp.
pub const MARGARET_HAMILTON_GID: &str = "1200000000000106";
/// Margaret Hamilton's email.
pub const MARGARET_HAMILTON_EMAIL: &str = "margaret.hamilton@example.org";
/// Charles Babbage, deactivated in Acme Corp (SCIM `active: false`).
pub const CHARLES_BABBAGE_GID: &str = "1200000000000107";
/// Charles Babbage's email.
pub const CHARLES_BABBAGE_EMAIL: &str = "charles.babbage@example.com";
/// Hedy Lamarr, only in Globex Labs: no workspace in common with Ada.
pub const HEDY_LAMARR_GID: &str = "1200000000000108";
/// Hedy Lamarr's email.
pub const HEDY_LAMARR_EMAIL: &str = "hedy.lamarr@globex.example.net";
/// The service account of Acme Corp.
pub const SERVICE_ACCOUNT_GID: &str = "1200000000000190";
/// Dorothy Vaughan, "Engineering Manager" in Acme Corp: admin of
/// Engineering and Engineering Ops, Edsger's manager (SCIM `manager`).
pub const MANAGER_GID: &str = "1200000000000109";
/// Dorothy Vaughan's name.
pub const MANAGER_NAME: &str = "Dorothy Vaughan";
/// Dorothy Vaughan's email.
pub const MANAGER_EMAIL: &str = "dorothy.vaughan@example.com";
/// Edsger Dijkstra, the person an offboarding flow removes: in Engineering,
/// Engineering Ops and Design, assignee of 5 open tasks
/// ([`OFFBOARD_OPEN_TASK_GIDS`]) and 2 completed ones
/// ([`OFFBOARD_COMPLETED_TASK_GIDS`]) across Platform Roadmap, Incident
/// Review and Ops Runbooks.
pub const OFFBOARD_USER_GID: &str = "1200000000000110";
/// Edsger Dijkstra's name.
pub const OFFBOARD_USER_NAME: &str = "Edsger Dijkstra";
/// Edsger Dijkstra's email.
pub const OFFBOARD_USER_EMAIL: &str = "edsger.dijkstra@example.com";
/// Barbara Liskov, admin of Marketing.
pub const BARBARA_LISKOV_GID: &str = "1200000000000111";
/// Barbara Liskov's email.
pub const BARBARA_LISKOV_EMAIL: &str = "barbara.liskov@example.com";
/// John Backus, admin of Design.
pub const JOHN_BACKUS_GID: &str = "1200000000000112";
/// John Backus's email.
pub const JOHN_BACKUS_EMAIL: &str = "john.backus@example.com";
/// How many people `GET /users?workspace=` lists in Acme Corp.
pub const WORKSPACE_USER_COUNT: usize = 9;

/// "Engineering", a public team of Acme Corp: Dorothy (admin), Ada, Grace
/// Hopper, Alan, Katherine and Edsger.
pub const TEAM_GID: &str = "1200000000000201";
/// Name of [`TEAM_GID`].
pub const TEAM_NAME: &str = "Engineering";
/// "Engineering Ops": Dorothy (admin), Grace Kelly and Edsger.
pub const OPS_TEAM_GID: &str = "1200000000000202";
/// Name of [`OPS_TEAM_GID`].
pub const OPS_TEAM_NAME: &str = "Engineering Ops";
/// "Marketing": Barbara (admin), Ada and Katherine.
pub const MARKETING_TEAM_GID: &str = "1200000000000203";
/// "Design": John (admin), Grace Kelly and Edsger. Ada is not a member.
pub const DESIGN_TEAM_GID: &str = "1200000000000204";
/// Team memberships are numbered from here, in the order of
/// [`TEAM_GID`]'s members, then the other teams'.
pub const FIRST_TEAM_MEMBERSHIP_GID: u64 = 1_200_000_000_000_251;

/// Ada's personal access token (Asana's `2/<user>/<token>:<secret>` shape).
pub const PAT: &str = "2/1200000000000101/1200000000000901:8c3f1e0d6b2a4f7e9d5c1b3a7f0e2d4c";
/// The service account token of Acme Corp: the only token SCIM accepts.
pub const SERVICE_ACCOUNT_TOKEN: &str =
    "2/1200000000000190/1200000000000902:5e7a9c1b3d2f4a6c8e0b1d3f5a7c9e2b";

/// The registered OAuth app's client id.
pub const CLIENT_ID: &str = "1200000000000801";
/// The registered OAuth app's client secret.
pub const CLIENT_SECRET: &str = "fake-asana-secret-7d1c5e9a3b2f4e6a";
/// The registered OAuth app's name, shown on the consent page.
pub const CLIENT_NAME: &str = "Cardhost";
/// The redirect URI registered for [`CLIENT_ID`]. The default client also
/// accepts `http://127.0.0.1:<port>/oauth/callback` and
/// `http://localhost:<port>/oauth/callback` on any port.
pub const REDIRECT_URI: &str = "http://127.0.0.1:8080/oauth/callback";

/// An OAuth app registered with granular scopes ([`GRANULAR_SCOPES`]): it
/// must ask for some of them, and gets `forbidden_scopes` for `default` or
/// any other. It accepts the same redirect URIs as [`CLIENT_ID`].
pub const GRANULAR_CLIENT_ID: &str = "1200000000000802";
/// The granular app's client secret.
pub const GRANULAR_CLIENT_SECRET: &str = "fake-asana-granular-secret-3b9e1f7c5a2d";
/// The granular app's name, shown on the consent page.
pub const GRANULAR_CLIENT_NAME: &str = "Cardhost (granular scopes)";
/// The scopes the granular app is registered with.
pub const GRANULAR_SCOPES: &[&str] = &[
    "openid",
    "email",
    "profile",
    "users:read",
    "workspaces:read",
    "workspaces.typeahead:read",
    "teams:read",
    "team_memberships:read",
    "projects:read",
    "projects:write",
    "projects:delete",
    "tags:read",
    "custom_fields:read",
    "tasks:read",
    "tasks:write",
    "tasks:delete",
    "stories:read",
    "stories:write",
    "webhooks:read",
    "webhooks:write",
    "webhooks:delete",
];

/// "Launch Plan", a project in Acme Corp carrying the custom fields.
pub const PROJECT_GID: &str = "1200000000000301";
/// Name of [`PROJECT_GID`].
pub const PROJECT_NAME: &str = "Launch Plan";
/// "Garden", a project in Personal Projects.
pub const SECOND_PROJECT_GID: &str = "1200000000000302";
/// "Platform Roadmap" (Engineering): 8 tasks (6 open, 2 completed), sections
/// [`ROADMAP_TODO_SECTION_GID`], [`ROADMAP_DOING_SECTION_GID`] and
/// [`ROADMAP_DONE_SECTION_GID`]. Ada and Dorothy are members.
pub const ROADMAP_PROJECT_GID: &str = "1200000000000303";
/// Name of [`ROADMAP_PROJECT_GID`].
pub const ROADMAP_PROJECT_NAME: &str = "Platform Roadmap";
/// How many tasks [`ROADMAP_PROJECT_GID`] has.
pub const ROADMAP_TASK_COUNT: usize = 8;
/// "Incident Review" (Engineering): 3 of Edsger's tasks.
pub const INCIDENT_PROJECT_GID: &str = "1200000000000304";
/// "Ops Runbooks" (Engineering Ops): 1 of Edsger's tasks.
pub const OPS_PROJECT_GID: &str = "1200000000000305";
/// "Website Refresh" (Marketing).
pub const MARKETING_PROJECT_GID: &str = "1200000000000306";
/// "Legacy Migration" (Engineering), archived.
pub const ARCHIVED_PROJECT_GID: &str = "1200000000000307";
/// "To do", first section of [`ROADMAP_PROJECT_GID`].
pub const ROADMAP_TODO_SECTION_GID: &str = "1200000000000354";
/// "Doing", second section of [`ROADMAP_PROJECT_GID`].
pub const ROADMAP_DOING_SECTION_GID: &str = "1200000000000355";
/// "Done", third section of [`ROADMAP_PROJECT_GID`].
pub const ROADMAP_DONE_SECTION_GID: &str = "1200000000000356";
/// "Open", first section of [`INCIDENT_PROJECT_GID`].
pub const INCIDENT_OPEN_SECTION_GID: &str = "1200000000000357";
/// "Closed", second section of [`INCIDENT_PROJECT_GID`].
pub const INCIDENT_CLOSED_SECTION_GID: &str = "1200000000000358";
/// Edsger's open tasks: two in Platform Roadmap, two in Incident Review,
/// one in Ops Runbooks.
pub const OFFBOARD_OPEN_TASK_GIDS: [&str; 5] = [
    "1200000000000402",
    "1200000000000403",
    "1200000000000410",
    "1200000000000411",
    "1200000000000413",
];
/// Edsger's completed tasks (Platform Roadmap and Incident Review).
pub const OFFBOARD_COMPLETED_TASK_GIDS: [&str; 2] = ["1200000000000404", "1200000000000412"];
/// "Design API gateway", Edsger's first open task; it has one comment
/// ([`STORY_GID`], by Dorothy).
pub const OFFBOARD_TASK_GID: &str = "1200000000000402";
/// Dorothy's comment on [`OFFBOARD_TASK_GID`].
pub const STORY_GID: &str = "1200000000000701";
/// Ada's "My Tasks" in Acme Corp (others are made on first request).
pub const ME_USER_TASK_LIST_GID: &str = "1200000000001001";
/// Edsger's "My Tasks" in Acme Corp.
pub const OFFBOARD_USER_TASK_LIST_GID: &str = "1200000000001002";
/// Project memberships are numbered from here.
pub const FIRST_PROJECT_MEMBERSHIP_GID: u64 = 1_200_000_000_000_751;
/// "Backlog", the first section of [`PROJECT_GID`] (where tasks added to the
/// project without a section go).
pub const SECTION_GID: &str = "1200000000000351";
/// "In progress", the second section of [`PROJECT_GID`].
pub const SECOND_SECTION_GID: &str = "1200000000000352";
/// "Untitled section", the only section of [`SECOND_PROJECT_GID`].
pub const SECOND_PROJECT_SECTION_GID: &str = "1200000000000353";
/// "Prepare launch", a task in [`PROJECT_GID`] to create subtasks under.
pub const PARENT_TASK_GID: &str = "1200000000000401";
/// Name of [`PARENT_TASK_GID`].
pub const PARENT_TASK_NAME: &str = "Prepare launch";
/// The tag "urgent" in Acme Corp.
pub const TAG_GID: &str = "1200000000000501";
/// "Priority", an enum custom field on [`PROJECT_GID`].
pub const CUSTOM_FIELD_GID: &str = "1200000000000601";
/// Option "High" of [`CUSTOM_FIELD_GID`].
pub const PRIORITY_HIGH_GID: &str = "1200000000000611";
/// Option "Medium" of [`CUSTOM_FIELD_GID`].
pub const PRIORITY_MEDIUM_GID: &str = "1200000000000612";
/// Option "Low" of [`CUSTOM_FIELD_GID`].
pub const PRIORITY_LOW_GID: &str = "1200000000000613";
/// "Ticket ID", a text custom field on [`PROJECT_GID`].
pub const TEXT_CUSTOM_FIELD_GID: &str = "1200000000000602";
/// "Estimate", a number custom field (precision 1) on [`PROJECT_GID`].
pub const NUMBER_CUSTOM_FIELD_GID: &str = "1200000000000603";
/// "Launch date", a date custom field on [`PROJECT_GID`].
pub const DATE_CUSTOM_FIELD_GID: &str = "1200000000000604";

/// Timestamp of the seeded parent task.
const SEED_CREATED_AT: &str = "2024-01-15T09:30:00.000Z";

fn user(gid: &str, name: &str, email: &str, workspaces: &[&str]) -> User {
    User {
        gid: gid.to_string(),
        name: name.to_string(),
        email: email.to_string(),
        secondary_emails: Vec::new(),
        has_photo: true,
        workspaces: workspaces.iter().map(|w| w.to_string()).collect(),
        active: true,
        title: None,
        service_account: false,
        department: None,
        manager: None,
    }
}

fn project(gid: &str, name: &str, workspace: &str, team: Option<&str>) -> Project {
    Project {
        gid: gid.to_string(),
        name: name.to_string(),
        workspace: workspace.to_string(),
        custom_fields: Vec::new(),
        team: team.map(String::from),
        archived: false,
        owner: None,
        notes: String::new(),
        html_notes: "<body></body>".to_string(),
        color: Some("light-green".to_string()),
        privacy_setting: "public_to_workspace".to_string(),
        default_view: "list".to_string(),
        due_on: None,
        start_on: None,
        followers: Vec::new(),
        created_at: SEED_CREATED_AT.to_string(),
        modified_at: SEED_CREATED_AT.to_string(),
    }
}

fn team(gid: &str, name: &str, description: &str) -> Team {
    Team {
        gid: gid.to_string(),
        name: name.to_string(),
        organization: WORKSPACE_GID.to_string(),
        description: description.to_string(),
        visibility: "public".to_string(),
    }
}

fn section(gid: &str, name: &str, project: &str) -> Section {
    Section {
        gid: gid.to_string(),
        name: name.to_string(),
        project: project.to_string(),
    }
}

fn option(gid: &str, name: &str, color: &str) -> EnumOption {
    EnumOption {
        gid: gid.to_string(),
        name: name.to_string(),
        color: color.to_string(),
    }
}

/// The seeded store.
pub(crate) fn store() -> Store {
    let both = [WORKSPACE_GID, SECOND_WORKSPACE_GID];
    let acme = [WORKSPACE_GID];
    let users = vec![
        User {
            title: Some("Analyst".into()),
            ..user(ME_GID, ME_NAME, ME_EMAIL, &both)
        },
        User {
            secondary_emails: vec![GRACE_HOPPER_SECONDARY_EMAIL.into()],
            title: Some("Rear Admiral".into()),
            ..user(GRACE_HOPPER_GID, "Grace Hopper", GRACE_HOPPER_EMAIL, &both)
        },
        User {
            has_photo: false,
            ..user(GRACE_KELLY_GID, "Grace Kelly", GRACE_KELLY_EMAIL, &acme)
        },
        User {
            secondary_emails: vec![ALAN_TURING_SECONDARY_EMAIL.into()],
            ..user(ALAN_TURING_GID, "Alan Turing", ALAN_TURING_EMAIL, &acme)
        },
        user(
            KATHERINE_JOHNSON_GID,
            "Katherine Johnson",
            KATHERINE_JOHNSON_EMAIL,
            &acme,
        ),
        user(
            MARGARET_HAMILTON_GID,
            "Margaret Hamilton",
            MARGARET_HAMILTON_EMAIL,
            &[SECOND_WORKSPACE_GID],
        ),
        User {
            active: false,
            ..user(
                CHARLES_BABBAGE_GID,
                "Charles Babbage",
                CHARLES_BABBAGE_EMAIL,
                &acme,
            )
        },
        User {
            has_photo: false,
            ..user(
                HEDY_LAMARR_GID,
                "Hedy Lamarr",
                HEDY_LAMARR_EMAIL,
                &[THIRD_WORKSPACE_GID],
            )
        },
        User {
            title: Some("Engineering Manager".into()),
            department: Some("Engineering".into()),
            ..user(MANAGER_GID, MANAGER_NAME, MANAGER_EMAIL, &acme)
        },
        User {
            title: Some("Senior Engineer".into()),
            department: Some("Engineering".into()),
            manager: Some(MANAGER_GID.into()),
            ..user(
                OFFBOARD_USER_GID,
                OFFBOARD_USER_NAME,
                OFFBOARD_USER_EMAIL,
                &acme,
            )
        },
        User {
            title: Some("Head of Marketing".into()),
            department: Some("Marketing".into()),
            ..user(
                BARBARA_LISKOV_GID,
                "Barbara Liskov",
                BARBARA_LISKOV_EMAIL,
                &acme,
            )
        },
        User {
            has_photo: false,
            department: Some("Design".into()),
            ..user(JOHN_BACKUS_GID, "John Backus", JOHN_BACKUS_EMAIL, &acme)
        },
        User {
            has_photo: false,
            service_account: true,
            ..user(
                SERVICE_ACCOUNT_GID,
                "Acme Service Account",
                "service-account@example.com",
                &acme,
            )
        },
    ];
    let teams = vec![
        team(TEAM_GID, TEAM_NAME, "Builds the product."),
        team(OPS_TEAM_GID, OPS_TEAM_NAME, "Keeps the lights on."),
        team(MARKETING_TEAM_GID, "Marketing", "Tells the world."),
        team(DESIGN_TEAM_GID, "Design", "Makes it usable."),
    ];
    // (team, user, is_admin)
    let members: &[(&str, &str, bool)] = &[
        (TEAM_GID, MANAGER_GID, true),
        (TEAM_GID, ME_GID, false),
        (TEAM_GID, GRACE_HOPPER_GID, false),
        (TEAM_GID, ALAN_TURING_GID, false),
        (TEAM_GID, KATHERINE_JOHNSON_GID, false),
        (TEAM_GID, OFFBOARD_USER_GID, false),
        (OPS_TEAM_GID, MANAGER_GID, true),
        (OPS_TEAM_GID, GRACE_KELLY_GID, false),
        (OPS_TEAM_GID, OFFBOARD_USER_GID, false),
        (MARKETING_TEAM_GID, BARBARA_LISKOV_GID, true),
        (MARKETING_TEAM_GID, ME_GID, false),
        (MARKETING_TEAM_GID, KATHERINE_JOHNSON_GID, false),
        (DESIGN_TEAM_GID, JOHN_BACKUS_GID, true),
        (DESIGN_TEAM_GID, GRACE_KELLY_GID, false),
        (DESIGN_TEAM_GID, OFFBOARD_USER_GID, false),
    ];
    let team_memberships = members
        .iter()
        .enumerate()
        .map(|(i, (team, user, is_admin))| TeamMembership {
            gid: (FIRST_TEAM_MEMBERSHIP_GID + i as u64).to_string(),
            team: team.to_string(),
            user: user.to_string(),
            is_admin: *is_admin,
            is_guest: false,
        })
        .collect();
    let projects = vec![
        Project {
            custom_fields: vec![
                CUSTOM_FIELD_GID.into(),
                TEXT_CUSTOM_FIELD_GID.into(),
                NUMBER_CUSTOM_FIELD_GID.into(),
                DATE_CUSTOM_FIELD_GID.into(),
            ],
            owner: Some(ME_GID.into()),
            ..project(PROJECT_GID, PROJECT_NAME, WORKSPACE_GID, Some(TEAM_GID))
        },
        Project {
            team: None,
            owner: Some(ME_GID.into()),
            ..project(SECOND_PROJECT_GID, "Garden", SECOND_WORKSPACE_GID, None)
        },
        Project {
            owner: Some(MANAGER_GID.into()),
            notes: "What the platform team ships this year.".into(),
            html_notes: "<body>What the platform team ships this year.</body>".into(),
            followers: vec![MANAGER_GID.into()],
            ..project(
                ROADMAP_PROJECT_GID,
                ROADMAP_PROJECT_NAME,
                WORKSPACE_GID,
                Some(TEAM_GID),
            )
        },
        Project {
            owner: Some(MANAGER_GID.into()),
            ..project(
                INCIDENT_PROJECT_GID,
                "Incident Review",
                WORKSPACE_GID,
                Some(TEAM_GID),
            )
        },
        project(
            OPS_PROJECT_GID,
            "Ops Runbooks",
            WORKSPACE_GID,
            Some(OPS_TEAM_GID),
        ),
        Project {
            owner: Some(BARBARA_LISKOV_GID.into()),
            ..project(
                MARKETING_PROJECT_GID,
                "Website Refresh",
                WORKSPACE_GID,
                Some(MARKETING_TEAM_GID),
            )
        },
        Project {
            archived: true,
            ..project(
                ARCHIVED_PROJECT_GID,
                "Legacy Migration",
                WORKSPACE_GID,
                Some(TEAM_GID),
            )
        },
    ];
    // (project, member, team?, access level)
    let shares: &[(&str, &str, bool, &str)] = &[
        (PROJECT_GID, ME_GID, false, "admin"),
        (PROJECT_GID, TEAM_GID, true, "editor"),
        (SECOND_PROJECT_GID, ME_GID, false, "admin"),
        (ROADMAP_PROJECT_GID, MANAGER_GID, false, "admin"),
        (ROADMAP_PROJECT_GID, ME_GID, false, "editor"),
        (ROADMAP_PROJECT_GID, TEAM_GID, true, "editor"),
        (INCIDENT_PROJECT_GID, MANAGER_GID, false, "admin"),
        (INCIDENT_PROJECT_GID, OFFBOARD_USER_GID, false, "editor"),
        (INCIDENT_PROJECT_GID, TEAM_GID, true, "editor"),
        (OPS_PROJECT_GID, OFFBOARD_USER_GID, false, "admin"),
        (OPS_PROJECT_GID, OPS_TEAM_GID, true, "editor"),
        (MARKETING_PROJECT_GID, BARBARA_LISKOV_GID, false, "admin"),
        (MARKETING_PROJECT_GID, MARKETING_TEAM_GID, true, "editor"),
        (ARCHIVED_PROJECT_GID, TEAM_GID, true, "editor"),
    ];
    let project_memberships = shares
        .iter()
        .enumerate()
        .map(|(i, (project, member, is_team, level))| ProjectMembership {
            gid: (FIRST_PROJECT_MEMBERSHIP_GID + i as u64).to_string(),
            project: project.to_string(),
            member: member.to_string(),
            kind: if *is_team {
                MemberKind::Team
            } else {
                MemberKind::User
            },
            access_level: level.to_string(),
        })
        .collect();
    let mut store = Store {
        workspaces: vec![
            Workspace {
                gid: WORKSPACE_GID.into(),
                name: WORKSPACE_NAME.into(),
                is_organization: true,
                email_domains: vec!["example.com".into()],
                premium: true,
            },
            Workspace {
                gid: SECOND_WORKSPACE_GID.into(),
                name: SECOND_WORKSPACE_NAME.into(),
                is_organization: false,
                email_domains: Vec::new(),
                premium: false,
            },
            Workspace {
                gid: THIRD_WORKSPACE_GID.into(),
                name: "Globex Labs".into(),
                is_organization: false,
                email_domains: Vec::new(),
                premium: false,
            },
        ],
        users,
        teams,
        team_memberships,
        projects,
        project_memberships,
        sections: vec![
            section(SECTION_GID, "Backlog", PROJECT_GID),
            section(SECOND_SECTION_GID, "In progress", PROJECT_GID),
            section(
                SECOND_PROJECT_SECTION_GID,
                "Untitled section",
                SECOND_PROJECT_GID,
            ),
            section(ROADMAP_TODO_SECTION_GID, "To do", ROADMAP_PROJECT_GID),
            section(ROADMAP_DOING_SECTION_GID, "Doing", ROADMAP_PROJECT_GID),
            section(ROADMAP_DONE_SECTION_GID, "Done", ROADMAP_PROJECT_GID),
            section(INCIDENT_OPEN_SECTION_GID, "Open", INCIDENT_PROJECT_GID),
            section(INCIDENT_CLOSED_SECTION_GID, "Closed", INCIDENT_PROJECT_GID),
            section("1200000000000359", "Untitled section", OPS_PROJECT_GID),
            section(
                "1200000000000360",
                "Untitled section",
                MARKETING_PROJECT_GID,
            ),
            section("1200000000000361", "Untitled section", ARCHIVED_PROJECT_GID),
        ],
        tags: vec![Tag {
            gid: TAG_GID.into(),
            name: "urgent".into(),
            workspace: WORKSPACE_GID.into(),
        }],
        custom_fields: vec![
            CustomField {
                gid: CUSTOM_FIELD_GID.into(),
                name: "Priority".into(),
                workspace: WORKSPACE_GID.into(),
                kind: CustomFieldKind::Enum(vec![
                    option(PRIORITY_HIGH_GID, "High", "red"),
                    option(PRIORITY_MEDIUM_GID, "Medium", "yellow"),
                    option(PRIORITY_LOW_GID, "Low", "green"),
                ]),
            },
            CustomField {
                gid: TEXT_CUSTOM_FIELD_GID.into(),
                name: "Ticket ID".into(),
                workspace: WORKSPACE_GID.into(),
                kind: CustomFieldKind::Text,
            },
            CustomField {
                gid: NUMBER_CUSTOM_FIELD_GID.into(),
                name: "Estimate".into(),
                workspace: WORKSPACE_GID.into(),
                kind: CustomFieldKind::Number { precision: 1 },
            },
            CustomField {
                gid: DATE_CUSTOM_FIELD_GID.into(),
                name: "Launch date".into(),
                workspace: WORKSPACE_GID.into(),
                kind: CustomFieldKind::Date,
            },
        ],
        tasks: Vec::new(),
        stories: Vec::new(),
        user_task_lists: vec![
            UserTaskList {
                gid: ME_USER_TASK_LIST_GID.into(),
                owner: ME_GID.into(),
                workspace: WORKSPACE_GID.into(),
            },
            UserTaskList {
                gid: OFFBOARD_USER_TASK_LIST_GID.into(),
                owner: OFFBOARD_USER_GID.into(),
                workspace: WORKSPACE_GID.into(),
            },
        ],
    };
    let parent = SeedTask {
        notes: "Everything that has to happen before launch day.",
        due_on: Some("2024-03-01"),
        custom_fields: true,
        ..SeedTask::new(
            PARENT_TASK_GID,
            PARENT_TASK_NAME,
            PROJECT_GID,
            SECTION_GID,
            Some(ME_GID),
        )
    };
    let o = OFFBOARD_USER_GID;
    let roadmap = ROADMAP_PROJECT_GID;
    let (todo, doing, done) = (
        ROADMAP_TODO_SECTION_GID,
        ROADMAP_DOING_SECTION_GID,
        ROADMAP_DONE_SECTION_GID,
    );
    let incident = INCIDENT_PROJECT_GID;
    let (open, closed) = (INCIDENT_OPEN_SECTION_GID, INCIDENT_CLOSED_SECTION_GID);
    let done_at = Some("2024-02-10T16:00:00.000Z");
    let seeds = vec![
        parent,
        SeedTask {
            due_on: Some("2024-04-15"),
            ..SeedTask::new(
                "1200000000000402",
                "Design API gateway",
                roadmap,
                todo,
                Some(o),
            )
        },
        SeedTask::new(
            "1200000000000403",
            "Write migration guide",
            roadmap,
            todo,
            Some(o),
        ),
        SeedTask {
            completed_at: done_at,
            ..SeedTask::new(
                "1200000000000404",
                "Benchmark storage engine",
                roadmap,
                done,
                Some(o),
            )
        },
        SeedTask::new(
            "1200000000000405",
            "Set up CI caching",
            roadmap,
            doing,
            Some(ALAN_TURING_GID),
        ),
        SeedTask::new(
            "1200000000000406",
            "Review RFC 12",
            roadmap,
            todo,
            Some(ME_GID),
        ),
        SeedTask {
            completed_at: done_at,
            ..SeedTask::new(
                "1200000000000407",
                "Upgrade TLS library",
                roadmap,
                done,
                Some(KATHERINE_JOHNSON_GID),
            )
        },
        SeedTask::new(
            "1200000000000408",
            "Plan Q3 roadmap",
            roadmap,
            doing,
            Some(MANAGER_GID),
        ),
        SeedTask::new(
            "1200000000000409",
            "Deprecate v1 endpoints",
            roadmap,
            todo,
            None,
        ),
        SeedTask::new(
            "1200000000000410",
            "Postmortem: January outage",
            incident,
            open,
            Some(o),
        ),
        SeedTask::new(
            "1200000000000411",
            "Add alerting for queue depth",
            incident,
            open,
            Some(o),
        ),
        SeedTask {
            completed_at: Some("2024-02-20T11:00:00.000Z"),
            ..SeedTask::new(
                "1200000000000412",
                "Close out incident 42",
                incident,
                closed,
                Some(o),
            )
        },
        SeedTask::new(
            "1200000000000413",
            "Runbook: database failover",
            OPS_PROJECT_GID,
            "1200000000000359",
            Some(o),
        ),
        SeedTask::new(
            "1200000000000414",
            "Draft homepage copy",
            MARKETING_PROJECT_GID,
            "1200000000000360",
            Some(BARBARA_LISKOV_GID),
        ),
    ];
    for seed in seeds {
        let task = seed.build(&store);
        store.tasks.push(task);
    }
    store.stories.push(Story {
        gid: STORY_GID.into(),
        task: OFFBOARD_TASK_GID.into(),
        created_by: MANAGER_GID.into(),
        created_at: "2024-02-01T10:00:00.000Z".into(),
        text: "Please write up the rate limiting part first.".into(),
        html_text: "<body>Please write up the rate limiting part first.</body>".into(),
        is_pinned: false,
        sticker_name: None,
    });
    store
}

/// A seeded task, in one project and section.
struct SeedTask {
    gid: &'static str,
    name: &'static str,
    project: &'static str,
    section: &'static str,
    assignee: Option<&'static str>,
    notes: &'static str,
    due_on: Option<&'static str>,
    completed_at: Option<&'static str>,
    /// Whether the task carries its project's custom fields (unset).
    custom_fields: bool,
}

impl SeedTask {
    fn new(
        gid: &'static str,
        name: &'static str,
        project: &'static str,
        section: &'static str,
        assignee: Option<&'static str>,
    ) -> SeedTask {
        SeedTask {
            gid,
            name,
            project,
            section,
            assignee,
            notes: "",
            due_on: None,
            completed_at: None,
            custom_fields: false,
        }
    }

    /// The full task, rendered from what `store` holds.
    fn build(&self, store: &Store) -> Task {
        let assignee = self.assignee.and_then(|a| store.user(a));
        let assignee_json = assignee
            .map(|u| store.user_json(u, u))
            .unwrap_or(serde_json::Value::Null);
        let project = store.project(self.project);
        let workspace_gid = project
            .map(|p| p.workspace.clone())
            .unwrap_or_else(|| WORKSPACE_GID.to_string());
        let project_json = project.map(|p| store.project_json(p)).unwrap_or_default();
        let section = store
            .section(self.section)
            .map(|s| store.section_json(s))
            .unwrap_or_default();
        let workspace = store
            .workspace(&workspace_gid)
            .map(|w| store.workspace_json(w))
            .unwrap_or_default();
        let custom_fields: Vec<_> = if self.custom_fields {
            project
                .into_iter()
                .flat_map(|p| p.custom_fields.iter())
                .filter_map(|f| store.custom_field(f))
                .map(|f| store.custom_field_json(f))
                .collect()
        } else {
            Vec::new()
        };
        let creator = self.assignee.unwrap_or(ME_GID);
        let completed = self.completed_at.is_some();
        let completed_by = if completed {
            assignee_json.clone()
        } else {
            serde_json::Value::Null
        };
        let followers: Vec<_> = assignee_json
            .is_object()
            .then(|| assignee_json.clone())
            .into_iter()
            .collect();
        let full = json!({
            "gid": self.gid,
            "resource_type": "task",
            "resource_subtype": "default_task",
            "name": self.name,
            "notes": self.notes,
            "html_notes": format!("<body>{}</body>", super::html::escape(self.notes)),
            "assignee": assignee_json,
            "assignee_status": if assignee.is_some() { json!("upcoming") } else { serde_json::Value::Null },
            "completed": completed,
            "completed_at": self.completed_at,
            "created_at": SEED_CREATED_AT,
            "modified_at": self.completed_at.unwrap_or(SEED_CREATED_AT),
            "created_by": { "gid": creator, "resource_type": "user" },
            "due_on": self.due_on,
            "due_at": null,
            "start_on": null,
            "start_at": null,
            "completed_by": completed_by,
            "followers": followers,
            "projects": [project_json],
            "memberships": [{ "project": project_json, "section": section }],
            "tags": [],
            "custom_fields": custom_fields,
            "workspace": workspace,
            "parent": null,
            "num_subtasks": 0,
            "liked": false,
            "num_likes": 0,
            "permalink_url": format!("https://app.asana.com/1/{workspace_gid}/task/{}", self.gid),
        });
        Task {
            gid: self.gid.into(),
            workspace: workspace_gid,
            created: false,
            full,
        }
    }
}
