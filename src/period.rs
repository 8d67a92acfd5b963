//! Named date ranges a person picks instead of typing dates.

use chrono::{Datelike, Days, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    ThisMonth,
    Last30Days,
    ThisYear,
    LastYear,
}

impl Preset {
    pub const ALL: [Preset; 4] = [Preset::ThisMonth, Preset::Last30Days, Preset::ThisYear, Preset::LastYear];

    /// The name in URLs.
    pub fn slug(self) -> &'static str {
        match self {
            Preset::ThisMonth => "this-month",
            Preset::Last30Days => "last-30-days",
            Preset::ThisYear => "this-year",
            Preset::LastYear => "last-year",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Preset::ThisMonth => "This month",
            Preset::Last30Days => "Last 30 days",
            Preset::ThisYear => "This year",
            Preset::LastYear => "Last year",
        }
    }

    pub fn parse(slug: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.slug() == slug)
    }

    /// The first and last day of the range, both included, as seen on `today`.
    pub fn range(self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        let jan1 = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or(today);
        let dec31 = |y: i32| NaiveDate::from_ymd_opt(y, 12, 31).unwrap_or(today);
        match self {
            Preset::ThisMonth => (today.with_day(1).unwrap_or(today), today),
            Preset::Last30Days => (today.checked_sub_days(Days::new(29)).unwrap_or(today), today),
            Preset::ThisYear => (jan1(today.year()), today),
            Preset::LastYear => (jan1(today.year() - 1), dec31(today.year() - 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn ranges_include_both_ends() {
        let today = d(2026, 3, 1);
        assert_eq!(Preset::ThisMonth.range(today), (d(2026, 3, 1), today));
        assert_eq!(Preset::Last30Days.range(today), (d(2026, 1, 31), today));
        assert_eq!(Preset::ThisYear.range(today), (d(2026, 1, 1), today));
        assert_eq!(Preset::LastYear.range(today), (d(2025, 1, 1), d(2025, 12, 31)));
    }

    #[test]
    fn slugs_round_trip() {
        for p in Preset::ALL {
            assert_eq!(Preset::parse(p.slug()), Some(p));
        }
        assert_eq!(Preset::parse("forever"), None);
    }
}
