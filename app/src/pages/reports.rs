//! Reports: pick a type, period and scope, see it with charts, save it; saved
//! reports with their versions, templates, share links and downloads; the shared
//! read-only view.

use super::SignInPrompt;
use crate::error::AppError;
use crate::reports::{
    DeleteReport, GenerateReport, RegenerateReport, ReportView, RevokeShare, RunTemplate, SaveReport,
    SetReportTemplate, ShareReport, saved_report, saved_reports, shared_report,
};
use chrono::Datelike;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};
use manna_core::budget::Scope;
use manna_core::report::{Cell, Report, ReportKind, RowStyle};
use manna_core::{Currency, format_money};

fn cell_text(cell: &Cell, currency: Currency) -> String {
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Money(m) => format_money(*m, currency),
        Cell::Percent(Some(p)) => format!("{p}%"),
        Cell::Percent(None) => "—".into(),
        Cell::Count(n) => n.to_string(),
        Cell::Empty => String::new(),
    }
}

/// A report's figures and charts, as the page, the saved view and a share link show it.
#[component]
pub fn ReportBody(report: Report, charts: Vec<String>) -> impl IntoView {
    let currency = Currency::parse(&report.currency).unwrap_or(Currency::USD);
    view! {
        <article class="report" data-report-kind=report.kind.as_str()>
            <header class="report-header">
                <h2>{report.title.clone()}</h2>
                <p class="muted">{report.subtitle.clone()}</p>
            </header>
            <div class="report-charts">
                {charts.into_iter().map(|svg| view! { <div class="chart-svg" inner_html=svg></div> }).collect_view()}
            </div>
            {report.tables.into_iter().map(|t| view! {
                <section class="account-group report-table">
                    <div class="group-header"><h3>{t.name.clone()}</h3></div>
                    <table class="accounts">
                        <thead><tr>
                            <th scope="col">{t.label_header.clone()}</th>
                            {t.columns.iter().map(|c| view! { <th scope="col" class="num">{c.clone()}</th> }).collect_view()}
                        </tr></thead>
                        <tbody>
                            {t.rows.into_iter().map(|r| {
                                let class = match r.style {
                                    RowStyle::Line => "",
                                    RowStyle::Subtotal => "subtotal",
                                    RowStyle::Total => "total",
                                };
                                view! {
                                    <tr class=class data-label=r.label.clone()>
                                        <th scope="row" style=format!("padding-left: {}rem", 1.25 + f32::from(r.depth) * 1.25)>{r.label.clone()}</th>
                                        {r.cells.iter().map(|c| {
                                            let negative = matches!(c, Cell::Money(m) if m.is_sign_negative() && !m.is_zero());
                                            view! { <td class="num" class:negative=negative>{cell_text(c, currency)}</td> }
                                        }).collect_view()}
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </section>
            }).collect_view()}
        </article>
    }
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    let generate = ServerAction::<GenerateReport>::new();
    let save = ServerAction::<SaveReport>::new();
    let saved = Resource::new(move || save.version().get(), |_| saved_reports());
    let budgets = Resource::new(|| (), |_| crate::budgets::list_budgets());
    let today = chrono::Utc::now().date_naive();
    let jan1 = today.with_ordinal(1).unwrap_or(today);
    let kind = RwSignal::new(ReportKind::ProfitLoss.as_str().to_string());
    let from = RwSignal::new(jan1.to_string());
    let to = RwSignal::new(today.to_string());
    let scope = RwSignal::new("all".to_string());
    let budget = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = save.value().get() {
            navigate(&format!("/reports/{id}"), Default::default());
        }
    });
    let preset = move |(f, t): (chrono::NaiveDate, chrono::NaiveDate)| {
        from.set(f.to_string());
        to.set(t.to_string());
    };
    let presets = manna_core::period::Preset::ALL;
    let error = move || {
        [generate.value().get().and_then(|r| r.err()), save.value().get().and_then(|r| r.err())]
            .into_iter()
            .flatten()
            .next()
            .map(|e| e.to_string())
    };
    view! {
        <Title text="Reports"/>
        <header class="page-header">
            <div><p class="eyebrow">"Reports"</p><h1>"Reports"</h1></div>
        </header>
        <section class="account-group">
            <form class="stacked-form report-form" on:submit=move |ev| {
                ev.prevent_default();
                generate.dispatch(GenerateReport {
                    kind: kind.get_untracked(), from: from.get_untracked(), to: to.get_untracked(),
                    scope: scope.get_untracked(), budget: budget.get_untracked(),
                });
            }>
                <label>"Report"
                    <select name="kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                        {ReportKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"From" <input type="date" name="from" required prop:value=from on:input=move |ev| from.set(event_target_value(&ev))/></label>
                <label>"To" <input type="date" name="to" required prop:value=to on:input=move |ev| to.set(event_target_value(&ev))/></label>
                <label>"For"
                    <select name="scope" on:change=move |ev| scope.set(event_target_value(&ev))>
                        {Scope::ALL.into_iter().map(|s| view! { <option value=s.as_str() selected=s == Scope::All>{s.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label class:hidden=move || kind.get() != "budget_variance">"Budget"
                    <select name="budget" on:change=move |ev| budget.set(event_target_value(&ev))>
                        <option value="">"Choose…"</option>
                        <Suspense fallback=|| ()>
                            {move || Suspend::new(async move {
                                budgets.await.map(|o| o.budgets.into_iter().map(|b| view! {
                                    <option value=b.id.to_string()>{format!("{} ({})", b.name, b.period_label)}</option>
                                }).collect_view()).unwrap_or_default()
                            })}
                        </Suspense>
                    </select>
                </label>
                <div class="presets" role="group" aria-label="Period">
                    {presets.into_iter().map(|p| view! {
                        <button type="button" class="segment" on:click=move |_| preset(p.range(today))>{p.label()}</button>
                    }).collect_view()}
                </div>
                <button type="submit" class="button" disabled=move || generate.pending().get()>
                    {move || if generate.pending().get() { "Generating…" } else { "Generate" }}
                </button>
            </form>
        </section>
        {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        {move || generate.value().get().and_then(|r| r.ok()).map(|v: ReportView| {
            let p = v.params.clone();
            view! {
                <section class="report-actions">
                    <form class="inline-form" on:submit=move |ev| {
                        ev.prevent_default();
                        save.dispatch(SaveReport {
                            kind: p.kind.as_str().into(), from: p.from.to_string(), to: p.to.to_string(),
                            scope: p.scope.as_str().into(), budget: p.budget.map(|b| b.to_string()).unwrap_or_default(),
                            title: title.get_untracked(),
                        });
                    }>
                        <label>"Title" <input name="title" maxlength="200" placeholder=v.report.title.clone()
                            prop:value=title on:input=move |ev| title.set(event_target_value(&ev))/></label>
                        <button type="submit" class="button small">"Save report"</button>
                    </form>
                </section>
                <ReportBody report=v.report charts=v.charts/>
            }
        })}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match saved.await {
                    Err(AppError::Unauthorized) => view! { <SignInPrompt message="Sign in to see your reports."/> }.into_any(),
                    Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty-state">"No saved reports yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <section class="account-group" aria-labelledby="saved-reports">
                            <div class="group-header"><h2 id="saved-reports">"Saved reports"</h2></div>
                            <table class="accounts saved-reports">
                                <thead><tr>
                                    <th scope="col">"Report"</th><th scope="col">"Period"</th>
                                    <th scope="col" class="num">"Version"</th><th scope="col">"Generated"</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|r| view! {
                                        <tr>
                                            <td>
                                                <a href=format!("/reports/{}", r.id)>{r.title.clone()}</a>
                                                {r.is_template.then(|| view! { <span class="badge">"Template"</span> })}
                                                {r.shared.then(|| view! { <span class="badge">"Shared"</span> })}
                                            </td>
                                            <td>{match (r.from, r.to) { (Some(f), Some(t)) => format!("{f} – {t}"), _ => String::new() }}
                                                <span class="muted">{format!(" · {}", r.scope.label())}</span></td>
                                            <td class="num">{r.version}</td>
                                            <td class="date">{r.generated_at.map(|g| g.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn SavedReportPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let regenerate = ServerAction::<RegenerateReport>::new();
    let template = ServerAction::<SetReportTemplate>::new();
    let run = ServerAction::<RunTemplate>::new();
    let share = ServerAction::<ShareReport>::new();
    let revoke = ServerAction::<RevokeShare>::new();
    let delete = ServerAction::<DeleteReport>::new();
    let view_data = Resource::new(
        move || (id.get(), template.version().get(), share.version().get(), revoke.version().get()),
        |(id, ..)| saved_report(id),
    );
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(new_id)) = regenerate.value().get() {
            navigate(&format!("/reports/{new_id}"), Default::default());
        } else if let Some(Ok(new_id)) = run.value().get() {
            navigate(&format!("/reports/{new_id}"), Default::default());
        } else if let Some(Ok(())) = delete.value().get() {
            navigate("/reports", Default::default());
        }
    });
    let error = move || {
        [
            regenerate.value().get().and_then(|r| r.err()),
            template.value().get().and_then(|r| r.err()),
            run.value().get().and_then(|r| r.err()),
            share.value().get().and_then(|r| r.err()),
            revoke.value().get().and_then(|r| r.err()),
            delete.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| e.to_string())
    };
    view! {
        {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    Err(AppError::Unauthorized) => view! { <SignInPrompt message="Sign in to see this report."/> }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <Title text="Report not found"/>
                        <section class="empty-state"><h1>"Report not found"</h1><a class="button" href="/reports">"All reports"</a></section>
                    }.into_any(),
                    Err(e) => view! { <section class="error-panel" role="alert"><p>{e.to_string()}</p></section> }.into_any(),
                    Ok(v) => {
                        let Some(meta) = v.saved.clone() else { return ().into_any() };
                        let id = meta.id.to_string();
                        let (id2, id3, id4, id5, id6) = (id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
                        let share_days = RwSignal::new("30".to_string());
                        let (run_from, run_to) = (RwSignal::new(v.params.from.to_string()), RwSignal::new(v.params.to.to_string()));
                        view! {
                            <Title text=v.report.title.clone()/>
                            <header class="page-header">
                                <div>
                                    <p class="eyebrow"><a href="/reports">"Reports"</a>{format!(" · version {}", meta.version)}</p>
                                    <h1>{v.report.title.clone()}</h1>
                                    <p class="muted">{meta.generated_at.map(|g| format!("Generated {}", g.format("%Y-%m-%d %H:%M UTC"))).unwrap_or_default()}</p>
                                </div>
                                <div class="actions downloads">
                                    <a class="button small secondary" href=format!("/reports/{id}/export.csv") download>"CSV"</a>
                                    <a class="button small secondary" href=format!("/reports/{id}/export.xlsx") download>"XLSX"</a>
                                    <a class="button small secondary" href=format!("/reports/{id}/export.pdf") download>"PDF"</a>
                                </div>
                            </header>
                            <section class="account-group report-meta">
                                <p class="versions">"Versions: "
                                    {meta.versions.iter().map(|(vid, n, _)| {
                                        if *vid == meta.id {
                                            view! { <strong aria-current="page">{format!("v{n}")}</strong> }.into_any()
                                        } else {
                                            view! { <a href=format!("/reports/{vid}")>{format!("v{n}")}</a> }.into_any()
                                        }
                                    }).collect_view()}
                                </p>
                                {meta.previous_headline.clone().map(|(n, before)| {
                                    let currency = Currency::parse(&v.report.currency).unwrap_or(Currency::USD);
                                    let now = v.report.headline.clone();
                                    view! {
                                        <table class="accounts compare" aria-label="Compared with the previous version">
                                            <thead><tr>
                                                <th scope="col">"Figure"</th>
                                                <th scope="col" class="num">{format!("v{n}")}</th>
                                                <th scope="col" class="num">{format!("v{}", meta.version)}</th>
                                                <th scope="col" class="num">"Change"</th>
                                            </tr></thead>
                                            <tbody>
                                                {now.into_iter().map(|(name, value)| {
                                                    let old = before.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
                                                    view! {
                                                        <tr>
                                                            <td>{name.replace('_', " ")}</td>
                                                            <td class="num">{old.map(|o| format_money(o, currency)).unwrap_or_default()}</td>
                                                            <td class="num">{format_money(value, currency)}</td>
                                                            <td class="num">{old.map(|o| format_money(value - o, currency)).unwrap_or_default()}</td>
                                                        </tr>
                                                    }
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    }
                                })}
                                {meta.newest.then(|| view! {
                                    <button type="button" class="button small" disabled=move || regenerate.pending().get()
                                        on:click=move |_| { regenerate.dispatch(RegenerateReport { id: id2.clone() }); }>
                                        "Regenerate as a new version"
                                    </button>
                                })}
                                <label class="check">
                                    <input type="checkbox" checked=meta.is_template on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        template.dispatch(SetReportTemplate { id: id3.clone(), on: on.then(|| "on".into()) });
                                    }/>" Template"
                                </label>
                                {meta.is_template.then(|| view! {
                                    <form class="inline-form" on:submit=move |ev| {
                                        ev.prevent_default();
                                        run.dispatch(RunTemplate { id: id4.clone(), from: run_from.get_untracked(), to: run_to.get_untracked() });
                                    }>
                                        <label>"From" <input type="date" prop:value=run_from on:input=move |ev| run_from.set(event_target_value(&ev))/></label>
                                        <label>"To" <input type="date" prop:value=run_to on:input=move |ev| run_to.set(event_target_value(&ev))/></label>
                                        <button type="submit" class="button small">"Run for this period"</button>
                                    </form>
                                })}
                                <div class="share">
                                    {match (&meta.share_token, meta.share_expires_at) {
                                        (Some(token), Some(expires)) if expires > chrono::Utc::now() => view! {
                                            <p>"Shared: " <a href=format!("/shared/{token}") data-testid="share-link">{format!("/shared/{token}")}</a>
                                                <span class="muted">{format!(" until {}", expires.format("%Y-%m-%d"))}</span>
                                                <button type="button" class="link-button danger"
                                                    on:click=move |_| { revoke.dispatch(RevokeShare { id: id5.clone() }); }>"Revoke"</button>
                                            </p>
                                        }.into_any(),
                                        _ => view! {
                                            <form class="inline-form" on:submit=move |ev| {
                                                ev.prevent_default();
                                                share.dispatch(ShareReport { id: id5.clone(), days: share_days.get_untracked() });
                                            }>
                                                <label>"Share for" <input type="number" min="1" max="90" prop:value=share_days
                                                    on:input=move |ev| share_days.set(event_target_value(&ev))/>" days"</label>
                                                <button type="submit" class="button small">"Create share link"</button>
                                            </form>
                                        }.into_any(),
                                    }}
                                </div>
                                <button type="button" class="link-button danger"
                                    on:click=move |_| { delete.dispatch(DeleteReport { id: id6.clone() }); }>"Delete this version"</button>
                            </section>
                            <ReportBody report=v.report charts=v.charts/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// A shared report: read-only, reachable only through its link's token.
#[component]
pub fn SharedReportPage() -> impl IntoView {
    let params = use_params_map();
    let token = Memo::new(move |_| params.with(|p| p.get("token").unwrap_or_default()));
    let report = Resource::new(move || token.get(), shared_report);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(v) => view! {
                        <Title text=v.report.title.clone()/>
                        <p class="eyebrow">"Shared report (read-only)"</p>
                        <ReportBody report=v.report charts=v.charts/>
                    }.into_any(),
                    Err(_) => view! {
                        <Title text="Link not valid"/>
                        <section class="empty-state"><h1>"This link is not valid"</h1>
                            <p>"It may have expired or been revoked. Ask for a new one."</p></section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
