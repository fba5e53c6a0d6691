//! `roi_by_region.parquet` (optional): the flat-stake betting simulation.
//!
//! Columns: `strategy utf8` (`all_picks` | `value_bets`), `group_by utf8`
//! (`region` | `league` | `overall`), `region utf8` (`overall` on the overall
//! row), `league utf8?` (league rows), `bets i64`, `hits i64`,
//! `hit_rate f64`, `profit f64` (in stakes), `roi f64` (profit / bets),
//! `roi_ci_low`, `roi_ci_high f64` (bootstrap 95 % interval), `threshold f64`
//! (the value-bet edge), `odds_source utf8` (which prices were bet).
//!
//! The numbers must agree with each other (hit rate = hits / bets, ROI =
//! profit / bets, a loss of at most one stake per bet), and each strategy has
//! exactly one overall row.

use crate::artifacts::{batch, read_batches, write_batch};
use crate::columns::Column;
use crate::error::ArtifactError;
use arrow_array::ArrayRef;
use arrow_array::builder::{Float64Builder, Int64Builder, StringBuilder};
use arrow_schema::{DataType, Field};
use bytes::Bytes;
use matchday_core::market::layout::{Grouping, Strategy};
use matchday_core::market::wire::OVERALL;
use std::collections::BTreeMap;
use std::sync::Arc;

pub const ROI: &str = "roi_by_region.parquet";

/// What a row aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupBy {
    Overall,
    Group(Grouping),
}

impl GroupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Overall => "overall",
            GroupBy::Group(g) => g.as_str(),
        }
    }

    fn parse(s: &str) -> Option<GroupBy> {
        match s {
            "overall" => Some(GroupBy::Overall),
            other => Grouping::parse(other).map(GroupBy::Group),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoiRecord {
    pub strategy: Strategy,
    pub group_by: GroupBy,
    pub region: String,
    pub league: Option<String>,
    pub bets: u32,
    pub hits: u32,
    pub hit_rate: f64,
    pub profit: f64,
    pub roi: f64,
    pub roi_ci_low: f64,
    pub roi_ci_high: f64,
    pub threshold: f64,
    pub odds_source: String,
}

fn check(r: &RoiRecord) -> Result<(), String> {
    let numbers = [
        r.hit_rate,
        r.profit,
        r.roi,
        r.roi_ci_low,
        r.roi_ci_high,
        r.threshold,
    ];
    if numbers.iter().any(|x| !x.is_finite()) {
        return Err("every number must be finite".into());
    }
    if r.hits > r.bets {
        return Err("hits exceed bets".into());
    }
    let bets = f64::from(r.bets);
    let (hit_rate, roi) = if r.bets == 0 {
        (0.0, 0.0)
    } else {
        (f64::from(r.hits) / bets, r.profit / bets)
    };
    if (r.hit_rate - hit_rate).abs() > 1e-9 || (r.roi - roi).abs() > 1e-9 {
        return Err("hit_rate or roi disagrees with hits, profit and bets".into());
    }
    if r.profit < -bets - 1e-9 {
        return Err("a flat stake cannot lose more than one stake per bet".into());
    }
    if r.roi_ci_low > r.roi_ci_high {
        return Err("roi_ci_low is above roi_ci_high".into());
    }
    let grouped = matches!(r.group_by, GroupBy::Group(Grouping::League));
    if grouped != r.league.is_some() {
        return Err("league is set exactly on league rows".into());
    }
    if (r.group_by == GroupBy::Overall) != (r.region == OVERALL) {
        return Err(format!("region is `{OVERALL}` exactly on the overall row"));
    }
    Ok(())
}

pub fn read(bytes: Bytes) -> Result<Vec<RoiRecord>, ArtifactError> {
    let a = ROI;
    let mut out = Vec::new();
    for batch in read_batches(a, bytes)? {
        let strategy = Column::of(a, &batch, "strategy")?;
        let group_by = Column::of(a, &batch, "group_by")?;
        let region = Column::of(a, &batch, "region")?;
        let league = Column::of(a, &batch, "league")?;
        let bets = Column::of(a, &batch, "bets")?;
        let hits = Column::of(a, &batch, "hits")?;
        let hit_rate = Column::of(a, &batch, "hit_rate")?;
        let profit = Column::of(a, &batch, "profit")?;
        let roi = Column::of(a, &batch, "roi")?;
        let low = Column::of(a, &batch, "roi_ci_low")?;
        let high = Column::of(a, &batch, "roi_ci_high")?;
        let threshold = Column::of(a, &batch, "threshold")?;
        let source = Column::of(a, &batch, "odds_source")?;
        for row in 0..batch.num_rows() {
            let n = out.len();
            let count = |col: &Column, what: &str| -> Result<u32, ArtifactError> {
                u32::try_from(col.i64(row)?)
                    .map_err(|_| ArtifactError::row(a, n, format!("{what} is not a count")))
            };
            let record = RoiRecord {
                strategy: Strategy::parse(strategy.str(row)?).ok_or_else(|| {
                    ArtifactError::row(a, n, "strategy must be all_picks or value_bets")
                })?,
                group_by: GroupBy::parse(group_by.str(row)?).ok_or_else(|| {
                    ArtifactError::row(a, n, "group_by must be region, league or overall")
                })?,
                region: region.str(row)?.to_string(),
                league: league.str_opt(row)?.map(str::to_string),
                bets: count(&bets, "bets")?,
                hits: count(&hits, "hits")?,
                hit_rate: hit_rate.f64(row)?,
                profit: profit.f64(row)?,
                roi: roi.f64(row)?,
                roi_ci_low: low.f64(row)?,
                roi_ci_high: high.f64(row)?,
                threshold: threshold.f64(row)?,
                odds_source: source.str(row)?.to_string(),
            };
            check(&record).map_err(|detail| ArtifactError::row(a, n, detail))?;
            out.push(record);
        }
    }
    let mut overall: BTreeMap<Strategy, usize> = BTreeMap::new();
    for r in &out {
        if r.group_by == GroupBy::Overall {
            *overall.entry(r.strategy).or_default() += 1;
        }
    }
    for r in &out {
        if overall.get(&r.strategy).copied().unwrap_or(0) != 1 {
            return Err(ArtifactError::schema(
                a,
                format!(
                    "strategy {} needs exactly one overall row",
                    r.strategy.as_str()
                ),
            ));
        }
    }
    Ok(out)
}

pub fn write(records: &[RoiRecord]) -> Result<Vec<u8>, ArtifactError> {
    let a = ROI;
    let (mut strategy, mut group_by, mut region, mut league, mut source) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    let (mut bets, mut hits) = (Int64Builder::new(), Int64Builder::new());
    let mut floats: Vec<Float64Builder> = (0..6).map(|_| Float64Builder::new()).collect();
    for r in records {
        strategy.append_value(r.strategy.as_str());
        group_by.append_value(r.group_by.as_str());
        region.append_value(&r.region);
        league.append_option(r.league.as_deref());
        source.append_value(&r.odds_source);
        bets.append_value(i64::from(r.bets));
        hits.append_value(i64::from(r.hits));
        for (builder, value) in floats.iter_mut().zip([
            r.hit_rate,
            r.profit,
            r.roi,
            r.roi_ci_low,
            r.roi_ci_high,
            r.threshold,
        ]) {
            builder.append_value(value);
        }
    }
    let mut fields = vec![
        Field::new("strategy", DataType::Utf8, false),
        Field::new("group_by", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, false),
        Field::new("league", DataType::Utf8, true),
        Field::new("bets", DataType::Int64, false),
        Field::new("hits", DataType::Int64, false),
    ];
    let names = [
        "hit_rate",
        "profit",
        "roi",
        "roi_ci_low",
        "roi_ci_high",
        "threshold",
    ];
    fields.extend(
        names
            .iter()
            .map(|n| Field::new(*n, DataType::Float64, false)),
    );
    fields.push(Field::new("odds_source", DataType::Utf8, false));
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(strategy.finish()),
        Arc::new(group_by.finish()),
        Arc::new(region.finish()),
        Arc::new(league.finish()),
        Arc::new(bets.finish()),
        Arc::new(hits.finish()),
    ];
    columns.extend(floats.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    columns.push(Arc::new(source.finish()));
    write_batch(a, batch(a, fields, columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn row(
        group_by: GroupBy,
        region: &str,
        league: Option<&str>,
        bets: u32,
        hits: u32,
        profit: f64,
    ) -> RoiRecord {
        RoiRecord {
            strategy: Strategy::AllPicks,
            group_by,
            region: region.into(),
            league: league.map(str::to_string),
            bets,
            hits,
            hit_rate: if bets == 0 {
                0.0
            } else {
                f64::from(hits) / f64::from(bets)
            },
            profit,
            roi: if bets == 0 {
                0.0
            } else {
                profit / f64::from(bets)
            },
            roi_ci_low: -0.5,
            roi_ci_high: 0.5,
            threshold: 0.05,
            odds_source: "PS/B365 opening".into(),
        }
    }

    #[test]
    fn round_trips_and_checks_the_arithmetic() {
        let rows = vec![
            row(GroupBy::Overall, OVERALL, None, 3, 2, 2.5),
            row(GroupBy::Group(Grouping::Region), "England", None, 2, 1, 0.0),
            row(
                GroupBy::Group(Grouping::League),
                "England",
                Some("E0"),
                2,
                1,
                0.0,
            ),
        ];
        assert_eq!(read(write(&rows).unwrap().into()).unwrap(), rows);

        let mut bad = rows.clone();
        bad[1].roi = 0.3;
        assert!(read(write(&bad).unwrap().into()).is_err());
        let mut bad = rows.clone();
        bad[1].hits = 3;
        bad[1].hit_rate = 1.5;
        assert!(read(write(&bad).unwrap().into()).is_err());
        let mut bad = rows.clone();
        bad[1].profit = -5.0;
        bad[1].roi = -2.5;
        assert!(read(write(&bad).unwrap().into()).is_err());
        // No overall row.
        assert!(read(write(&rows[1..]).unwrap().into()).is_err());
        let mut bad = rows.clone();
        bad[2].league = None;
        assert!(read(write(&bad).unwrap().into()).is_err());
    }
}
