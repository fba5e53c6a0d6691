//! The index of a card listing: how its rows split into finished and
//! upcoming matches, and where each match day starts, so that `status`,
//! `from` and `to` become row ranges without reading any row.
//!
//! A listing's rows are ordered finished-then-upcoming and by kick-off within
//! each part. The index stores, per part, one `(day, first row)` entry per
//! match day: ~6 KB for three seasons of every league. Binary, little-endian:
//! magic `MDI1`, `chunk_rows`, `total`, `finished`, the two entry counts,
//! then the entries (`i32` day number, `u32` row). Decoding checks every
//! invariant, so a corrupt record is an error, never a panic.

use crate::codec::CodecError;
use chrono::NaiveDate;
use std::ops::Range;

const MAGIC: &[u8; 4] = b"MDI1";

/// Days since 1970-01-01.
pub fn day_number(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    (date - epoch).num_days() as i32
}

/// The day of an RFC 3339 UTC time (`2023-05-28T15:30:00Z`).
pub fn day_of(time: &str) -> Option<i32> {
    let date = NaiveDate::parse_from_str(time.get(..10)?, "%Y-%m-%d").ok()?;
    Some(day_number(date))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayIndex {
    /// Rows per chunk of the listing.
    pub chunk_rows: u32,
    pub total: u32,
    /// Rows `0..finished` are finished matches, `finished..total` upcoming.
    pub finished: u32,
    /// `(day, first row of that day)`, days increasing, per part.
    pub finished_days: Vec<(i32, u32)>,
    pub upcoming_days: Vec<(i32, u32)>,
}

/// Which part of a listing a request wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Finished,
    Upcoming,
}

impl DayIndex {
    /// Builds the index of rows given as `(is_upcoming, day)` in listing order.
    pub fn build(rows: impl IntoIterator<Item = (bool, i32)>, chunk_rows: u32) -> Self {
        let mut index = DayIndex {
            chunk_rows,
            total: 0,
            finished: 0,
            finished_days: Vec::new(),
            upcoming_days: Vec::new(),
        };
        for (row, (upcoming, day)) in rows.into_iter().enumerate() {
            let days = if upcoming {
                &mut index.upcoming_days
            } else {
                index.finished += 1;
                &mut index.finished_days
            };
            if days.last().is_none_or(|(d, _)| *d != day) {
                days.push((day, row as u32));
            }
            index.total += 1;
        }
        index
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(24 + 8 * (self.finished_days.len() + self.upcoming_days.len()));
        out.extend_from_slice(MAGIC);
        for n in [
            self.chunk_rows,
            self.total,
            self.finished,
            self.finished_days.len() as u32,
            self.upcoming_days.len() as u32,
        ] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        for (day, row) in self.finished_days.iter().chain(&self.upcoming_days) {
            out.extend_from_slice(&day.to_le_bytes());
            out.extend_from_slice(&row.to_le_bytes());
        }
        out
    }

    pub fn decode(buf: &[u8]) -> Result<Self, CodecError> {
        if buf.get(..4) != Some(&MAGIC[..]) {
            return Err(if buf.len() < 4 {
                CodecError::Truncated
            } else {
                CodecError::BadMagic
            });
        }
        let word = |i: usize| -> Result<[u8; 4], CodecError> {
            buf.get(i..i + 4)
                .and_then(|b| b.try_into().ok())
                .ok_or(CodecError::Truncated)
        };
        let header: Vec<u32> = (0..5)
            .map(|i| word(4 + 4 * i).map(u32::from_le_bytes))
            .collect::<Result<_, _>>()?;
        let (chunk_rows, total, finished, nf, nu) = (
            header[0],
            header[1],
            header[2],
            header[3] as usize,
            header[4] as usize,
        );
        let entries = nf.checked_add(nu).ok_or(CodecError::Truncated)?;
        let expected = entries
            .checked_mul(8)
            .and_then(|n| n.checked_add(24))
            .ok_or(CodecError::Truncated)?;
        if buf.len() != expected {
            return Err(if buf.len() < expected {
                CodecError::Truncated
            } else {
                CodecError::BadTable
            });
        }
        let entry = |i: usize| -> Result<(i32, u32), CodecError> {
            Ok((
                i32::from_le_bytes(word(24 + 8 * i)?),
                u32::from_le_bytes(word(28 + 8 * i)?),
            ))
        };
        let finished_days: Vec<(i32, u32)> = (0..nf).map(entry).collect::<Result<_, _>>()?;
        let upcoming_days: Vec<(i32, u32)> = (nf..entries).map(entry).collect::<Result<_, _>>()?;
        let index = DayIndex {
            chunk_rows,
            total,
            finished,
            finished_days,
            upcoming_days,
        };
        if chunk_rows == 0
            || finished > total
            || !Self::part_is_valid(&index.finished_days, 0, finished)
            || !Self::part_is_valid(&index.upcoming_days, finished, total)
        {
            return Err(CodecError::BadTable);
        }
        Ok(index)
    }

    /// Entries of a part `start..end`: days strictly increasing, rows strictly
    /// increasing inside the part, the first at its start; none if empty.
    fn part_is_valid(days: &[(i32, u32)], start: u32, end: u32) -> bool {
        if start == end {
            return days.is_empty();
        }
        days.first().is_some_and(|(_, row)| *row == start)
            && days.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1)
            && days.iter().all(|(_, row)| *row < end)
    }

    /// Rows of one part between days `from` and `to` (inclusive).
    fn part_range(
        days: &[(i32, u32)],
        part: Range<u32>,
        from: Option<i32>,
        to: Option<i32>,
    ) -> Range<u32> {
        let first_row_from = |day: i32| {
            days.iter()
                .find(|(d, _)| *d >= day)
                .map_or(part.end, |(_, row)| *row)
        };
        let start = from.map_or(part.start, first_row_from);
        let end = to.map_or(part.end, |to| {
            to.checked_add(1).map_or(part.end, first_row_from)
        });
        start..end.max(start)
    }

    /// The row ranges (in listing order) of the rows a filter selects.
    pub fn ranges(
        &self,
        status: Option<StatusFilter>,
        from: Option<i32>,
        to: Option<i32>,
    ) -> Vec<Range<u32>> {
        let finished = || Self::part_range(&self.finished_days, 0..self.finished, from, to);
        let upcoming =
            || Self::part_range(&self.upcoming_days, self.finished..self.total, from, to);
        let ranges = match status {
            Some(StatusFilter::Finished) => vec![finished()],
            Some(StatusFilter::Upcoming) => vec![upcoming()],
            None => vec![finished(), upcoming()],
        };
        ranges.into_iter().filter(|r| !r.is_empty()).collect()
    }
}

/// The rows `offset .. offset + limit` of the concatenation of `ranges`.
pub fn page(ranges: &[Range<u32>], offset: u64, limit: u64) -> Vec<Range<u32>> {
    let mut out = Vec::new();
    let (mut skip, mut left) = (offset, limit);
    for range in ranges {
        if left == 0 {
            break;
        }
        let len = u64::from(range.end - range.start);
        if skip >= len {
            skip -= len;
            continue;
        }
        let start = range.start + skip as u32;
        let take = (len - skip).min(left);
        out.push(start..start + take as u32);
        left -= take;
        skip = 0;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Rows: finished on days 10, 10, 12, 15; upcoming on days 15, 16, 16.
    fn sample() -> DayIndex {
        DayIndex::build(
            [
                (false, 10),
                (false, 10),
                (false, 12),
                (false, 15),
                (true, 15),
                (true, 16),
                (true, 16),
            ],
            256,
        )
    }

    #[test]
    fn status_and_dates_become_row_ranges() {
        let index = sample();
        assert_eq!((index.total, index.finished), (7, 4));
        assert_eq!(index.ranges(None, None, None), vec![0..4, 4..7]);
        assert_eq!(
            index.ranges(Some(StatusFilter::Finished), None, None),
            vec![0..4]
        );
        assert_eq!(
            index.ranges(Some(StatusFilter::Upcoming), None, None),
            vec![4..7]
        );
        // Days 12..=15: finished rows 2, 3 and the upcoming row 4.
        assert_eq!(index.ranges(None, Some(12), Some(15)), vec![2..4, 4..5]);
        // From a day with no match: starts at the next match day.
        assert_eq!(index.ranges(None, Some(11), None), vec![2..4, 4..7]);
        assert_eq!(index.ranges(None, Some(17), None), Vec::<Range<u32>>::new());
        assert_eq!(index.ranges(None, None, Some(9)), Vec::<Range<u32>>::new());
        assert_eq!(
            index.ranges(Some(StatusFilter::Upcoming), Some(16), Some(16)),
            vec![5..7]
        );
        // from after to: nothing (the endpoint refuses it earlier anyway).
        assert!(index.ranges(None, Some(16), Some(12)).is_empty());
        assert!(index.ranges(None, Some(i32::MIN), Some(i32::MAX)).len() == 2);
    }

    #[test]
    fn pages_tile_the_ranges() {
        let ranges = vec![2..4, 10..13];
        assert_eq!(page(&ranges, 0, 2), vec![2..4]);
        assert_eq!(page(&ranges, 1, 3), vec![3..4, 10..12]);
        assert_eq!(page(&ranges, 2, 100), vec![10..13]);
        assert!(page(&ranges, 5, 10).is_empty());
        assert!(page(&ranges, 0, 0).is_empty());
    }

    #[test]
    fn round_trips_and_rejects_corruption() {
        let index = sample();
        let bytes = index.encode();
        assert_eq!(DayIndex::decode(&bytes).unwrap(), index);
        assert_eq!(
            DayIndex::decode(&bytes[..bytes.len() - 1]),
            Err(CodecError::Truncated)
        );
        assert_eq!(DayIndex::decode(b"XXXX"), Err(CodecError::BadMagic));
        assert_eq!(DayIndex::decode(b"MD"), Err(CodecError::Truncated));
        let mut bad = bytes.clone();
        bad[12] = 99; // finished > total
        assert_eq!(DayIndex::decode(&bad), Err(CodecError::BadTable));
        let empty = DayIndex::build([], 256);
        assert_eq!(DayIndex::decode(&empty.encode()).unwrap(), empty);
        assert!(empty.ranges(None, None, None).is_empty());
    }

    #[test]
    fn days_of_times() {
        assert_eq!(day_of("1970-01-02T00:00:00Z"), Some(1));
        assert_eq!(day_of("2023-05-28T15:30:00Z"), Some(19505));
        assert_eq!(day_of("garbage"), None);
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut prefixed = MAGIC.to_vec();
            prefixed.extend_from_slice(&bytes);
            for input in [&bytes[..], &prefixed[..]] {
                if let Ok(index) = DayIndex::decode(input) {
                    for r in index.ranges(None, Some(0), Some(100)) {
                        prop_assert!(r.start <= r.end && r.end <= index.total);
                    }
                }
            }
        }

        #[test]
        fn ranges_select_exactly_the_matching_rows(
            mut finished in proptest::collection::vec(0i32..30, 0..40),
            mut upcoming in proptest::collection::vec(20i32..50, 0..40),
            from in 0i32..50, len in 0i32..20,
        ) {
            finished.sort();
            upcoming.sort();
            let rows: Vec<(bool, i32)> = finished.iter().map(|d| (false, *d))
                .chain(upcoming.iter().map(|d| (true, *d))).collect();
            let index = DayIndex::decode(&DayIndex::build(rows.clone(), 7).encode()).unwrap();
            let to = from + len;
            let selected: Vec<u32> = index.ranges(None, Some(from), Some(to))
                .into_iter().flatten().collect();
            let expected: Vec<u32> = rows.iter().enumerate()
                .filter(|(_, (_, d))| *d >= from && *d <= to)
                .map(|(i, _)| i as u32).collect();
            prop_assert_eq!(selected, expected);
        }
    }
}
