//! A builder's own projects: `/me/projects` (all of them, soft-deleted
//! included, with delete and restore), `/me/projects/new` and
//! `/me/projects/<id>/edit`. Read live from `projects` (the owner sees
//! their writes at once); the writes are in `data::my_projects`.
//!
//! Authorization on the server: signed out is 401 (a browser is sent to
//! log in), another user's project is 403 (page and actions), an unknown
//! or malformed id is 404; bad input is 422 with each message next to its
//! field, and nothing is written.

use crate::web::{action, page_data};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::components::{loaded, FormError, IdButton, OnError, Select, TextArea};
use crate::error::AppError;
use crate::format::label;
use crate::web::{failed, failure};

pub const TITLE: &str = "title";
pub const DESCRIPTION: &str = "description";
pub const LINK: &str = "link";
pub const IMAGE_URL: &str = "image_url";
pub const CATEGORY: &str = "category";

/// `projects_category_check` (the same list as `data::my_projects::CATEGORIES`).
pub const CATEGORIES: &[&str] = &[
    "ai", "web", "mobile", "devtools", "data", "infra", "security", "hardware", "games", "fintech",
    "other",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyProjectView {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub link: String,
    pub image_url: String,
    pub category: String,
    pub proof_score: i32,
    pub is_deleted: bool,
    pub created: String,
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;

    pub fn view(p: data::my_projects::MyProject) -> MyProjectView {
        MyProjectView {
            id: p.id,
            title: p.title,
            description: p.description,
            link: p.proof_of_work_link.unwrap_or_default(),
            image_url: p.image_url.unwrap_or_default(),
            category: p.category,
            proof_score: p.proof_score,
            is_deleted: p.is_deleted,
            created: crate::format::date(p.created_at),
        }
    }

    /// A failed save's error, with what was typed to show again.
    pub fn project_error(err: data::Error, input: &data::my_projects::ProjectInput) -> AppError {
        AppError::from(err).with_values(&[
            (TITLE, &input.title),
            (DESCRIPTION, &input.description),
            (LINK, &input.link),
            (IMAGE_URL, &input.image_url),
            (CATEGORY, &input.category),
        ])
    }
}

#[server(endpoint = "my_projects")]
pub async fn get_my_projects() -> Result<Vec<MyProjectView>, AppError> {
    let user = crate::web::page_user("/me/projects")?;
    let state = crate::state::state()?;
    Ok(data::my_projects::list(&state.pool, user.id)
        .await?
        .into_iter()
        .map(server::view)
        .collect())
}

/// Only checks that someone is signed in (the new-project page).
#[server(endpoint = "my_projects_new")]
pub async fn check_signed_in() -> Result<(), AppError> {
    crate::web::page_user("/me/projects/new").map(|_| ())
}

#[server(endpoint = "my_project")]
pub async fn get_my_project(id: String) -> Result<MyProjectView, AppError> {
    let user = crate::web::page_user(&format!(
        "/me/projects/{}/edit",
        id.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
    ))?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let state = crate::state::state()?;
    let p = data::my_projects::get(&state.pool, user.id, id).await?;
    Ok(server::view(p))
}

#[server(endpoint = "create_project")]
pub async fn create_project(
    title: String,
    description: String,
    link: String,
    image_url: Option<String>,
    category: String,
) -> Result<(), AppError> {
    use crate::web::signed_in;
    let user = signed_in()?;
    let input = data::my_projects::ProjectInput {
        title,
        description,
        link,
        image_url: image_url.unwrap_or_default(),
        category,
    };
    let state = crate::state::state()?;
    let id = data::my_projects::create(&state.pool, user.id, &input)
        .await
        .map_err(|e| server::project_error(e, &input))?;
    tracing::info!(project_id = %id, user_id = %user.id, "project created");
    crate::web::recent::remember(crate::web::recent::List::Projects, &[id]).await;
    // Another page shows the result: the browser goes there, with or
    // without JavaScript (the client follows the redirect itself).
    leptos_axum::redirect(&format!("/p/{id}"));
    Ok(())
}

#[server(endpoint = "update_project")]
pub async fn update_project(
    id: String,
    title: String,
    description: String,
    link: String,
    image_url: Option<String>,
    category: String,
) -> Result<(), AppError> {
    use crate::web::{parse_id, signed_in};
    let user = signed_in()?;
    let id = parse_id(&id)?;
    let input = data::my_projects::ProjectInput {
        title,
        description,
        link,
        image_url: image_url.unwrap_or_default(),
        category,
    };
    let state = crate::state::state()?;
    data::my_projects::update(&state.pool, user.id, id, &input)
        .await
        .map_err(|e| server::project_error(e, &input))?;
    crate::web::recent::remember(crate::web::recent::List::Projects, &[id]).await;
    // Another page shows the result: the browser goes there, with or
    // without JavaScript (the client follows the redirect itself).
    leptos_axum::redirect(&format!("/me/projects#mp-{id}"));
    Ok(())
}

#[cfg(feature = "ssr")]
async fn set_deleted(id: String, deleted: bool) -> Result<(), AppError> {
    use crate::web::{back_to, parse_id, signed_in};
    let user = signed_in()?;
    let id = parse_id(&id)?;
    let state = crate::state::state()?;
    data::my_projects::set_deleted(&state.pool, user.id, id, deleted).await?;
    crate::web::recent::remember(crate::web::recent::List::Projects, &[id]).await;
    back_to(&format!("mp-{id}"), "/me/projects");
    Ok(())
}

#[server(endpoint = "delete_project")]
pub async fn delete_project(id: String) -> Result<(), AppError> {
    set_deleted(id, true).await
}

#[server(endpoint = "restore_project")]
pub async fn restore_project(id: String) -> Result<(), AppError> {
    set_deleted(id, false).await
}

#[component]
pub fn MyProjectsPage() -> impl IntoView {
    let delete = action::<DeleteProject>();
    let restore = action::<RestoreProject>();
    let error = move || failure([failed(delete), failed(restore)]);
    let list = page_data(|| (), |_| get_my_projects());
    loaded(list, OnError::LogInFirst("/me/projects"), move |projects| {
        view! { <MyProjectsBody projects delete restore error=error() /> }
    })
}

#[component]
fn MyProjectsBody(
    projects: Vec<MyProjectView>,
    delete: ServerAction<DeleteProject>,
    restore: ServerAction<RestoreProject>,
    error: Option<AppError>,
) -> impl IntoView {
    let empty = projects.is_empty();
    let rows = projects
        .into_iter()
        .map(|p| {
            let id = p.id.to_string();
            let edit_label = format!("Edit {}", p.title);
            let restore_label = format!("Restore {}", p.title);
            let delete_label = format!("Delete {}", p.title);
            let edit_href = format!("/me/projects/{id}/edit");
            let row_id = format!("mp-{id}");
            let title_cell = if p.is_deleted {
                view! { <span>{p.title.clone()}</span> }.into_any()
            } else {
                view! { <a href=format!("/p/{}", p.id)>{p.title.clone()}</a> }.into_any()
            };
            let action = if p.is_deleted {
                view! {
                    <ActionForm action=restore attr:class="inline-form">
                        <IdButton name="id" value=id.clone() class="link-button" label=restore_label>"Restore"</IdButton>
                    </ActionForm>
                }
                .into_any()
            } else {
                view! {
                    <ActionForm action=delete attr:class="inline-form">
                        <IdButton name="id" value=id.clone() class="link-button danger" label=delete_label>"Delete"</IdButton>
                    </ActionForm>
                }
                .into_any()
            };
            view! {
                <tr id=row_id class:deleted=p.is_deleted>
                    <th scope="row">{title_cell}</th>
                    <td>{label(&p.category)}</td>
                    <td>{p.proof_score}</td>
                    <td class="project-status">{if p.is_deleted { "Deleted" } else { "Live" }}</td>
                    <td><time>{p.created.clone()}</time></td>
                    <td class="row-actions">
                        <a href=edit_href aria-label=edit_label>"Edit"</a>
                        " "
                        {action}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Title text="My projects" />
        <section class="my-projects">
            <h1>"My projects"</h1>
            <FormError error=Signal::derive(move || error.clone()) />
            <p><a class="button primary" href="/me/projects/new">"New project"</a></p>
            {if empty {
                view! { <p class="empty">"You have not shown a project yet."</p> }.into_any()
            } else {
                view! {
                    <table class="my-projects-table">
                        <caption class="visually-hidden">"Your projects"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Title"</th>
                                <th scope="col">"Category"</th>
                                <th scope="col">"Proof score"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Created"</th>
                                <th scope="col">"Actions"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
    }
}

/// A labelled input with its error tied to it (optional fields too).
#[component]
fn Input(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = true)] required: bool,
    #[prop(optional)] hint: Option<&'static str>,
    error: Option<String>,
    value: String,
) -> impl IntoView {
    let mut described = Vec::new();
    if hint.is_some() {
        described.push(format!("{name}-hint"));
    }
    if error.is_some() {
        described.push(format!("{name}-error"));
    }
    let described_by = (!described.is_empty()).then(|| described.join(" "));
    let has_error = error.is_some();
    view! {
        <div class="field" class:has-error=has_error>
            <label for=name>{label}{(!required).then_some(" (optional)")}</label>
            {hint.map(|h| view! { <p class="field-hint" id=format!("{name}-hint")>{h}</p> })}
            <input
                id=name
                name=name
                type=kind
                required=required
                value=value
                aria-invalid=has_error.then_some("true")
                aria-describedby=described_by
            />
            {error.map(|msg| view! { <p class="field-error" id=format!("{name}-error")>{msg}</p> })}
        </div>
    }
}

/// The create / edit form. `error` is the failed post's, whose values win
/// over `current`.
#[component]
fn ProjectForm(
    current: Option<MyProjectView>,
    error: Option<AppError>,
    submit: &'static str,
) -> impl IntoView {
    let err = |f: &str| error.as_ref().and_then(|e| e.field_error(f));
    let val = |f: &str, cur: &dyn Fn(&MyProjectView) -> String| {
        error
            .as_ref()
            .and_then(|e| e.field_value(f))
            .or_else(|| current.as_ref().map(cur))
            .unwrap_or_default()
    };
    let category = val(CATEGORY, &|p| p.category.clone());
    let options = CATEGORIES
        .iter()
        .map(|c| {
            let selected = category == *c;
            view! { <option value=*c selected=selected>{label(c)}</option> }
        })
        .collect_view();
    let description_error = err(DESCRIPTION);
    let category_error = err(CATEGORY);
    let general = error.clone().filter(|e| !matches!(e, AppError::Invalid(_)));
    view! {
        <FormError error=Signal::derive(move || general.clone()) />
        <Input name=TITLE label="Title" error=err(TITLE) value=val(TITLE, &|p| p.title.clone()) hint="At most 120 characters." />
        <TextArea
            id=DESCRIPTION.to_string()
            name=DESCRIPTION
            label="Description (optional)".to_string()
            hint="What it is, what you built, what it proves. At most 5,000 characters."
            error=description_error
            value=Some(val(DESCRIPTION, &|p| p.description.clone()))
            rows=8
            required=false
        />
        <Input name=LINK label="Proof-of-work link" kind="url" error=err(LINK) value=val(LINK, &|p| p.link.clone())
            hint="A web address (https://…) where the work can be seen: a repository, a demo, a paper." />
        <Input name=IMAGE_URL label="Image link" kind="url" required=false error=err(IMAGE_URL)
            value=val(IMAGE_URL, &|p| p.image_url.clone()) hint="A web address (https://…) of a picture of the project." />
        <Select id=CATEGORY name=CATEGORY label="Category" error=category_error>
            {options}
        </Select>
        <button type="submit" class="button primary">{submit}</button>
    }
}

#[component]
pub fn NewProjectPage() -> impl IntoView {
    let create = action::<CreateProject>();
    let error = move || failure([failed(create)]);
    let me = page_data(|| (), |_| check_signed_in());
    loaded(me, OnError::LogInFirst("/me/projects/new"), move |()| {
        let error = error();
        view! {
            <Title text="New project" />
            <section class="project-form">
                <h1>"New project"</h1>
                <ActionForm action=create attr:class="stack" attr:novalidate=true>
                    <ProjectForm current=None error submit="Create project" />
                </ActionForm>
            </section>
        }
    })
}

#[component]
pub fn EditProjectPage() -> impl IntoView {
    let params = use_params_map();
    let update = action::<UpdateProject>();
    let error = move || failure([failed(update)]);
    let project = page_data(
        move || params.get().get("id").unwrap_or_default(),
        get_my_project,
    );
    loaded(project, OnError::LogInFirst("/me/projects"), move |p| {
        let id = p.id.to_string();
        let heading = format!("Edit {}", p.title);
        let error = error();
        view! {
            <Title text=heading.clone() />
            <section class="project-form">
                <p class="crumbs"><a href="/me/projects">"My projects"</a></p>
                <h1>{heading}</h1>
                <ActionForm action=update attr:class="stack" attr:novalidate=true>
                    <input type="hidden" name="id" value=id />
                    <ProjectForm current=Some(p) error submit="Save changes" />
                </ActionForm>
            </section>
        }
    })
}
