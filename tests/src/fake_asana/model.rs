//! The resources the fake holds (workspaces, users, teams and their
//! memberships, projects with their sections and memberships, tags, custom
//! fields, tasks and their stories, user task lists) and their full JSON
//! forms as Asana renders them.

use serde_json::{json, Value};

/// A workspace or organization.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub gid: String,
    pub name: String,
    pub is_organization: bool,
    pub email_domains: Vec<String>,
    /// Whether the workspace is on a paid tier: task search answers 402
    /// elsewhere.
    pub premium: bool,
}

/// A user account.
#[derive(Debug, Clone)]
pub struct User {
    pub gid: String,
    pub name: String,
    /// Primary email: the SCIM `userName` and the address `/users/{email}` accepts.
    pub email: String,
    /// Further addresses, only visible through SCIM.
    pub secondary_emails: Vec<String>,
    pub has_photo: bool,
    /// Workspaces the account belongs (or, when deactivated, belonged) to.
    pub workspaces: Vec<String>,
    /// False once an admin deactivated the account.
    pub active: bool,
    pub title: Option<String>,
    /// Service accounts act through the API but are not listed as people.
    pub service_account: bool,
    /// SCIM enterprise extension `department` (not visible in the REST API).
    pub department: Option<String>,
    /// SCIM enterprise extension `manager`: the manager's gid (not visible
    /// in the REST API).
    pub manager: Option<String>,
}

impl User {
    /// Whether the account is a live member of the workspace.
    pub fn member_of(&self, workspace: &str) -> bool {
        self.active && self.workspaces.iter().any(|w| w == workspace)
    }

    /// Whether the account shows up in listings and typeahead.
    pub fn listed(&self) -> bool {
        self.active && !self.service_account
    }
}

/// A team of an organization.
#[derive(Debug, Clone)]
pub struct Team {
    pub gid: String,
    pub name: String,
    pub organization: String,
    pub description: String,
    /// `secret`, `request_to_join` or `public`.
    pub visibility: String,
}

/// A user's membership of a team.
#[derive(Debug, Clone)]
pub struct TeamMembership {
    pub gid: String,
    pub team: String,
    pub user: String,
    pub is_admin: bool,
    pub is_guest: bool,
}

/// A project.
#[derive(Debug, Clone)]
pub struct Project {
    pub gid: String,
    pub name: String,
    pub workspace: String,
    /// Custom fields attached to the project, in order.
    pub custom_fields: Vec<String>,
    /// The team it is shared with (organizations only).
    pub team: Option<String>,
    pub archived: bool,
    pub owner: Option<String>,
    pub notes: String,
    pub html_notes: String,
    pub color: Option<String>,
    /// `public_to_workspace`, `private_to_team` or `private`.
    pub privacy_setting: String,
    pub default_view: String,
    pub due_on: Option<String>,
    pub start_on: Option<String>,
    pub followers: Vec<String>,
    pub created_at: String,
    pub modified_at: String,
}

/// Who a project membership is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberKind {
    User,
    Team,
}

/// A user's or a team's membership of a project.
#[derive(Debug, Clone)]
pub struct ProjectMembership {
    pub gid: String,
    pub project: String,
    pub member: String,
    pub kind: MemberKind,
    /// `admin`, `editor`, `commenter` or `viewer`.
    pub access_level: String,
}

/// A story on a task (the fake only has comments).
#[derive(Debug, Clone)]
pub struct Story {
    pub gid: String,
    pub task: String,
    pub created_by: String,
    pub created_at: String,
    pub text: String,
    pub html_text: String,
    pub is_pinned: bool,
    pub sticker_name: Option<String>,
}

/// A user's "My Tasks" list in one workspace.
#[derive(Debug, Clone)]
pub struct UserTaskList {
    pub gid: String,
    pub owner: String,
    pub workspace: String,
}

/// A section of a project. Every project has at least one; a task added to
/// a project without a section goes to its first.
#[derive(Debug, Clone)]
pub struct Section {
    pub gid: String,
    pub name: String,
    pub project: String,
}

/// A tag.
#[derive(Debug, Clone)]
pub struct Tag {
    pub gid: String,
    pub name: String,
    pub workspace: String,
}

/// One option of an enum custom field.
#[derive(Debug, Clone)]
pub struct EnumOption {
    pub gid: String,
    pub name: String,
    pub color: String,
}

/// The type of a custom field.
#[derive(Debug, Clone)]
pub enum CustomFieldKind {
    Text,
    Number { precision: u32 },
    Enum(Vec<EnumOption>),
    Date,
}

/// A custom field definition.
#[derive(Debug, Clone)]
pub struct CustomField {
    pub gid: String,
    pub name: String,
    pub workspace: String,
    pub kind: CustomFieldKind,
}

/// The value a task holds for a custom field.
#[derive(Debug, Clone)]
pub enum FieldValue {
    Text(String),
    Number(f64),
    Enum(EnumOption),
    /// A date field's value: a date, or a UTC date-time (`date` is then its day).
    Date {
        date: String,
        date_time: Option<String>,
    },
}

/// A task: its workspace for access checks and its full JSON form.
#[derive(Debug, Clone)]
pub struct Task {
    pub gid: String,
    pub workspace: String,
    /// True for tasks created through the API (as opposed to seeded ones).
    pub created: bool,
    pub full: Value,
}

impl Task {
    /// The assignee's gid.
    pub fn assignee(&self) -> Option<&str> {
        self.full["assignee"]["gid"].as_str()
    }

    /// Whether the task is completed.
    pub fn completed(&self) -> bool {
        self.full["completed"].as_bool().unwrap_or(false)
    }

    /// The gids of the task's projects.
    pub fn projects(&self) -> Vec<&str> {
        self.full["projects"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["gid"].as_str())
            .collect()
    }

    /// The gids of the sections the task is in.
    pub fn sections(&self) -> Vec<&str> {
        self.full["memberships"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["section"]["gid"].as_str())
            .collect()
    }

    /// The gids of the task's tags.
    pub fn tags(&self) -> Vec<&str> {
        self.full["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["gid"].as_str())
            .collect()
    }

    /// The compact form Asana lists tasks in (`TaskCompact`).
    pub fn compact(&self) -> Value {
        json!({
            "gid": self.gid,
            "resource_type": "task",
            "name": self.full["name"],
            "resource_subtype": self.full["resource_subtype"],
        })
    }
}

/// Everything the fake knows about.
#[derive(Debug, Clone, Default)]
pub struct Store {
    pub workspaces: Vec<Workspace>,
    pub users: Vec<User>,
    pub teams: Vec<Team>,
    pub team_memberships: Vec<TeamMembership>,
    pub projects: Vec<Project>,
    pub project_memberships: Vec<ProjectMembership>,
    pub sections: Vec<Section>,
    pub tags: Vec<Tag>,
    pub custom_fields: Vec<CustomField>,
    pub tasks: Vec<Task>,
    pub stories: Vec<Story>,
    pub user_task_lists: Vec<UserTaskList>,
}

impl Store {
    pub fn workspace(&self, gid: &str) -> Option<&Workspace> {
        self.workspaces.iter().find(|w| w.gid == gid)
    }

    pub fn user(&self, gid: &str) -> Option<&User> {
        self.users.iter().find(|u| u.gid == gid)
    }

    /// A user named the way Asana accepts: `me`, a gid or a primary email.
    pub fn identify_user(&self, id: &str, me: &str) -> Option<&User> {
        if id == "me" {
            return self.user(me);
        }
        if id.contains('@') {
            return self.users.iter().find(|u| u.email.eq_ignore_ascii_case(id));
        }
        self.user(id)
    }

    pub fn project(&self, gid: &str) -> Option<&Project> {
        self.projects.iter().find(|p| p.gid == gid)
    }

    pub fn team(&self, gid: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.gid == gid)
    }

    /// The membership of `user` in `team`, if any.
    pub fn team_membership(&self, team: &str, user: &str) -> Option<&TeamMembership> {
        self.team_memberships
            .iter()
            .find(|m| m.team == team && m.user == user)
    }

    /// Whether `user` is a member of `team`.
    pub fn in_team(&self, team: &str, user: &str) -> bool {
        self.team_membership(team, user).is_some()
    }

    /// Whether `viewer` may see `team`: a member, or anyone in its
    /// organization unless the team is secret.
    pub fn can_see_team(&self, viewer: &User, team: &Team) -> bool {
        viewer.member_of(&team.organization)
            && (team.visibility != "secret" || self.in_team(&team.gid, &viewer.gid))
    }

    /// Whether `viewer` may see `project`: anyone in its workspace, unless it
    /// is private, then only its members (directly or through its team).
    pub fn can_see_project(&self, viewer: &User, project: &Project) -> bool {
        viewer.member_of(&project.workspace)
            && (project.privacy_setting != "private"
                || self.project_memberships.iter().any(|m| {
                    m.project == project.gid
                        && match m.kind {
                            MemberKind::User => m.member == viewer.gid,
                            MemberKind::Team => self.in_team(&m.member, &viewer.gid),
                        }
                }))
    }

    /// The active users who are direct members of a project, in membership order.
    pub fn project_members(&self, project: &str) -> Vec<&User> {
        self.project_memberships
            .iter()
            .filter(|m| m.project == project && m.kind == MemberKind::User)
            .filter_map(|m| self.user(&m.member))
            .filter(|u| u.active)
            .collect()
    }

    pub fn section(&self, gid: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.gid == gid)
    }

    /// The first section of a project.
    pub fn first_section(&self, project: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.project == project)
    }

    pub fn tag(&self, gid: &str) -> Option<&Tag> {
        self.tags.iter().find(|t| t.gid == gid)
    }

    pub fn custom_field(&self, gid: &str) -> Option<&CustomField> {
        self.custom_fields.iter().find(|c| c.gid == gid)
    }

    pub fn task(&self, gid: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.gid == gid)
    }

    /// Whether `viewer` may see `user`: themselves, or someone in a shared workspace.
    pub fn can_see_user(&self, viewer: &User, user: &User) -> bool {
        viewer.gid == user.gid || user.workspaces.iter().any(|w| viewer.member_of(w))
    }

    /// The compact form of a user.
    pub fn user_compact(&self, user: &User) -> Value {
        json!({ "gid": user.gid, "resource_type": "user", "name": user.name })
    }

    /// The compact form of the user with this gid (`null` if unknown).
    pub fn user_ref(&self, gid: &str) -> Value {
        self.user(gid)
            .map(|u| self.user_compact(u))
            .unwrap_or(Value::Null)
    }

    /// The full form of a team (`TeamResponse`).
    pub fn team_json(&self, team: &Team) -> Value {
        let organization = self
            .workspace(&team.organization)
            .map(|w| self.workspace_json(w))
            .unwrap_or(Value::Null);
        json!({
            "gid": team.gid,
            "resource_type": "team",
            "name": team.name,
            "description": team.description,
            "html_description": format!("<body>{}</body>", super::html::escape(&team.description)),
            "organization": organization,
            "permalink_url": format!("https://app.asana.com/0/team/{}", team.gid),
            "visibility": team.visibility,
            "edit_team_name_or_description_access_level": "all_team_members",
            "edit_team_visibility_or_trash_team_access_level": "only_team_admins",
            "member_invite_management_access_level": "all_team_members",
            "guest_invite_management_access_level": "all_team_members",
            "join_request_management_access_level": "only_team_admins",
            "team_member_removal_access_level": "all_team_members",
            "team_content_management_access_level": "no_restriction",
            "endorsed": false,
        })
    }

    /// The full form of a team membership (`TeamMembershipResponse`).
    pub fn team_membership_json(&self, membership: &TeamMembership) -> Value {
        let team = self
            .team(&membership.team)
            .map(|t| self.team_json(t))
            .unwrap_or(Value::Null);
        json!({
            "gid": membership.gid,
            "resource_type": "team_membership",
            "user": self.user_ref(&membership.user),
            "team": team,
            "is_guest": membership.is_guest,
            "is_limited_access": false,
            "is_admin": membership.is_admin,
        })
    }

    /// The full form of a project (`ProjectResponse`).
    pub fn project_full_json(&self, project: &Project) -> Value {
        let workspace = self
            .workspace(&project.workspace)
            .map(|w| self.workspace_json(w))
            .unwrap_or(Value::Null);
        let team = project
            .team
            .as_deref()
            .and_then(|t| self.team(t))
            .map(|t| self.team_json(t))
            .unwrap_or(Value::Null);
        let members: Vec<Value> = self
            .project_members(&project.gid)
            .into_iter()
            .map(|u| self.user_compact(u))
            .collect();
        let followers: Vec<Value> = project.followers.iter().map(|f| self.user_ref(f)).collect();
        let custom_fields: Vec<Value> = project
            .custom_fields
            .iter()
            .filter_map(|f| self.custom_field(f))
            .map(|f| self.custom_field_json(f))
            .collect();
        json!({
            "gid": project.gid,
            "resource_type": "project",
            "name": project.name,
            "archived": project.archived,
            "color": project.color,
            "icon": "list",
            "created_at": project.created_at,
            "modified_at": project.modified_at,
            "current_status": null,
            "current_status_update": null,
            "default_view": project.default_view,
            "due_date": project.due_on,
            "due_on": project.due_on,
            "start_on": project.start_on,
            "notes": project.notes,
            "html_notes": project.html_notes,
            "members": members,
            "followers": followers,
            "owner": project.owner.as_deref().map(|o| self.user_ref(o)),
            "public": project.privacy_setting == "public_to_workspace",
            "privacy_setting": project.privacy_setting,
            "default_access_level": "editor",
            "minimum_access_level_for_customization": "editor",
            "minimum_access_level_for_sharing": "editor",
            "completed": false,
            "completed_at": null,
            "completed_by": null,
            "custom_fields": custom_fields,
            "team": team,
            "workspace": workspace,
            "permalink_url": format!("https://app.asana.com/1/{}/project/{}", project.workspace, project.gid),
        })
    }

    /// A project membership: `ProjectMembershipCompactResponse` as
    /// `/projects/{gid}/project_memberships` lists it, or, with
    /// `generic`, the `membership` form of `/memberships`.
    pub fn project_membership_json(&self, membership: &ProjectMembership, generic: bool) -> Value {
        let parent = self
            .project(&membership.project)
            .map(|p| json!({ "gid": p.gid, "resource_type": "project", "name": p.name }))
            .unwrap_or(Value::Null);
        let member = match membership.kind {
            MemberKind::User => self.user_ref(&membership.member),
            MemberKind::Team => self
                .team(&membership.member)
                .map(|t| json!({ "gid": t.gid, "resource_type": "team", "name": t.name }))
                .unwrap_or(Value::Null),
        };
        let mut json = json!({
            "gid": membership.gid,
            "resource_type": if generic { "membership" } else { "project_membership" },
            "resource_subtype": "project_membership",
            "parent": parent,
            "member": member,
            "access_level": membership.access_level,
            "write_access": if membership.access_level == "commenter" || membership.access_level == "viewer" { "comment_only" } else { "full_write" },
        });
        if membership.kind == MemberKind::User {
            json["user"] = self.user_ref(&membership.member);
        }
        json["project"] = json["parent"].clone();
        json
    }

    /// The full form of a story (`StoryResponse`).
    pub fn story_json(&self, story: &Story) -> Value {
        let target = self
            .task(&story.task)
            .map(Task::compact)
            .unwrap_or(Value::Null);
        json!({
            "gid": story.gid,
            "resource_type": "story",
            "created_at": story.created_at,
            "created_by": self.user_ref(&story.created_by),
            "resource_subtype": "comment_added",
            "type": "comment",
            "text": story.text,
            "html_text": story.html_text,
            "is_pinned": story.is_pinned,
            "sticker_name": story.sticker_name,
            "is_editable": true,
            "is_edited": false,
            "hearted": false,
            "hearts": [],
            "num_hearts": 0,
            "liked": false,
            "likes": [],
            "num_likes": 0,
            "reaction_summary": [],
            "previews": [],
            "source": "api",
            "target": target,
        })
    }

    /// The compact form of a story (`StoryCompact`).
    pub fn story_compact(&self, story: &Story) -> Value {
        json!({
            "gid": story.gid,
            "resource_type": "story",
            "created_at": story.created_at,
            "created_by": self.user_ref(&story.created_by),
            "resource_subtype": "comment_added",
            "text": story.text,
        })
    }

    /// The full form of a user task list (`UserTaskListResponse`).
    pub fn user_task_list_json(&self, list: &UserTaskList) -> Value {
        let workspace = self
            .workspace(&list.workspace)
            .map(|w| json!({ "gid": w.gid, "resource_type": "workspace", "name": w.name }))
            .unwrap_or(Value::Null);
        json!({
            "gid": list.gid,
            "resource_type": "user_task_list",
            "name": "My Tasks",
            "owner": self.user_ref(&list.owner),
            "workspace": workspace,
        })
    }

    /// The full form of a workspace (`WorkspaceResponse`).
    pub fn workspace_json(&self, workspace: &Workspace) -> Value {
        json!({
            "gid": workspace.gid,
            "resource_type": "workspace",
            "name": workspace.name,
            "email_domains": workspace.email_domains,
            "is_organization": workspace.is_organization,
        })
    }

    /// The full form of a user (`UserResponse`) as `viewer` sees it: only
    /// workspaces both share are listed.
    pub fn user_json(&self, user: &User, viewer: &User) -> Value {
        let workspaces: Vec<Value> = self
            .workspaces
            .iter()
            .filter(|w| user.member_of(&w.gid) && viewer.member_of(&w.gid))
            .map(|w| self.workspace_json(w))
            .collect();
        json!({
            "gid": user.gid,
            "resource_type": "user",
            "name": user.name,
            "email": user.email,
            "photo": photo_json(user),
            "workspaces": workspaces,
            "custom_fields": [],
        })
    }

    /// The full form of a project as it appears inside a task.
    pub fn project_json(&self, project: &Project) -> Value {
        let workspace = self
            .workspace(&project.workspace)
            .map(|w| self.workspace_json(w))
            .unwrap_or(Value::Null);
        json!({
            "gid": project.gid,
            "resource_type": "project",
            "name": project.name,
            "workspace": workspace,
        })
    }

    /// The compact form of a section.
    pub fn section_json(&self, section: &Section) -> Value {
        json!({ "gid": section.gid, "resource_type": "section", "name": section.name })
    }

    /// The full form of a tag.
    pub fn tag_json(&self, tag: &Tag) -> Value {
        json!({ "gid": tag.gid, "resource_type": "tag", "name": tag.name })
    }

    /// The definition of a custom field (`CustomFieldResponse`), without a value.
    pub fn custom_field_json(&self, field: &CustomField) -> Value {
        custom_field_value_json(field, None)
    }
}

/// A user's photo object, or null.
fn photo_json(user: &User) -> Value {
    if !user.has_photo {
        return Value::Null;
    }
    let mut photo = serde_json::Map::new();
    for size in ["21x21", "27x27", "36x36", "60x60", "128x128"] {
        photo.insert(
            format!("image_{size}"),
            Value::String(format!(
                "https://s3.amazonaws.com/profile_photos/{}.fake_{size}.png",
                user.gid
            )),
        );
    }
    photo.insert(
        "image_1024x1024".to_string(),
        Value::String(format!(
            "https://s3.amazonaws.com/profile_photos/{}.fake_1024x1024.jpg",
            user.gid
        )),
    );
    Value::Object(photo)
}

/// An enum option's JSON form.
pub fn enum_option_json(option: &EnumOption) -> Value {
    json!({
        "gid": option.gid,
        "resource_type": "enum_option",
        "name": option.name,
        "enabled": true,
        "color": option.color,
    })
}

/// A custom field with the value a task holds for it (all value slots null when unset).
pub fn custom_field_value_json(field: &CustomField, value: Option<&FieldValue>) -> Value {
    let (subtype, display) = match (&field.kind, value) {
        (CustomFieldKind::Text, Some(FieldValue::Text(t))) => ("text", Value::String(t.clone())),
        (CustomFieldKind::Number { precision }, Some(FieldValue::Number(n))) => (
            "number",
            Value::String(format!("{:.*}", *precision as usize, n)),
        ),
        (CustomFieldKind::Enum(_), Some(FieldValue::Enum(o))) => {
            ("enum", Value::String(o.name.clone()))
        }
        (CustomFieldKind::Date, Some(FieldValue::Date { date, date_time })) => (
            "date",
            Value::String(date_time.clone().unwrap_or_else(|| date.clone())),
        ),
        (CustomFieldKind::Text, _) => ("text", Value::Null),
        (CustomFieldKind::Number { .. }, _) => ("number", Value::Null),
        (CustomFieldKind::Enum(_), _) => ("enum", Value::Null),
        (CustomFieldKind::Date, _) => ("date", Value::Null),
    };
    let mut json = json!({
        "gid": field.gid,
        "resource_type": "custom_field",
        "name": field.name,
        "type": subtype,
        "resource_subtype": subtype,
        "representation_type": subtype,
        "enabled": true,
        "is_formula_field": false,
        "display_value": display,
    });
    match &field.kind {
        CustomFieldKind::Text => {
            json["text_value"] = match value {
                Some(FieldValue::Text(t)) => Value::String(t.clone()),
                _ => Value::Null,
            };
        }
        CustomFieldKind::Number { precision } => {
            json["precision"] = json!(precision);
            json["number_value"] = match value {
                Some(FieldValue::Number(n)) => json!(n),
                _ => Value::Null,
            };
        }
        CustomFieldKind::Enum(options) => {
            json["enum_options"] = options.iter().map(enum_option_json).collect();
            json["enum_value"] = match value {
                Some(FieldValue::Enum(o)) => enum_option_json(o),
                _ => Value::Null,
            };
        }
        CustomFieldKind::Date => {
            json["date_value"] = match value {
                Some(FieldValue::Date { date, date_time }) => {
                    json!({ "date": date, "date_time": date_time })
                }
                _ => Value::Null,
            };
        }
    }
    json
}
