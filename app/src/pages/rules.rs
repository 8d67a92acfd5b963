//! Rules: create, preview, save, order, enable, apply and delete categorization rules,
//! with how each one is doing (matches, last match, overrides).

use super::SignInPrompt;
use super::categories::CategoryOptions;
use crate::accounts::{PickerAccount, PickerChoices, ledger_choices};
use crate::categories::Category;
use crate::error::AppError;
use crate::rules::{
    ActionsInput, ApplyRule, ConditionInput, DeleteRule, MoveRule, RuleInput, RulePreview, RuleView, SaveRule,
    SetRuleActive, list_rules, preview_rule,
};
use leptos::prelude::*;
use leptos_meta::Title;

fn failure<T>(value: impl Get<Value = Option<Result<T, AppError>>>) -> Option<String> {
    value.get().and_then(|r| r.err()).map(|e| e.to_string())
}

/// The page's actions, handed to the rows.
#[derive(Clone, Copy)]
struct RuleActions {
    save: ServerAction<SaveRule>,
    apply: ServerAction<ApplyRule>,
    delete: ServerAction<DeleteRule>,
    toggle: ServerAction<SetRuleActive>,
    reorder: ServerAction<MoveRule>,
    /// The rule being edited (its id, or "" for a new one) and its form.
    editing: RwSignal<Option<(String, RuleInput)>>,
}

#[component]
pub fn RulesPage() -> impl IntoView {
    let actions = RuleActions {
        save: ServerAction::new(),
        apply: ServerAction::new(),
        delete: ServerAction::new(),
        toggle: ServerAction::new(),
        reorder: ServerAction::new(),
        editing: RwSignal::new(None),
    };
    let rules = Resource::new(
        move || {
            (
                actions.save.version().get(),
                actions.apply.version().get(),
                actions.delete.version().get(),
                actions.toggle.version().get(),
                actions.reorder.version().get(),
            )
        },
        |_| list_rules(),
    );
    let choices = Resource::new(|| (), |_| ledger_choices());
    // A saved rule closes the editor.
    Effect::new(move |_| {
        if let Some(Ok(_)) = actions.save.value().get() {
            actions.editing.set(None);
        }
    });
    let errors = move || {
        [
            failure(actions.save.value()),
            failure(actions.apply.value()),
            failure(actions.delete.value()),
            failure(actions.toggle.value()),
            failure(actions.reorder.value()),
        ]
        .into_iter()
        .flatten()
        .next()
    };
    view! {
        <Title text="Rules"/>
        <header class="page-header">
            <div>
                <p class="eyebrow">"Categorization"</p>
                <h1>"Rules"</h1>
            </div>
            <a href="/review" class="link-button dark">"Review queue →"</a>
        </header>
        <p class="hint">"Rules run on every new transaction, first to last, before the model. For each field the first matching rule that sets it wins; tags add up."</p>
        {move || errors().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        {move || actions.apply.value().get().and_then(Result::ok).map(|n| view! {
            <p class="notice" role="status">{format!("Applied: {n} transaction{} changed.", if n == 1 { "" } else { "s" })}</p>
        })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match (rules.await, choices.await) {
                    (Err(AppError::Unauthorized), _) | (_, Err(AppError::Unauthorized)) => {
                        view! { <SignInPrompt message="Sign in to see your rules."/> }.into_any()
                    }
                    (Err(e), _) | (_, Err(e)) => view! { <section class="error-panel" role="alert"><p>{e.to_string()}</p></section> }.into_any(),
                    (Ok(list), Ok(choices)) => {
                        let categories = choices.categories.clone();
                        view! { <RulesBody list choices actions/> <BankCategories categories/> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn RulesBody(list: Vec<RuleView>, choices: PickerChoices, actions: RuleActions) -> impl IntoView {
    let count = list.len();
    let categories = choices.categories.clone();
    let accounts = choices.accounts.clone();
    let new_rule = move |_| {
        actions.editing.set(Some((
            String::new(),
            RuleInput {
                mode: "all".into(),
                conditions: vec![ConditionInput {
                    field: "merchant".into(),
                    op: "contains".into(),
                    ..Default::default()
                }],
                ..RuleInput::default()
            },
        )))
    };
    view! {
        {move || match actions.editing.get() {
            Some((id, input)) => view! {
                <RuleEditor id input categories=categories.clone() accounts=accounts.clone() actions/>
            }.into_any(),
            None => view! {
                <p><button type="button" class="button" on:click=new_rule>"New rule"</button></p>
            }.into_any(),
        }}
        {if list.is_empty() {
            view! {
                <section class="empty-state">
                    <h2>"No rules yet"</h2>
                    <p>"A rule files transactions the same way every time: “merchant contains Starbucks → Coffee”."</p>
                </section>
            }.into_any()
        } else {
            view! {
                <section class="account-group" aria-labelledby="rule-list">
                    <div class="group-header"><h2 id="rule-list">"Your rules"</h2></div>
                    <table class="accounts rules">
                        <thead><tr>
                            <th scope="col">"#"</th>
                            <th scope="col">"Rule"</th>
                            <th scope="col" class="num">"Matches"</th>
                            <th scope="col">"Last matched"</th>
                            <th scope="col" class="num">"Overridden"</th>
                            <th scope="col">"On"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().enumerate().map(|(i, r)| view! { <RuleLine position=i + 1 last=i + 1 == count rule=r actions/> }).collect_view()}
                        </tbody>
                    </table>
                </section>
            }.into_any()
        }}
    }
}

#[component]
fn RuleLine(position: usize, last: bool, rule: RuleView, actions: RuleActions) -> impl IntoView {
    let id = rule.id.to_string();
    let (id_up, id_down, id_toggle, id_apply, id_delete, id_edit) =
        (id.clone(), id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
    let input = rule.input.clone();
    let active = rule.active;
    let name = rule.name.clone();
    let override_rate = if rule.match_count > 0 {
        format!("{} ({:.0} %)", rule.override_count, rule.override_count as f64 * 100.0 / rule.match_count as f64)
    } else {
        rule.override_count.to_string()
    };
    view! {
        <tr data-rule-id=id.clone() class:closed=!active>
            <td>{position}</td>
            <td>
                <span class="account-name">{rule.name.clone()}</span>
                <br/><span class="muted">{rule.summary.clone()}</span>
            </td>
            <td class="num">{rule.match_count}</td>
            <td>{rule.last_matched.map(|d| d.to_string()).unwrap_or_else(|| "never".into())}</td>
            <td class="num">{override_rate}</td>
            <td>
                <input type="checkbox" checked=active aria-label=format!("{name} is on")
                    on:change=move |_| { actions.toggle.dispatch(SetRuleActive { id: id_toggle.clone(), active: !active }); }/>
            </td>
            <td class="num actions">
                <button type="button" class="link-button dark" disabled=position == 1 aria-label=format!("Move {} up", rule.name)
                    on:click=move |_| { actions.reorder.dispatch(MoveRule { id: id_up.clone(), direction: "up".into() }); }>"↑"</button>
                <button type="button" class="link-button dark" disabled=last aria-label=format!("Move {} down", rule.name)
                    on:click=move |_| { actions.reorder.dispatch(MoveRule { id: id_down.clone(), direction: "down".into() }); }>"↓"</button>
                <button type="button" class="link-button dark"
                    on:click=move |_| actions.editing.set(Some((id_edit.clone(), input.clone())))>"Edit"</button>
                <button type="button" class="link-button dark"
                    on:click=move |_| { actions.apply.dispatch(ApplyRule { id: id_apply.clone() }); }>"Apply to existing"</button>
                <button type="button" class="link-button dark danger" on:click=move |_| {
                    if confirm(&format!("Delete the rule “{name}”? Transactions it filed keep their categories.")) {
                        actions.delete.dispatch(DeleteRule { id: id_delete.clone() });
                    }
                }>"Delete"</button>
            </td>
        </tr>
    }
}

/// Asks the person in the browser; on the server (never clicked there) it is a no.
fn confirm(message: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        window().confirm_with_message(message).unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = message;
        false
    }
}

const FIELDS: [(&str, &str); 6] = [
    ("merchant", "Merchant"),
    ("description", "Description"),
    ("amount", "Amount"),
    ("account", "Account"),
    ("day_of_month", "Day of month"),
    ("category", "Current category"),
];

#[component]
fn RuleEditor(
    id: String,
    input: RuleInput,
    categories: Vec<Category>,
    accounts: Vec<PickerAccount>,
    actions: RuleActions,
) -> impl IntoView {
    let editing_existing = !id.is_empty();
    let name = RwSignal::new(input.name.clone());
    let mode = RwSignal::new(if input.mode.is_empty() { "all".to_string() } else { input.mode.clone() });
    let next_key = StoredValue::new(input.conditions.len());
    let conditions: RwSignal<Vec<(usize, RwSignal<ConditionInput>)>> =
        RwSignal::new(input.conditions.iter().cloned().enumerate().map(|(i, c)| (i, RwSignal::new(c))).collect());
    let a = input.actions.clone();
    let (category, business, deductible, tags, rename) = (
        RwSignal::new(a.category),
        RwSignal::new(a.business),
        RwSignal::new(a.deductible),
        RwSignal::new(a.tags),
        RwSignal::new(a.rename),
    );
    let current = move || RuleInput {
        name: name.get_untracked(),
        mode: mode.get_untracked(),
        conditions: conditions.get_untracked().iter().map(|(_, c)| c.get_untracked()).collect(),
        actions: ActionsInput {
            category: category.get_untracked(),
            business: business.get_untracked(),
            deductible: deductible.get_untracked(),
            tags: tags.get_untracked(),
            rename: rename.get_untracked(),
        },
    };
    let preview = RwSignal::new(None::<Result<RulePreview, AppError>>);
    let previewing = RwSignal::new(false);
    let run_preview = move |_| {
        let rule = current();
        previewing.set(true);
        leptos::task::spawn_local(async move {
            let result = preview_rule(rule).await;
            let _ = preview.try_set(Some(result));
            let _ = previewing.try_set(false);
        });
    };
    let save_id = id.clone();
    let categories_for_conditions = categories.clone();
    view! {
        <section class="account-group rule-editor" aria-labelledby="rule-editor">
            <div class="group-header"><h2 id="rule-editor">{if editing_existing { "Change rule" } else { "New rule" }}</h2></div>
            <form class="stacked-form" on:submit=move |ev| {
                ev.prevent_default();
                actions.save.dispatch(SaveRule { id: save_id.clone(), rule: current() });
            }>
                <label>"Name" <input name="name" required maxlength="200" prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <fieldset>
                    <legend>"When"
                        <select aria-label="Match" on:change=move |ev| mode.set(event_target_value(&ev))>
                            <option value="all" selected=move || mode.get() == "all">"all"</option>
                            <option value="any" selected=move || mode.get() == "any">"any"</option>
                        </select>
                        " of these hold"
                    </legend>
                    <For each=move || conditions.get() key=|(k, _)| *k let:((key, condition))>
                        <ConditionRow condition categories=categories_for_conditions.clone() accounts=accounts.clone()
                            remove=Callback::new(move |_| conditions.update(|cs| cs.retain(|(k, _)| *k != key)))/>
                    </For>
                    <button type="button" class="link-button dark" on:click=move |_| {
                        let key = next_key.get_value();
                        next_key.set_value(key + 1);
                        conditions.update(|cs| cs.push((key, RwSignal::new(ConditionInput {
                            field: "description".into(), op: "contains".into(), ..Default::default()
                        }))));
                    }>"+ Add a condition"</button>
                </fieldset>
                <fieldset>
                    <legend>"Then"</legend>
                    <label>"Set category"
                        <select name="category" on:change=move |ev| category.set(event_target_value(&ev))>
                            <option value="">"(leave as is)"</option>
                            <CategoryOptions categories=categories.clone() selected=category.get_untracked().parse().ok()/>
                        </select>
                    </label>
                    <label>"Business or personal"
                        <select on:change=move |ev| business.set(event_target_value(&ev))>
                            <option value="" selected=business.get_untracked().is_empty()>"(leave as is)"</option>
                            <option value="business" selected=business.get_untracked() == "business">"Business"</option>
                            <option value="personal" selected=business.get_untracked() == "personal">"Personal"</option>
                        </select>
                    </label>
                    <label>"Tax-deductible"
                        <select on:change=move |ev| deductible.set(event_target_value(&ev))>
                            <option value="" selected=deductible.get_untracked().is_empty()>"(leave as is)"</option>
                            <option value="yes" selected=deductible.get_untracked() == "yes">"Yes"</option>
                            <option value="no" selected=deductible.get_untracked() == "no">"No"</option>
                        </select>
                    </label>
                    <label>"Add tags" <input prop:value=tags placeholder="travel, client-work"
                        on:input=move |ev| tags.set(event_target_value(&ev))/></label>
                    <label>"Rename merchant to" <input prop:value=rename maxlength="200"
                        on:input=move |ev| rename.set(event_target_value(&ev))/></label>
                </fieldset>
                <div class="form-actions">
                    <button type="button" class="button secondary" on:click=run_preview disabled=previewing>
                        {move || if previewing.get() { "Previewing…" } else { "Preview" }}
                    </button>
                    <button type="submit" class="button">"Save rule"</button>
                    <button type="button" class="link-button dark" on:click=move |_| actions.editing.set(None)>"Cancel"</button>
                </div>
            </form>
            {move || preview.get().map(|p| match p {
                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(p) => view! { <PreviewTable preview=p/> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn ConditionRow(
    condition: RwSignal<ConditionInput>,
    categories: Vec<Category>,
    accounts: Vec<PickerAccount>,
    remove: Callback<()>,
) -> impl IntoView {
    let field = move || condition.with(|c| c.field.clone());
    let set = move |f: fn(&mut ConditionInput, String)| {
        move |ev: leptos::ev::Event| condition.update(|c| f(c, event_target_value(&ev)))
    };
    let initial = condition.get_untracked();
    view! {
        <div class="condition-row" role="group" aria-label="Condition">
            <select aria-label="Field" on:change=move |ev| condition.update(|c| {
                c.field = event_target_value(&ev);
                c.op = match c.field.as_str() { "merchant" | "description" => "contains", "amount" => "between", _ => "" }.into();
            })>
                {FIELDS.iter().map(|(value, label)| view! {
                    <option value=*value selected=initial.field == *value>{*label}</option>
                }).collect_view()}
            </select>
            {move || match field().as_str() {
                "merchant" | "description" => view! {
                    <select aria-label="How" on:change=set(|c, v| c.op = v)>
                        <option value="contains" selected=condition.with_untracked(|c| c.op != "equals" && c.op != "regex")>"contains"</option>
                        <option value="equals" selected=condition.with_untracked(|c| c.op == "equals")>"is"</option>
                        <option value="regex" selected=condition.with_untracked(|c| c.op == "regex")>"matches pattern"</option>
                    </select>
                    <input aria-label="Text" required maxlength="200" prop:value=move || condition.with(|c| c.value.clone())
                        on:input=set(|c, v| c.value = v)/>
                }.into_any(),
                "amount" => view! {
                    <select aria-label="How" on:change=set(|c, v| c.op = v)>
                        <option value="between" selected=condition.with_untracked(|c| c.op != "outflow" && c.op != "inflow")>"between"</option>
                        <option value="outflow" selected=condition.with_untracked(|c| c.op == "outflow")>"is money out"</option>
                        <option value="inflow" selected=condition.with_untracked(|c| c.op == "inflow")>"is money in"</option>
                    </select>
                    {move || (condition.with(|c| c.op != "outflow" && c.op != "inflow")).then(|| view! {
                        <input aria-label="Smallest amount" inputmode="decimal" placeholder="min" size="8"
                            prop:value=move || condition.with(|c| c.min.clone()) on:input=set(|c, v| c.min = v)/>
                        <input aria-label="Largest amount" inputmode="decimal" placeholder="max" size="8"
                            prop:value=move || condition.with(|c| c.max.clone()) on:input=set(|c, v| c.max = v)/>
                    })}
                }.into_any(),
                "account" => {
                    let chosen = condition.with_untracked(|c| c.value.clone());
                    view! {
                        <select aria-label="Account" required on:change=set(|c, v| c.value = v)>
                            <option value="">"Choose…"</option>
                            {accounts.iter().map(|a| {
                                let id = a.id.to_string();
                                let selected = id == chosen;
                                view! { <option value=id selected=selected>{a.name.clone()}</option> }
                            }).collect_view()}
                        </select>
                    }.into_any()
                }
                "day_of_month" => view! {
                    <input aria-label="First day" type="number" min="1" max="31" size="3" required
                        prop:value=move || condition.with(|c| c.min.clone()) on:input=set(|c, v| c.min = v)/>
                    "–"
                    <input aria-label="Last day" type="number" min="1" max="31" size="3" required
                        prop:value=move || condition.with(|c| c.max.clone()) on:input=set(|c, v| c.max = v)/>
                }.into_any(),
                _ => view! {
                    <select aria-label="Category" on:change=set(|c, v| c.value = v)>
                        <option value="">"(uncategorized)"</option>
                        <CategoryOptions categories=categories.clone() selected=condition.with_untracked(|c| c.value.parse().ok())/>
                    </select>
                }.into_any(),
            }}
            <button type="button" class="link-button dark" aria-label="Remove condition" on:click=move |_| remove.run(())>"✕"</button>
        </div>
    }
}

#[component]
fn PreviewTable(preview: RulePreview) -> impl IntoView {
    let headline = format!(
        "Matches {} transaction{}; would change {}.",
        preview.matches,
        if preview.matches == 1 { "" } else { "s" },
        preview.changes
    );
    view! {
        <div class="rule-preview" role="status" aria-live="polite">
            <p><strong>{headline}</strong></p>
            {(!preview.sample.is_empty()).then(|| view! {
                <table class="accounts preview">
                    <thead><tr>
                        <th scope="col">"Date"</th><th scope="col">"Description"</th>
                        <th scope="col" class="num">"Amount"</th><th scope="col">"Category now"</th><th scope="col">"After"</th>
                    </tr></thead>
                    <tbody>
                        {preview.sample.into_iter().map(|r| view! {
                            <tr><td>{r.date.to_string()}</td><td>{r.description}</td><td class="num">{format!("{:.2}", r.amount)}</td>
                            <td>{r.category_now.unwrap_or_else(|| "—".into())}</td><td>{r.category_after.unwrap_or_else(|| "—".into())}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </div>
    }
}

/// Where the bank's own categories land: a default for every Plaid category, each
/// one changeable.
#[component]
fn BankCategories(categories: Vec<Category>) -> impl IntoView {
    use crate::bank_categories::{MapBankCategory, bank_categories};
    let map = ServerAction::<MapBankCategory>::new();
    let lines = Resource::new(move || map.version().get(), |_| bank_categories());
    view! {
        <details class="account-group bank-categories">
            <summary><h2>"Bank categories"</h2></summary>
            <p class="hint">"Connected banks send their own category with each transaction. This is where each one lands; change any of them. Rules still run after it."</p>
            {move || failure(map.value()).map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || {
                    let categories = categories.clone();
                    Suspend::new(async move {
                        match lines.await {
                            Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                            Ok(lines) => view! {
                                <table class="accounts bank-map">
                                    <thead><tr><th scope="col">"Bank category"</th><th scope="col">"Files under"</th><th scope="col"></th></tr></thead>
                                    <tbody>
                                        {lines.into_iter().map(|l| {
                                            let (code, reset_code) = (l.code.clone(), l.code.clone());
                                            view! {
                                                <tr data-code=l.code.clone()>
                                                    <td>{l.label.clone()}<br/><code>{l.code.clone()}</code></td>
                                                    <td>
                                                        <select aria-label=format!("Category for {}", l.label) on:change=move |ev| {
                                                            map.dispatch(MapBankCategory { code: code.clone(), category: event_target_value(&ev) });
                                                        }>
                                                            <CategoryOptions categories=categories.clone() selected=l.category_id/>
                                                        </select>
                                                    </td>
                                                    <td>{l.chosen.then(|| view! {
                                                        <button type="button" class="link-button dark" on:click=move |_| {
                                                            map.dispatch(MapBankCategory { code: reset_code.clone(), category: String::new() });
                                                        }>"Use default"</button>
                                                    })}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any(),
                        }
                    })
                }}
            </Transition>
        </details>
    }
}
