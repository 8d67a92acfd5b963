use super::*;
use crate::import::normalize_description;
use proptest::prelude::*;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, d).unwrap()
}

fn cents(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

fn candidate(index: usize, d: u32, amount: i64, description: &str, fitid: Option<&str>) -> Candidate {
    Candidate {
        index,
        date: day(d),
        amount: cents(amount),
        normalized: normalize_description(description),
        fitid: fitid.map(String::from),
    }
}

fn existing(n: u128, d: u32, amount: i64, description: &str, fitid: Option<&str>) -> Existing {
    Existing {
        id: Uuid::from_u128(n),
        date: day(d),
        amount: cents(amount),
        normalized: normalize_description(description),
        fitid: fitid.map(String::from),
        source: "plaid".to_string(),
    }
}

fn verdicts(decisions: &[Decision]) -> Vec<(Option<u128>, DuplicateReason)> {
    decisions.iter().map(|d| (d.duplicate_of.map(|u| u.as_u128()), d.reason)).collect()
}

#[test]
fn similar_descriptions_rules() {
    assert!(similar_descriptions("starbucks seattle", "starbucks seattle wa"));
    assert!(similar_descriptions("amazon mktp", "amazon com"));
    assert!(similar_descriptions("", ""));
    assert!(!similar_descriptions("", "shell"));
    assert!(!similar_descriptions("star", "starbucks"), "a prefix must end at a word");
    assert!(!similar_descriptions("bp gas", "bp oil"), "a shared first word needs four letters");
    assert!(!similar_descriptions("shell oil", "chevron"));
}

#[test]
fn fitid_match_wins_over_everything() {
    let new = [candidate(0, 5, -1200, "Anything", Some("A1"))];
    let old = [existing(1, 1, -9999, "Something else", Some("A1")), existing(2, 5, -1200, "Anything", None)];
    assert_eq!(verdicts(&duplicates(&new, &old, 3)), vec![(Some(1), DuplicateReason::SameFitid)]);
}

#[test]
fn same_day_and_near_date_matches() {
    let new = [
        candidate(0, 10, -450, "STARBUCKS #1234 SEATTLE WA", None),
        candidate(1, 12, -2000, "SHELL OIL 57442", None),
        candidate(2, 20, -2000, "SHELL OIL 57442", None),
    ];
    let old = [existing(7, 10, -450, "Starbucks Seattle", None), existing(8, 14, -2000, "Shell", None)];
    assert_eq!(
        verdicts(&duplicates(&new, &old, 3)),
        vec![
            (Some(7), DuplicateReason::SameDayAmountDescription),
            (Some(8), DuplicateReason::NearDateAmountDescription { days: 2 }),
            (None, DuplicateReason::New),
        ]
    );
}

#[test]
fn outside_the_window_or_another_amount_is_new() {
    let new = [candidate(0, 10, -450, "Starbucks", None), candidate(1, 10, -451, "Starbucks", None)];
    let old = [existing(1, 14, -450, "Starbucks", None), existing(2, 10, -452, "Starbucks", None)];
    let got = verdicts(&duplicates(&new, &old, 3));
    assert_eq!(got, vec![(None, DuplicateReason::New), (None, DuplicateReason::New)]);
    let wider = verdicts(&duplicates(&new, &old, 4));
    assert_eq!(wider[0], (Some(1), DuplicateReason::NearDateAmountDescription { days: 4 }));
    // A negative window means same day only.
    assert_eq!(verdicts(&duplicates(&new, &old, -5))[0], (None, DuplicateReason::New));
}

#[test]
fn two_identical_rows_in_a_file_are_not_duplicates_of_each_other() {
    let new = [candidate(0, 10, -300, "Coffee Cart", None), candidate(1, 10, -300, "Coffee Cart", None)];
    assert_eq!(verdicts(&duplicates(&new, &[], 3)), vec![(None, DuplicateReason::New), (None, DuplicateReason::New)]);
    // The account has one of the two coffees: one matches, the other is new.
    let old = [existing(5, 10, -300, "COFFEE CART", None)];
    assert_eq!(
        verdicts(&duplicates(&new, &old, 3)),
        vec![(Some(5), DuplicateReason::SameDayAmountDescription), (None, DuplicateReason::New)]
    );
}

#[test]
fn each_existing_row_is_used_once_closest_date_first() {
    let new = [candidate(0, 8, -1000, "Gym", None), candidate(1, 10, -1000, "Gym", None)];
    let old = [existing(1, 11, -1000, "Gym", None), existing(2, 7, -1000, "Gym", None)];
    // Candidate 1 is a day from row 1; candidate 0 a day from row 2.
    assert_eq!(
        verdicts(&duplicates(&new, &old, 5)),
        vec![
            (Some(2), DuplicateReason::NearDateAmountDescription { days: 1 }),
            (Some(1), DuplicateReason::NearDateAmountDescription { days: 1 }),
        ]
    );
    let one_old = [existing(3, 10, -1000, "Gym", None)];
    assert_eq!(
        verdicts(&duplicates(&new, &one_old, 5)),
        vec![(None, DuplicateReason::New), (Some(3), DuplicateReason::SameDayAmountDescription)]
    );
}

#[test]
fn repeated_fitid_in_the_file_and_differing_fitids() {
    let new = [
        candidate(0, 10, -500, "Lunch", Some("X9")),
        candidate(1, 10, -500, "Lunch", Some("X9")),
        candidate(2, 10, -700, "Dinner", Some("Y1")),
    ];
    let old = [existing(1, 10, -700, "Dinner", Some("Z5"))];
    assert_eq!(
        verdicts(&duplicates(&new, &old, 3)),
        vec![(None, DuplicateReason::New), (None, DuplicateReason::AlsoInThisFile), (None, DuplicateReason::New)]
    );
    // A row typed by hand (no FITID) still matches by date, amount and description.
    let manual = [existing(2, 11, -700, "dinner", None)];
    assert_eq!(
        verdicts(&duplicates(&new[2..], &manual, 3)),
        vec![(Some(2), DuplicateReason::NearDateAmountDescription { days: 1 })]
    );
}

#[test]
fn decisions_echo_indexes_in_order() {
    let new = [candidate(42, 1, 100, "A", None), candidate(7, 1, 100, "B", None)];
    let got: Vec<usize> = duplicates(&new, &[], 0).iter().map(|d| d.index).collect();
    assert_eq!(got, vec![42, 7]);
}

#[test]
fn thousands_of_identical_rows_stay_quick() {
    let new: Vec<Candidate> = (0..5000).map(|i| candidate(i, 10, -100, "Parking meter", None)).collect();
    let old: Vec<Existing> =
        (0..5000).map(|i| existing(i as u128, 10 + (i % 3) as u32, -100, "PARKING", None)).collect();
    let decisions = duplicates(&new, &old, 7);
    assert!(decisions.iter().all(|d| d.duplicate_of.is_some()));
}

/// The matching spelled out: every eligible pair, sorted, taken greedily.
fn reference(new: &[Candidate], existing: &[Existing], window: i64) -> Vec<Option<Uuid>> {
    let mut pairs = Vec::new();
    for (c, cand) in new.iter().enumerate() {
        for (e, row) in existing.iter().enumerate() {
            let days = (cand.date - row.date).num_days().abs();
            if days <= window && cand.amount == row.amount && similar_descriptions(&cand.normalized, &row.normalized) {
                pairs.push((days, c, row.date, row.id, e));
            }
        }
    }
    pairs.sort();
    let (mut taken, mut used) = (vec![None; new.len()], vec![false; existing.len()]);
    for (_, c, _, id, e) in pairs {
        if taken[c].is_none() && !used[e] {
            taken[c] = Some(id);
            used[e] = true;
        }
    }
    taken
}

fn row_strategy() -> impl Strategy<Value = (u32, i64, u8)> {
    (1u32..28, -5i64..5, 0u8..4)
}

proptest! {
    /// Every candidate gets one decision, no existing row is used twice, matches respect
    /// the window and amounts, and the result does not depend on running it twice.
    #[test]
    fn matching_invariants(
        new in prop::collection::vec(row_strategy(), 0..20),
        old in prop::collection::vec(row_strategy(), 0..20),
        window in 0i64..5,
    ) {
        let names = ["Coffee", "Coffee Shop", "Grocer", "Coffee Bar"];
        let new: Vec<Candidate> = new.iter().enumerate()
            .map(|(i, (d, a, n))| candidate(i, *d, *a, names[usize::from(*n)], None)).collect();
        let old: Vec<Existing> = old.iter().enumerate()
            .map(|(i, (d, a, n))| existing(i as u128, *d, *a, names[usize::from(*n)], None)).collect();
        let decisions = duplicates(&new, &old, window);
        prop_assert_eq!(decisions.len(), new.len());
        let matched: Vec<Option<Uuid>> = decisions.iter().map(|d| d.duplicate_of).collect();
        prop_assert_eq!(matched, reference(&new, &old, window));
        prop_assert_eq!(&decisions, &duplicates(&new, &old, window));
        let mut used = std::collections::HashSet::new();
        for (decision, c) in decisions.iter().zip(&new) {
            if let Some(id) = decision.duplicate_of {
                prop_assert!(used.insert(id), "existing row used twice");
                let e = old.iter().find(|e| e.id == id).unwrap();
                prop_assert_eq!(e.amount, c.amount);
                prop_assert!((c.date - e.date).num_days().abs() <= window);
            } else {
                prop_assert_eq!(decision.reason, DuplicateReason::New);
            }
        }
    }
}
