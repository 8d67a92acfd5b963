//! Categories: the tree of system defaults and the user's own; create, rename, move,
//! merge, archive. Also the category picker every other page uses.

use super::SignInPrompt;
use crate::categories::{
    ArchiveCategory, Category, CreateCategory, MergeCategory, MoveCategory, RenameCategory, list_categories,
};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

/// `<option>`s for a category picker: the tree, indented, archived ones left out
/// unless chosen. `selected` is the chosen id.
#[component]
pub fn CategoryOptions(categories: Vec<Category>, #[prop(default = None)] selected: Option<Uuid>) -> impl IntoView {
    Category::tree(&categories)
        .into_iter()
        .filter(|(_, c)| !c.archived || Some(c.id) == selected)
        .map(|(depth, c)| {
            let label = format!("{}{}", "\u{a0}\u{a0}\u{a0}".repeat(depth), c.name);
            let is_selected = Some(c.id) == selected;
            view! { <option value=c.id.to_string() selected=is_selected>{label}</option> }
        })
        .collect_view()
}

/// What a failed action says, if the last one failed.
fn failure<T>(value: impl Get<Value = Option<Result<T, AppError>>>) -> Option<String> {
    value.get().and_then(|r| r.err()).map(|e| e.to_string())
}

#[component]
pub fn CategoriesPage() -> impl IntoView {
    let create = ServerAction::<CreateCategory>::new();
    let rename = ServerAction::<RenameCategory>::new();
    let move_to = ServerAction::<MoveCategory>::new();
    let merge = ServerAction::<MergeCategory>::new();
    let archive = ServerAction::<ArchiveCategory>::new();
    let categories = Resource::new(
        move || {
            (
                create.version().get(),
                rename.version().get(),
                move_to.version().get(),
                merge.version().get(),
                archive.version().get(),
            )
        },
        |_| list_categories(true),
    );
    let errors = move || {
        [
            failure(create.value()),
            failure(rename.value()),
            failure(move_to.value()),
            failure(merge.value()),
            failure(archive.value()),
        ]
        .into_iter()
        .flatten()
        .next()
    };
    let (name, parent) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    view! {
        <Title text="Categories"/>
        <header class="page-header">
            <div>
                <p class="eyebrow">"Categories"</p>
                <h1>"Categories"</h1>
            </div>
            <a href="/tax" class="link-button dark">"Tax summary →"</a>
        </header>
        {move || errors().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match categories.await {
                    Err(AppError::Unauthorized) => view! { <SignInPrompt message="Sign in to see your categories."/> }.into_any(),
                    Err(e) => view! { <section class="error-panel" role="alert"><p>{e.to_string()}</p></section> }.into_any(),
                    Ok(all) => {
                        let tree = Category::tree(&all);
                        let for_create = all.clone();
                        view! {
                            <section class="account-group" aria-labelledby="new-category">
                                <div class="group-header"><h2 id="new-category">"New category"</h2></div>
                                <form class="inline-form" on:submit=move |ev| {
                                    ev.prevent_default();
                                    create.dispatch(CreateCategory { name: name.get_untracked(), parent: parent.get_untracked(), kind: String::new() });
                                    name.set(String::new());
                                }>
                                    <label>"Name" <input name="name" required maxlength="100" prop:value=name
                                        on:input=move |ev| name.set(event_target_value(&ev))/></label>
                                    <label>"Under"
                                        <select name="parent" on:change=move |ev| parent.set(event_target_value(&ev))>
                                            <option value="">"(top level, expense)"</option>
                                            <CategoryOptions categories=for_create/>
                                        </select>
                                    </label>
                                    <button type="submit" class="button small">"Create"</button>
                                </form>
                            </section>
                            <section class="account-group" aria-labelledby="all-categories">
                                <div class="group-header"><h2 id="all-categories">"All categories"</h2></div>
                                <table class="accounts categories">
                                    <thead><tr>
                                        <th scope="col">"Category"</th>
                                        <th scope="col" class="num">"Transactions"</th>
                                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>
                                        {tree.into_iter().map(|(depth, c)| view! {
                                            <CategoryLine depth category=c all=all.clone() rename move_to merge archive/>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn CategoryLine(
    depth: usize,
    category: Category,
    all: Vec<Category>,
    rename: ServerAction<RenameCategory>,
    move_to: ServerAction<MoveCategory>,
    merge: ServerAction<MergeCategory>,
    archive: ServerAction<ArchiveCategory>,
) -> impl IntoView {
    let id = category.id.to_string();
    let open = RwSignal::new(false);
    let new_name = RwSignal::new(category.name.clone());
    let new_parent = RwSignal::new(category.parent_id.map(|p| p.to_string()).unwrap_or_default());
    let target = RwSignal::new(String::new());
    let others: Vec<Category> = all.iter().filter(|c| c.id != category.id).cloned().collect();
    let indent = format!("padding-left: {}rem", 0.75 + depth as f32 * 1.25);
    let archived = category.archived;
    let label = category.name.clone();
    view! {
        <tr data-category-id=id.clone() class:closed=archived>
            <td style=indent>
                {category.icon.clone().map(|i| view! { <span aria-hidden="true">{i}" "</span> })}
                <span class="account-name">{category.name.clone()}</span>
                {category.system.then(|| view! { <span class="badge">"Default"</span> })}
                {archived.then(|| view! { <span class="badge pending">"Archived"</span> })}
            </td>
            <td class="num">{category.transactions}</td>
            <td class="num">
                {(!category.system).then(|| view! {
                    <button type="button" class="link-button dark" aria-expanded=move || open.get().to_string()
                        aria-label=format!("Change {label}") on:click=move |_| open.update(|o| *o = !*o)>"Change"</button>
                })}
            </td>
        </tr>
        {move || open.get().then(|| {
            let (id1, id2, id3, id4) = (id.clone(), id.clone(), id.clone(), id.clone());
            let (parents, targets) = (others.clone(), others.clone());
            view! {
                <tr class="editor-row">
                    <td colspan="3">
                        <div class="inline-editor">
                            <form class="inline-form" on:submit=move |ev| {
                                ev.prevent_default();
                                rename.dispatch(RenameCategory { id: id1.clone(), name: new_name.get_untracked() });
                            }>
                                <label>"Name" <input prop:value=new_name maxlength="100" required
                                    on:input=move |ev| new_name.set(event_target_value(&ev))/></label>
                                <button type="submit" class="button small">"Rename"</button>
                            </form>
                            <form class="inline-form" on:submit=move |ev| {
                                ev.prevent_default();
                                move_to.dispatch(MoveCategory { id: id2.clone(), parent: new_parent.get_untracked() });
                            }>
                                <label>"Move under"
                                    <select on:change=move |ev| new_parent.set(event_target_value(&ev))>
                                        <option value="">"(top level)"</option>
                                        <CategoryOptions categories=parents selected=new_parent.get_untracked().parse().ok()/>
                                    </select>
                                </label>
                                <button type="submit" class="button small">"Move"</button>
                            </form>
                            <form class="inline-form" on:submit=move |ev| {
                                ev.prevent_default();
                                merge.dispatch(MergeCategory { source: id3.clone(), target: target.get_untracked() });
                            }>
                                <label>"Merge into"
                                    <select required on:change=move |ev| target.set(event_target_value(&ev))>
                                        <option value="">"Choose…"</option>
                                        <CategoryOptions categories=targets/>
                                    </select>
                                </label>
                                <button type="submit" class="button small">"Merge"</button>
                            </form>
                            <button type="button" class="link-button dark" on:click=move |_| {
                                archive.dispatch(ArchiveCategory { id: id4.clone(), archived: !archived });
                            }>{if archived { "Restore" } else { "Archive" }}</button>
                        </div>
                    </td>
                </tr>
            }
        })}
    }
}

/// Deductible spending by category for a tax year.
#[component]
pub fn TaxPage() -> impl IntoView {
    use crate::categories::tax_summary;
    use leptos_router::hooks::use_query_map;
    use manna_core::format_money;
    let query = use_query_map();
    let year = Memo::new(move |_| query.with(|q| q.get("year").and_then(|y| y.parse::<i32>().ok())));
    let summary = Resource::new(move || year.get(), tax_summary);
    view! {
        <Title text="Tax summary"/>
        <header class="page-header">
            <div>
                <p class="eyebrow">"Tax"</p>
                <h1>"Deductible spending"</h1>
            </div>
        </header>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Err(AppError::Unauthorized) => view! { <SignInPrompt message="Sign in to see your tax summary."/> }.into_any(),
                    Err(e) => view! { <section class="error-panel" role="alert"><p>{e.to_string()}</p></section> }.into_any(),
                    Ok(s) => {
                        let fiscal = if s.fiscal_year_start_month == 1 {
                            "Tax years are calendar years.".to_string()
                        } else {
                            format!("Tax years start in month {} and are named by the year they end in.", s.fiscal_year_start_month)
                        };
                        let chosen = s.year;
                        let currency = s.currency;
                        view! {
                            <nav class="segmented" aria-label="Tax year">
                                {s.years.iter().map(|y| {
                                    let current = (Some(*y) == chosen).then_some("page");
                                    view! { <a href=format!("/tax?year={y}") aria-current=current class="segment">{*y}</a> }
                                }).collect_view()}
                            </nav>
                            <p class="hint">{fiscal}" Mark transactions tax-deductible on the transactions page."</p>
                            {if s.lines.is_empty() {
                                view! { <section class="empty-state"><h2>"Nothing deductible in this year"</h2></section> }.into_any()
                            } else {
                                view! {
                                    <table class="accounts tax">
                                        <thead><tr>
                                            <th scope="col">"Category"</th>
                                            <th scope="col" class="num">"Transactions"</th>
                                            <th scope="col" class="num">"Deductible"</th>
                                        </tr></thead>
                                        <tbody>
                                            {s.lines.into_iter().map(|l| view! {
                                                <tr><td>{l.category}</td><td class="num">{l.count}</td>
                                                <td class="num">{format_money(l.total, currency)}</td></tr>
                                            }).collect_view()}
                                        </tbody>
                                        <tfoot><tr class="subtotal"><th scope="row" colspan="2">"Total"</th>
                                            <td class="num">{format_money(s.total, currency)}</td></tr></tfoot>
                                    </table>
                                }.into_any()
                            }}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
