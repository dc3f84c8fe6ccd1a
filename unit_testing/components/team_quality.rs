//! The supervisor board's live call quality (components/src/team_quality.rs): reading
//! the collector's live endpoint, the staleness bound, the backoff and the board's
//! words when the collector cannot be read. Native: `cargo test -p ttecphone-components
//! --test team_quality`.

use ttecphone_components::team::{reduce_board, TeamAction, TeamBoard};
use ttecphone_components::team_quality::{
    live_url, parse_live, retry_ms, FeedError, FeedStatus, LineQuality, TeamQuality, LIVE_SCHEMA,
    POLL_MS,
};

/// The numbers an answer lists as live.
fn live_numbers(text: &str) -> Vec<String> {
    parse_live(text)
        .unwrap()
        .into_iter()
        .map(|l| l.number)
        .collect()
}

fn answer(lines: &str) -> String {
    format!(
        r#"{{"schema":"{LIVE_SCHEMA}","now":1765000040000,"staleAfterS":70,"lines":[{lines}]}}"#
    )
}

#[test]
fn a_live_answer_gives_one_entry_per_agent_in_a_call() {
    let text = answer(
        r#"{"number":"3001","line":"3001","ageS":12,"durationS":42,"mosNow":3.4,"mosMin":3.3,"warningNow":"network-loss"},
           {"number":"3002","line":"u7xk2","ageS":3,"mosNow":4.4,"warningNow":null,"somethingNew":[1,2]},
           {"line":"3003","ageS":0,"mosNow":null}"#,
    );
    let lines = parse_live(&text).unwrap();
    assert_eq!(
        lines,
        vec![
            LineQuality {
                number: "3001".into(),
                mos: Some(34),
                warning: Some("network-loss"),
                age_s: 12
            },
            LineQuality {
                number: "3002".into(),
                mos: Some(44),
                warning: None,
                age_s: 3
            },
            // A collector without `number` (older gadgets): the SIP line stands in.
            LineQuality {
                number: "3003".into(),
                mos: None,
                warning: None,
                age_s: 0
            },
        ]
    );
    assert_eq!(lines[0].text(), "3.4 poor !");
    assert_eq!(lines[0].level(), 2);
    assert_eq!(
        lines[0].label(),
        "Call quality poor, MOS 3.4: the agent's network is losing audio; measured 12 s ago"
    );
    assert_eq!(lines[1].text(), "4.4 good");
    assert_eq!(
        lines[1].label(),
        "Call quality good, MOS 4.4; measured 3 s ago"
    );
    assert_eq!(lines[2].text(), "no audio yet");
    assert_eq!(lines[2].level(), 0);
}

#[test]
fn stale_and_final_records_mean_no_live_call() {
    // A collector that keeps them anyway: the board drops an entry older than the bound
    // the answer states, and an end-of-call record.
    let text = answer(
        r#"{"number":"3001","ageS":71,"mosNow":3.4},
           {"number":"3002","ageS":70,"mosNow":4.0},
           {"number":"3003","ageS":1,"mosNow":4.4,"final":true}"#,
    );
    assert_eq!(live_numbers(&text), ["3002"]);
    // Without a stated bound, 70 s (records every 30 s).
    let text = format!(
        r#"{{"schema":"{LIVE_SCHEMA}","lines":[{{"number":"3001","ageS":71}},{{"number":"3002","ageS":69}}]}}"#
    );
    assert_eq!(live_numbers(&text), ["3002"]);
    // A shorter bound (records every 10 s: 30 s).
    let text = format!(
        r#"{{"schema":"{LIVE_SCHEMA}","staleAfterS":30,"lines":[{{"number":"3001","ageS":31}}]}}"#
    );
    assert_eq!(parse_live(&text), Ok(vec![]));
}

#[test]
fn an_unknown_warning_is_left_out_and_a_repeated_number_counts_once() {
    let text = answer(
        r#"{"number":"3001","ageS":2,"mosNow":4.1,"warningNow":"<script>"},
           {"number":"3001","ageS":9,"mosNow":1.0}"#,
    );
    let lines = parse_live(&text).unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].warning, None);
    assert_eq!(lines[0].mos, Some(41));
}

#[test]
fn a_malformed_answer_is_an_error_never_a_panic() {
    let invalid = |text: &str| match parse_live(text) {
        Err(FeedError::Invalid(why)) => why,
        other => panic!("{text}: {other:?}"),
    };
    assert_eq!(invalid(""), "not JSON");
    assert_eq!(invalid("<html>502 Bad Gateway</html>"), "not JSON");
    assert_eq!(invalid("[]"), "not the live call quality schema");
    assert_eq!(
        invalid(r#"{"schema":"ttecphone.call-quality/1","lines":[]}"#),
        "not the live call quality schema"
    );
    assert_eq!(
        invalid(&format!(r#"{{"schema":"{LIVE_SCHEMA}"}}"#)),
        "no lines"
    );
    assert_eq!(
        invalid(&format!(r#"{{"schema":"{LIVE_SCHEMA}","lines":{{}}}}"#)),
        "no lines"
    );
    assert_eq!(
        invalid(&format!(
            r#"{{"schema":"{LIVE_SCHEMA}","staleAfterS":-1,"lines":[]}}"#
        )),
        "staleAfterS is not a whole number"
    );
    assert_eq!(invalid(&answer(r#"{"ageS":1}"#)), "a line without a number");
    assert_eq!(
        invalid(&answer(r#"{"number":"","ageS":1}"#)),
        "a line without a number"
    );
    assert_eq!(
        invalid(&answer(r#"{"number":3001,"ageS":1}"#)),
        "a line without a number"
    );
    assert_eq!(
        invalid(&answer(r#"{"number":"3001"}"#)),
        "a line without ageS"
    );
    assert_eq!(
        invalid(&answer(r#"{"number":"3001","ageS":1.5}"#)),
        "a line without ageS"
    );
    for mos in ["5.0", "4.6", "0.9", "-3", "45", "1e1"] {
        assert_eq!(
            invalid(&answer(&format!(
                r#"{{"number":"3001","ageS":1,"mosNow":{mos}}}"#
            ))),
            "mosNow is out of range (1.0-4.5)",
            "{mos}"
        );
    }
    assert_eq!(
        invalid(&answer(r#"{"number":"3001","ageS":1,"mosNow":"4.4"}"#)),
        "mosNow is not a number"
    );
    // Every cut of a valid answer is an error or a valid reading, never a panic.
    let text = answer(r#"{"number":"3001","ageS":12,"mosNow":3.4,"warningNow":"network-loss"}"#);
    for end in 0..text.len() {
        let _ = parse_live(&text[..end]);
    }
}

#[test]
fn the_live_endpoint_is_the_collector_url_with_live_added() {
    assert_eq!(
        live_url("https://q.example.com/ttec"),
        "https://q.example.com/ttec/live"
    );
    assert_eq!(
        live_url("https://q.example.com/ttec/"),
        "https://q.example.com/ttec/live"
    );
    assert_eq!(
        live_url("https://q.example.com"),
        "https://q.example.com/live"
    );
    assert_eq!(
        live_url("https://q.example.com/ttec?site=a#x"),
        "https://q.example.com/ttec/live?site=a#x"
    );
    assert_eq!(
        live_url("http://127.0.0.1:8083/mock-finesse/qa/quality-collector"),
        "http://127.0.0.1:8083/mock-finesse/qa/quality-collector/live"
    );
}

#[test]
fn failures_back_off_clear_the_badges_and_say_so_in_plain_words() {
    assert_eq!(
        (1..=6).map(retry_ms).collect::<Vec<_>>(),
        [10_000, 20_000, 40_000, 60_000, 60_000, 60_000]
    );
    assert_eq!(retry_ms(u32::MAX), 60_000);
    let live = TeamQuality::default().answered(Ok(vec![LineQuality {
        number: "3001".into(),
        mos: Some(34),
        warning: None,
        age_s: 1,
    }]));
    assert_eq!(live.status, FeedStatus::Live);
    assert_eq!(live.next_poll_ms(), POLL_MS);
    assert!(live.of(Some("3001")).is_some());
    assert!(live.of(Some("3002")).is_none());
    assert!(live.of(None).is_none());
    assert_eq!(live.notice(), None);

    let down = live.answered(Err(FeedError::Unreachable(None)));
    assert!(
        down.lines.is_empty(),
        "an old reading would pass for a live one"
    );
    assert_eq!(down.next_poll_ms(), 10_000);
    assert_eq!(
        down.notice().unwrap(),
        "Agents' call quality is not shown: the call quality collector cannot be reached. Trying again in 10 s; if it lasts, tell your administrator."
    );
    let down = down.answered(Err(FeedError::Unreachable(Some(503))));
    assert_eq!(down.next_poll_ms(), 20_000);
    assert!(down
        .notice()
        .unwrap()
        .contains("answered HTTP 503. Trying again in 20 s"));
    let down = down.answered(Err(FeedError::Invalid("not JSON")));
    assert!(down
        .notice()
        .unwrap()
        .contains("answer was not understood. Trying again in 40 s"));
    let back = down.answered(Ok(vec![]));
    assert_eq!(back.status, FeedStatus::Live);
    assert_eq!(back.next_poll_ms(), POLL_MS);
    assert_eq!(back.notice(), None);
}

#[test]
fn the_board_keeps_the_quality_until_preview_ends() {
    let board = TeamBoard {
        active: true,
        ..TeamBoard::default()
    };
    let line = LineQuality {
        number: "3001".into(),
        mos: Some(34),
        warning: None,
        age_s: 1,
    };
    let board = reduce_board(&board, TeamAction::Quality(Ok(vec![line.clone()])));
    assert_eq!(board.quality.lines, vec![line]);
    let board = reduce_board(&board, TeamAction::Roster(vec![]));
    assert_eq!(
        board.quality.lines.len(),
        1,
        "a roster reload keeps the readings"
    );
    let board = reduce_board(&board, TeamAction::Preview(false));
    assert_eq!(board.quality, TeamQuality::default());
}
