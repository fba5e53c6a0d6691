//! The feed client against a mock HTTP server on 127.0.0.1 serving the
//! recorded fixture: retries, backoff, rate limit, timeouts and the errors
//! an operator sees. Never the internet.

mod support;

use matchday_market::feed::{FeedClient, FeedConfig, FeedError, events_of};
use std::time::Duration;
use support::{MockFeed, Reply, recorded_snapshot};

fn fast(base_url: &str) -> FeedConfig {
    FeedConfig {
        connect_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_secs(2),
        retries: 2,
        backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        min_interval: Duration::ZERO,
        ..FeedConfig::new(base_url)
    }
}

#[test]
fn fetches_and_parses_the_recorded_snapshot() {
    let feed = MockFeed::start(vec![Reply::ok(recorded_snapshot())]);
    let mut client = FeedClient::new(fast(&feed.base_url));
    let (snapshot, raw) = client.snapshot("/events/list?lang=en").unwrap();
    assert_eq!(raw, recorded_snapshot());
    assert_eq!(feed.requests()[0].1, "/events/list?lang=en");
    let (events, ignored) = events_of(&snapshot, "Fonbet", None);
    // 53 fixtures of 2023-04-01/02 + the reserve and youth matches; no
    // corners sub-events, no hockey.
    assert_eq!(events.len(), 55, "{:?}", ignored);
    assert!(
        events
            .iter()
            .any(|e| e.home == "Manchester Utd" || e.away == "Manchester Utd")
    );
    assert!(events.iter().filter(|e| e.odds.is_some()).count() >= 40);
}

#[test]
fn server_errors_are_retried_with_backoff() {
    let feed = MockFeed::start(vec![
        Reply::status(503),
        Reply::status(500),
        Reply::ok(recorded_snapshot()),
    ]);
    let mut client = FeedClient::new(fast(&feed.base_url));
    assert!(client.snapshot("/line").is_ok());
    let times: Vec<_> = feed.requests().iter().map(|r| r.0).collect();
    assert_eq!(times.len(), 3);
    // Backoff doubles: ≥20 ms, then ≥40 ms.
    assert!(times[1] - times[0] >= Duration::from_millis(20));
    assert!(times[2] - times[1] >= Duration::from_millis(40));
}

#[test]
fn too_many_requests_waits_for_retry_after() {
    let feed = MockFeed::start(vec![
        Reply::status(429).with_header("retry-after", "0"),
        Reply::ok(recorded_snapshot()),
    ]);
    let mut client = FeedClient::new(fast(&feed.base_url));
    assert!(client.snapshot("/line").is_ok());
    assert_eq!(feed.requests().len(), 2);
}

#[test]
fn persistent_failures_name_the_status_and_attempts() {
    let feed = MockFeed::start(vec![Reply::status(502)]);
    let mut client = FeedClient::new(fast(&feed.base_url));
    let err = client.snapshot("/line").unwrap_err();
    assert_eq!(
        err,
        FeedError::Status {
            url: format!("{}/line", feed.base_url),
            status: 502,
            attempts: 3
        }
    );
    assert_eq!(feed.requests().len(), 3);
}

#[test]
fn client_errors_are_not_retried() {
    let feed = MockFeed::start(vec![Reply::status(404)]);
    let mut client = FeedClient::new(fast(&feed.base_url));
    let err = client.snapshot("/missing").unwrap_err();
    assert!(
        matches!(
            err,
            FeedError::Status {
                status: 404,
                attempts: 1,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(feed.requests().len(), 1);
}

#[test]
fn an_unreachable_feed_is_a_clear_error() {
    // A port nobody listens on: bind one, then drop it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut client = FeedClient::new(fast(&format!("http://127.0.0.1:{port}")));
    let err = client.snapshot("/line").unwrap_err();
    assert!(
        matches!(err, FeedError::Unreachable { attempts: 3, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("is unreachable"), "{message}");
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(message.contains("check the feed URL"), "{message}");
}

#[test]
fn a_slow_feed_times_out_and_is_retried() {
    let feed = MockFeed::start(vec![
        Reply::ok(recorded_snapshot()).after(Duration::from_millis(1500)),
        Reply::ok(recorded_snapshot()),
    ]);
    let mut config = fast(&feed.base_url);
    config.request_timeout = Duration::from_millis(300);
    let mut client = FeedClient::new(config);
    assert!(client.snapshot("/line").is_ok());
    assert_eq!(feed.requests().len(), 2);
}

#[test]
fn requests_respect_the_rate_limit() {
    let feed = MockFeed::start(vec![Reply::ok(recorded_snapshot())]);
    let mut config = fast(&feed.base_url);
    config.min_interval = Duration::from_millis(150);
    let mut client = FeedClient::new(config);
    for _ in 0..3 {
        client.snapshot("/line").unwrap();
    }
    let times: Vec<_> = feed.requests().iter().map(|r| r.0).collect();
    for pair in times.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(140),
            "{:?}",
            pair[1] - pair[0]
        );
    }
}

#[test]
fn a_body_that_is_not_a_packet_is_malformed() {
    let feed = MockFeed::start(vec![Reply::ok("<html>maintenance</html>")]);
    let mut client = FeedClient::new(fast(&feed.base_url));
    let err = client.snapshot("/line").unwrap_err();
    assert!(matches!(err, FeedError::Malformed { .. }), "{err}");
}
