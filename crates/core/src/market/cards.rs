//! The `cards` endpoint group.
//!
//! - `GET /predict/cards/`: cards of the published window, filtered by
//!   `region`, `league`, `status`, `from`, `to` (dates, inclusive, UTC),
//!   `value_only`, paginated by `limit` and `offset`. Each filter family is a
//!   listing precomputed at publish time, whose [`DayIndex`] turns status and
//!   dates into row ranges: a request reads the index and the one to three
//!   chunks holding the page.
//! - `GET /predict/cards/{match_id}`: one card, joined on request from the
//!   `lookup` and `odds` interfaces with the same code as the listings.
//!
//! Both learn the live version through `lookup` (the [`CardSource`]), so
//! cards never read the pointer or the prediction and odds records of the
//! other groups themselves.

use crate::error::ApiError;
use crate::json;
use crate::kv::KvRead;
use crate::leagues::{self, LEAGUES};
use crate::library;
use crate::lookup::store_unavailable;
use crate::market::card;
use crate::market::day_index::{self, DayIndex, StatusFilter};
use crate::market::layout::{self as market_layout, CardScope};
use crate::market::pages;
use crate::query::Query;
use crate::response::{DATA_VERSION_HEADER, HttpResponse};
use crate::route;
use crate::types::{LookupError, MatchSummary, OddsQuote, PrecomputedPrediction};

pub const MAX_CARDS_LIMIT: i64 = 1000;
pub const DEFAULT_CARDS_LIMIT: i64 = 100;
/// Rows per card chunk: a card is ~1 KB, so a 100-card page reads 2-3
/// chunks of ~60 KB.
pub const CARD_CHUNK_ROWS: u32 = 64;

/// Where cards get the live version, predictions and odds: the `lookup` and
/// `odds` WIT interfaces in the component, the same reads over a store in
/// native tests ([`KvCardSource`]).
#[allow(async_fn_in_trait)]
pub trait CardSource {
    async fn data_version(&self) -> Result<String, LookupError>;
    async fn precomputed(
        &self,
        version: &str,
        id: i64,
    ) -> Result<Option<PrecomputedPrediction>, LookupError>;
    async fn summary(&self, version: &str, id: i64) -> Result<Option<MatchSummary>, LookupError>;
    async fn quotes(&self, version: &str, id: i64) -> Result<Vec<OddsQuote>, LookupError>;
}

/// [`CardSource`] over a store: what `lookup-lib` and `odds-lib` do.
pub struct KvCardSource<'a, K>(pub &'a K);

impl<K: KvRead> CardSource for KvCardSource<'_, K> {
    async fn data_version(&self) -> Result<String, LookupError> {
        library::data_version(self.0).await
    }
    async fn precomputed(
        &self,
        version: &str,
        id: i64,
    ) -> Result<Option<PrecomputedPrediction>, LookupError> {
        library::precomputed(self.0, version, id).await
    }
    async fn summary(&self, version: &str, id: i64) -> Result<Option<MatchSummary>, LookupError> {
        library::summary(self.0, version, id).await
    }
    async fn quotes(&self, version: &str, id: i64) -> Result<Vec<OddsQuote>, LookupError> {
        library::quotes(self.0, version, id).await
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Route<'a> {
    List,
    One(&'a str),
}

fn route(path: &str) -> Option<Route<'_>> {
    let path = route::trimmed(path);
    if path == "/predict/cards" {
        return Some(Route::List);
    }
    path.strip_prefix("/predict/cards/")
        .filter(|id| !id.is_empty() && !id.contains('/'))
        .map(Route::One)
}

/// The regions of the known leagues, in table order.
pub fn regions() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for league in LEAGUES {
        if !out.contains(&league.region) {
            out.push(league.region);
        }
    }
    out
}

/// The listing that serves a region/league filter. Publish writes region
/// listings only for regions with several leagues; a single-league region
/// is served by its league's listing. `None`: the filters exclude each
/// other (the answer is an empty list).
pub fn scope(region: Option<&str>, league: Option<&str>) -> Option<CardScope> {
    match (region, league) {
        (_, Some(code)) => {
            let league = leagues::league(code)?;
            region
                .is_none_or(|r| r == league.region)
                .then(|| CardScope::League(league.code.to_string()))
        }
        (Some(region), None) => {
            let codes: Vec<&str> = LEAGUES
                .iter()
                .filter(|l| l.region == region)
                .map(|l| l.code)
                .collect();
            match codes.as_slice() {
                [] => None,
                [only] => Some(CardScope::League((*only).to_string())),
                _ => Some(CardScope::Region(region.to_string())),
            }
        }
        (None, None) => Some(CardScope::All),
    }
}

/// Whether publish writes a listing for a region of its own.
pub fn region_has_listing(region: &str) -> bool {
    matches!(scope(Some(region), None), Some(CardScope::Region(_)))
}

/// The canonical spelling of a known value, matched without regard to case.
fn known<'a>(query: &Query, name: &str, allowed: &[&'a str]) -> Result<Option<&'a str>, ApiError> {
    let Some(raw) = query.str(name)? else {
        return Ok(None);
    };
    allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(raw.trim()))
        .map(|a| Some(*a))
        .ok_or_else(|| {
            ApiError::invalid_parameter(
                name,
                format!("{name} must be one of: {}", allowed.join(", ")),
            )
        })
}

/// Parsed and validated listing filters.
#[derive(Debug, PartialEq)]
struct Filters {
    scope: Option<CardScope>,
    value_only: bool,
    status: Option<StatusFilter>,
    from: Option<i32>,
    to: Option<i32>,
    offset: i64,
    limit: i64,
}

fn filters(query: &Query) -> Result<Filters, ApiError> {
    let league_codes: Vec<&str> = LEAGUES.iter().map(|l| l.code).collect();
    let region = known(query, "region", &regions())?;
    let league = known(query, "league", &league_codes)?;
    let status = match query.one_of("status", &["upcoming", "finished"])? {
        Some("upcoming") => Some(StatusFilter::Upcoming),
        Some(_) => Some(StatusFilter::Finished),
        None => None,
    };
    let from = query.date("from")?;
    let to = query.date("to")?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(ApiError::invalid_fields(
            vec!["from".into(), "to".into()],
            "from must not be after to",
        ));
    }
    Ok(Filters {
        scope: scope(region, league),
        value_only: query.bool("value_only")?.unwrap_or(false),
        status,
        from: from.map(day_index::day_number),
        to: to.map(day_index::day_number),
        limit: query
            .int("limit", 1..=MAX_CARDS_LIMIT)?
            .unwrap_or(DEFAULT_CARDS_LIMIT),
        offset: query.int("offset", 0..=i64::MAX)?.unwrap_or(0),
    })
}

fn lookup_failed(err: LookupError) -> ApiError {
    match err {
        LookupError::NoData => ApiError::not_found("no data is published yet"),
        LookupError::Unavailable(message) => {
            eprintln!("cards: {message}");
            ApiError::unavailable("the data store is unavailable; retry shortly")
        }
    }
}

fn respond(body: Vec<u8>, version: Option<&str>) -> HttpResponse {
    HttpResponse::json(body).with_header(DATA_VERSION_HEADER, version.unwrap_or("none"))
}

/// Serves one request of the cards group: `source` gives the version,
/// predictions and odds; `kv` holds the card listings of that version.
pub async fn handle(
    method: &str,
    path: &str,
    query: Option<&str>,
    source: &impl CardSource,
    kv: &impl KvRead,
) -> HttpResponse {
    serve(method, path, query, source, kv)
        .await
        .unwrap_or_else(HttpResponse::from)
}

async fn serve(
    method: &str,
    path: &str,
    query: Option<&str>,
    source: &impl CardSource,
    kv: &impl KvRead,
) -> Result<HttpResponse, ApiError> {
    let route = route(path).ok_or_else(|| ApiError::not_found("no such endpoint"))?;
    route::require_read(method)?;
    let query = Query::parse(query)?;
    match route {
        Route::List => {
            let filters = filters(&query)?;
            let version = match source.data_version().await {
                Ok(version) => version,
                Err(LookupError::NoData) => return Ok(respond(b"[]".to_vec(), None)),
                Err(err) => return Err(lookup_failed(err)),
            };
            let body = listing(kv, &version, &filters).await?;
            Ok(respond(body, Some(&version)))
        }
        Route::One(raw) => {
            let id: i64 = raw.parse().map_err(|_| {
                ApiError::invalid_parameter("match_id", "match_id must be an integer")
            })?;
            one(source, id).await
        }
    }
}

async fn listing(kv: &impl KvRead, version: &str, f: &Filters) -> Result<Vec<u8>, ApiError> {
    let Some(scope_path) = f.scope.as_ref().and_then(CardScope::path) else {
        return Ok(b"[]".to_vec());
    };
    let key = market_layout::card_index_key(version, &scope_path, f.value_only);
    let Some(raw) = kv.get(&key).await.map_err(store_unavailable)? else {
        return Ok(b"[]".to_vec()); // nothing in this listing (or an older version)
    };
    let index = DayIndex::decode(&raw).map_err(|e| store_unavailable(format!("{key}: {e}")))?;
    let ranges = index.ranges(f.status, f.from, f.to);
    let wanted = day_index::page(&ranges, f.offset as u64, f.limit as u64);
    let rows = pages::rows(
        kv,
        |chunk| market_layout::card_chunk_key(version, &scope_path, f.value_only, chunk),
        index.chunk_rows,
        &wanted,
    )
    .await?;
    Ok(json::array(rows.iter().map(Vec::as_slice)))
}

async fn one(source: &impl CardSource, id: i64) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::not_found(format!("no card for match {id}"));
    let version = match source.data_version().await {
        Ok(version) => version,
        Err(LookupError::NoData) => return Err(not_found()),
        Err(err) => return Err(lookup_failed(err)),
    };
    let prediction = source
        .precomputed(&version, id)
        .await
        .map_err(lookup_failed)?
        .ok_or_else(not_found)?;
    let summary = source
        .summary(&version, id)
        .await
        .map_err(lookup_failed)?
        .ok_or_else(not_found)?;
    let quotes = source.quotes(&version, id).await.map_err(lookup_failed)?;
    let card = card::build(&summary, &prediction, &quotes);
    Ok(respond(card.json, Some(&version)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(raw: &str) -> Query {
        Query::parse(Some(raw)).unwrap()
    }

    #[test]
    fn routes() {
        assert_eq!(route("/predict/cards/"), Some(Route::List));
        assert_eq!(route("/predict/cards"), Some(Route::List));
        assert_eq!(route("/predict/cards/12"), Some(Route::One("12")));
        assert_eq!(route("/predict/cards/12/"), Some(Route::One("12")));
        assert_eq!(route("/predict/cards/12/x"), None);
        assert_eq!(route("/predict/cardsx"), None);
    }

    #[test]
    fn scopes_follow_the_league_table() {
        assert_eq!(scope(None, None), Some(CardScope::All));
        assert_eq!(
            scope(Some("England"), None),
            Some(CardScope::Region("England".into()))
        );
        // Spain has one league: its listing serves the region.
        assert_eq!(
            scope(Some("Spain"), None),
            Some(CardScope::League("SP1".into()))
        );
        assert_eq!(
            scope(None, Some("E1")),
            Some(CardScope::League("E1".into()))
        );
        assert_eq!(
            scope(Some("England"), Some("E1")),
            Some(CardScope::League("E1".into()))
        );
        assert_eq!(scope(Some("Spain"), Some("E1")), None);
        assert!(region_has_listing("England") && !region_has_listing("Italy"));
    }

    #[test]
    fn filters_parse_and_every_bad_value_is_a_422() {
        let f = filters(&q("region=england&league=e0&status=finished&from=2023-01-01&to=2023-01-31&value_only=true&limit=5&offset=10")).unwrap();
        assert_eq!(f.scope, Some(CardScope::League("E0".into())));
        assert_eq!(f.status, Some(StatusFilter::Finished));
        assert!(f.value_only && f.limit == 5 && f.offset == 10);
        assert_eq!(f.to.unwrap() - f.from.unwrap(), 30);
        for (bad, field) in [
            ("region=Narnia", "region"),
            ("league=XX", "league"),
            ("status=live", "status"),
            ("from=2023-13-01", "from"),
            ("to=yesterday", "to"),
            ("value_only=maybe", "value_only"),
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("offset=-1", "offset"),
            ("region=England&region=Spain", "region"),
        ] {
            let err = filters(&q(bad)).unwrap_err();
            assert_eq!((err.status, err.fields[0].as_str()), (422, field), "{bad}");
        }
        let err = filters(&q("from=2023-02-01&to=2023-01-01")).unwrap_err();
        assert_eq!(
            (err.status, err.fields.clone()),
            (422, vec!["from".to_string(), "to".to_string()])
        );
    }
}
