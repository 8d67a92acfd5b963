//! Categories: the system defaults plus the user's own, in one tree; create, rename,
//! move, merge and archive the user's own. Also the per-tax-year deductible summary.

use crate::error::AppError;
use leptos::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    /// `income`, `expense` or `transfer`.
    pub kind: String,
    pub icon: Option<String>,
    /// A system default: everyone's, nobody's to change.
    pub system: bool,
    pub archived: bool,
    pub transactions: i64,
}

impl Category {
    /// Categories ordered as a tree (each parent followed by its children), with depth.
    pub fn tree(all: &[Category]) -> Vec<(usize, Category)> {
        fn walk(all: &[Category], parent: Option<Uuid>, depth: usize, out: &mut Vec<(usize, Category)>) {
            for c in all.iter().filter(|c| c.parent_id == parent) {
                out.push((depth, c.clone()));
                if depth < 16 {
                    walk(all, Some(c.id), depth + 1, out);
                }
            }
        }
        let mut out = Vec::with_capacity(all.len());
        walk(all, None, 0, &mut out);
        out
    }

    /// The label in a picker: the path from the root, "Food › Groceries".
    pub fn path(&self, all: &[Category]) -> String {
        let mut parts = vec![self.name.clone()];
        let mut parent = self.parent_id;
        while let Some(p) = parent.and_then(|id| all.iter().find(|c| c.id == id)) {
            if parts.len() > 16 {
                break;
            }
            parts.push(p.name.clone());
            parent = p.parent_id;
        }
        parts.reverse();
        parts.join(" › ")
    }
}

/// Every category the user sees; with `counts`, how many transactions use each.
#[cfg(feature = "ssr")]
impl From<crate::data::categories::CategoryRow> for Category {
    fn from(c: crate::data::categories::CategoryRow) -> Self {
        Category {
            id: c.id,
            parent_id: c.parent_id,
            name: c.name,
            kind: c.kind,
            icon: c.icon,
            system: c.is_system,
            archived: c.archived,
            transactions: c.transactions,
        }
    }
}

#[server(prefix = "/api", endpoint = "categories")]
pub async fn list_categories(#[server(default)] counts: bool) -> Result<Vec<Category>, AppError> {
    crate::error::respond(ssr::list(counts).await)
}

#[server(prefix = "/api", endpoint = "create_category")]
pub async fn create_category(
    name: String,
    #[server(default)] parent: String,
    #[server(default)] kind: String,
) -> Result<Uuid, AppError> {
    crate::error::respond(ssr::create(&name, &parent, &kind).await)
}

#[server(prefix = "/api", endpoint = "rename_category")]
pub async fn rename_category(id: String, name: String) -> Result<(), AppError> {
    crate::error::respond(ssr::rename(&id, &name).await)
}

/// Moves one of the user's categories under another (or to the top, with no parent).
#[server(prefix = "/api", endpoint = "move_category")]
pub async fn move_category(id: String, #[server(default)] parent: String) -> Result<(), AppError> {
    crate::error::respond(ssr::move_to(&id, &parent).await)
}

/// Merges one of the user's categories into another: its transactions, rules, budget
/// lines and subcategories move over, and it is gone.
#[server(prefix = "/api", endpoint = "merge_category")]
pub async fn merge_category(source: String, target: String) -> Result<u64, AppError> {
    crate::error::respond(ssr::merge(&source, &target).await)
}

#[server(prefix = "/api", endpoint = "archive_category")]
pub async fn archive_category(id: String, archived: bool) -> Result<(), AppError> {
    crate::error::respond(ssr::archive(&id, archived).await)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeductibleLine {
    pub category: String,
    pub count: i64,
    /// Spending as a positive amount (refunds reduce it).
    pub total: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaxYearSummary {
    /// Tax years that have transactions, newest first.
    pub years: Vec<i32>,
    pub year: Option<i32>,
    /// 1 = January (calendar years).
    pub fiscal_year_start_month: i32,
    /// The user's default currency, which the amounts are shown in.
    pub currency: manna_core::Currency,
    pub lines: Vec<DeductibleLine>,
    pub total: Decimal,
}

/// Deductible spending by category for one tax year (the latest when none is given).
#[server(prefix = "/api", endpoint = "tax_summary")]
pub async fn tax_summary(#[server(default)] year: Option<i32>) -> Result<TaxYearSummary, AppError> {
    crate::error::respond(ssr::tax_summary(year).await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::auth::ssr::{actor, pool, require_user, require_user_tx};
    use crate::data::{DbError, audit, categories, tax, user_tx};
    use crate::input;

    fn name(value: &str) -> Result<String, AppError> {
        input::text("Name", value, 100)
    }

    pub async fn list(counts: bool) -> Result<Vec<Category>, AppError> {
        let (user, mut tx) = require_user_tx(None).await?;
        Ok(categories::visible(&mut tx, user.user_id, counts).await?.into_iter().map(Category::from).collect())
    }

    pub async fn create(name_in: &str, parent: &str, kind: &str) -> Result<Uuid, AppError> {
        let user = require_user().await?;
        let name = name(name_in)?;
        let parent = input::optional_id(parent)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let kind = match parent {
            // A subcategory is of its parent's kind.
            Some(p) => categories::usable_kind(&mut tx, user.user_id, p).await?,
            None => match kind.trim() {
                "" | "expense" => "expense".to_string(),
                k @ ("income" | "transfer") => k.to_string(),
                other => return Err(AppError::Invalid(format!("\"{other}\" is not a kind of category"))),
            },
        };
        let id = categories::create(&mut tx, user.user_id, &name, parent, &kind).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("ledger.category_created", "category", Some(id))
                .new_values(serde_json::json!({ "name": name, "parent_id": parent, "kind": kind })),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(id)
    }

    pub async fn rename(id: &str, new_name: &str) -> Result<(), AppError> {
        let user = require_user().await?;
        let id = input::id(id)?;
        let new_name = name(new_name)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let (old, _) = categories::lock_own(&mut tx, user.user_id, id).await?;
        categories::rename(&mut tx, user.user_id, id, &new_name).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("ledger.category_renamed", "category", Some(id))
                .old(serde_json::json!({ "name": old }))
                .new_values(serde_json::json!({ "name": new_name })),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }

    pub async fn move_to(id: &str, parent: &str) -> Result<(), AppError> {
        let user = require_user().await?;
        let id = input::id(id)?;
        let parent = input::optional_id(parent)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let (_, old_parent) = categories::lock_own(&mut tx, user.user_id, id).await?;
        if let Some(p) = parent {
            categories::usable_kind(&mut tx, user.user_id, p).await?;
            if categories::subtree(&mut tx, user.user_id, id).await?.contains(&p) {
                return Err(AppError::Invalid("a category cannot move under itself or its own subcategories".into()));
            }
        }
        categories::set_parent(&mut tx, user.user_id, id, parent).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("ledger.category_moved", "category", Some(id))
                .old(serde_json::json!({ "parent_id": old_parent }))
                .new_values(serde_json::json!({ "parent_id": parent })),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }

    pub async fn merge(source: &str, target: &str) -> Result<u64, AppError> {
        let user = require_user().await?;
        let (source, target) = (input::id(source)?, input::id(target)?);
        if source == target {
            return Err(AppError::Invalid("choose another category to merge into".into()));
        }
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let (source_name, _) = categories::lock_own(&mut tx, user.user_id, source).await?;
        categories::usable_kind(&mut tx, user.user_id, target).await?;
        if categories::subtree(&mut tx, user.user_id, source).await?.contains(&target) {
            return Err(AppError::Invalid("a category cannot merge into one of its own subcategories".into()));
        }
        let merged = categories::merge(&mut tx, user.user_id, source, target).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("ledger.category_merged", "category", Some(source))
                .flags(&["financial"])
                .old(serde_json::json!({ "name": source_name }))
                .new_values(serde_json::json!({ "merged_into": target, "moved": merged })),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(merged.transactions)
    }

    pub async fn archive(id: &str, archived: bool) -> Result<(), AppError> {
        let user = require_user().await?;
        let id = input::id(id)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        categories::lock_own(&mut tx, user.user_id, id).await?;
        categories::set_archived(&mut tx, user.user_id, id, archived).await?;
        let action = if archived { "ledger.category_archived" } else { "ledger.category_restored" };
        audit::record(&mut tx, &actor(Some(user)).await, audit::Entry::new(action, "category", Some(id))).await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }

    pub async fn tax_summary(year: Option<i32>) -> Result<TaxYearSummary, AppError> {
        let (user, mut tx) = require_user_tx(None).await?;
        let (fiscal_year_start_month, currency) = tax::fiscal_start(&mut tx, user.user_id).await?;
        let currency = manna_core::Currency::parse(&currency).unwrap_or(manna_core::Currency::USD);
        let years = tax::years(&mut tx, user.user_id).await?;
        let year = year.or_else(|| years.first().copied());
        let lines = match year {
            Some(y) => tax::deductible_by_category(&mut tx, user.user_id, y).await?,
            None => Vec::new(),
        };
        let lines: Vec<DeductibleLine> = lines
            .into_iter()
            .map(|l| DeductibleLine {
                category: l.category.unwrap_or_else(|| "Uncategorized".into()),
                count: l.count,
                total: -l.total,
            })
            .collect();
        let total = lines.iter().map(|l| l.total).sum();
        Ok(TaxYearSummary { years, year, fiscal_year_start_month, currency, lines, total })
    }
}
