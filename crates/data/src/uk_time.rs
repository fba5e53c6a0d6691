//! UK civil time → UTC without a time-zone database.
//!
//! football-data gives kick-off times in UK local time. The UK rule since
//! 1996 is the EU one: British Summer Time (UTC+1) runs from 01:00 UTC on the
//! last Sunday of March to 01:00 UTC on the last Sunday of October, GMT (UTC+0)
//! the rest of the year. Every season in the data is covered by that rule, so a
//! whole tz database would be dead weight.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Kick-off assumed when a file has no `Time` column (or an empty one): the
/// traditional Saturday 15:00 UK slot.
pub const DEFAULT_KICKOFF: NaiveTime = match NaiveTime::from_hms_opt(15, 0, 0) {
    Some(time) => time,
    None => panic!("15:00 is a valid time"),
};

/// The last Sunday of `month` (1–12) in `year`.
fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .expect("month in 1..=12");
    let last_day = first_of_next.pred_opt().expect("not the first day ever");
    let days_after_sunday = last_day.weekday().num_days_from_sunday();
    last_day - Duration::days(i64::from(days_after_sunday))
}

/// When BST starts and ends in `year`, as UTC instants.
pub fn bst_period(year: i32) -> (DateTime<Utc>, DateTime<Utc>) {
    let one_am = NaiveTime::from_hms_opt(1, 0, 0).expect("valid time");
    let start = last_sunday(year, 3).and_time(one_am).and_utc();
    let end = last_sunday(year, 10).and_time(one_am).and_utc();
    (start, end)
}

/// Whether UK clocks show BST (UTC+1) at this instant.
pub fn is_bst(instant: DateTime<Utc>) -> bool {
    let (start, end) = bst_period(instant.year());
    start <= instant && instant < end
}

/// The UTC instant of a UK wall-clock time.
///
/// The two hours that the clock changes make odd are resolved the usual way
/// (as `fold = 0` does in Python): in October the repeated hour 01:00–01:59 is
/// read as its first (BST) occurrence; in March the skipped hour 01:00–01:59 is
/// read as GMT. No football match kicks off then.
pub fn uk_local_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    let if_summer = Utc.from_utc_datetime(&(local - Duration::hours(1)));
    if is_bst(if_summer) {
        if_summer
    } else {
        Utc.from_utc_datetime(&local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
            .unwrap()
            .and_utc()
    }

    fn uk(s: &str) -> DateTime<Utc> {
        uk_local_to_utc(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
    }

    #[test]
    fn bst_periods_match_published_dates() {
        // Published UK clock-change dates.
        assert_eq!(
            bst_period(2019),
            (utc("2019-03-31 01:00"), utc("2019-10-27 01:00"))
        );
        assert_eq!(
            bst_period(2020),
            (utc("2020-03-29 01:00"), utc("2020-10-25 01:00"))
        );
        assert_eq!(
            bst_period(2005),
            (utc("2005-03-27 01:00"), utc("2005-10-30 01:00"))
        );
        assert_eq!(
            bst_period(2022),
            (utc("2022-03-27 01:00"), utc("2022-10-30 01:00"))
        );
        // Last Sunday falling on the 31st and on the 25th.
        assert_eq!(
            bst_period(2024),
            (utc("2024-03-31 01:00"), utc("2024-10-27 01:00"))
        );
        assert_eq!(
            bst_period(2021),
            (utc("2021-03-28 01:00"), utc("2021-10-31 01:00"))
        );
    }

    #[test]
    fn summer_and_winter_kickoffs() {
        assert_eq!(uk("2019-08-09 20:00"), utc("2019-08-09 19:00"));
        assert_eq!(uk("2019-12-26 12:30"), utc("2019-12-26 12:30"));
        assert_eq!(uk("2020-07-26 16:00"), utc("2020-07-26 15:00"));
        assert_eq!(uk("2021-01-02 15:00"), utc("2021-01-02 15:00"));
    }

    #[test]
    fn spring_transition_day() {
        // Saturday before: still GMT.
        assert_eq!(uk("2019-03-30 15:00"), utc("2019-03-30 15:00"));
        // Sunday of the change: 00:59 GMT, then clocks jump 01:00 → 02:00.
        assert_eq!(uk("2019-03-31 00:59"), utc("2019-03-31 00:59"));
        assert_eq!(uk("2019-03-31 02:00"), utc("2019-03-31 01:00"));
        assert_eq!(uk("2019-03-31 14:00"), utc("2019-03-31 13:00"));
        // The skipped hour is read as GMT.
        assert_eq!(uk("2019-03-31 01:30"), utc("2019-03-31 01:30"));
    }

    #[test]
    fn autumn_transition_day() {
        // Saturday before: still BST.
        assert_eq!(uk("2019-10-26 15:00"), utc("2019-10-26 14:00"));
        // Sunday of the change: 01:59 BST is 00:59 UTC, clocks go back at 02:00 BST.
        assert_eq!(uk("2019-10-27 00:30"), utc("2019-10-26 23:30"));
        // The repeated hour is read as its first (BST) occurrence.
        assert_eq!(uk("2019-10-27 01:30"), utc("2019-10-27 00:30"));
        assert_eq!(uk("2019-10-27 02:00"), utc("2019-10-27 02:00"));
        assert_eq!(uk("2019-10-27 16:30"), utc("2019-10-27 16:30"));
    }

    #[test]
    fn is_bst_is_half_open() {
        let (start, end) = bst_period(2019);
        assert!(!is_bst(start - Duration::seconds(1)));
        assert!(is_bst(start));
        assert!(is_bst(end - Duration::seconds(1)));
        assert!(!is_bst(end));
    }

    #[test]
    fn default_kickoff_is_three_pm() {
        assert_eq!(DEFAULT_KICKOFF, NaiveTime::from_hms_opt(15, 0, 0).unwrap());
    }
}
