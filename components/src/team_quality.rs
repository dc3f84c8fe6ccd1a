//! The supervisor board's live call quality: reading the quality collector's live
//! endpoint (`GET <qualityCollector>/live`, schema [`LIVE_SCHEMA`], doc/operations.md)
//! into one badge per agent in a call, how often to ask, and what the board says when
//! the collector cannot be read. Pure code, tested natively
//! (`unit_testing/components/team_quality.rs`); the asking is `src/team_quality.rs`.
//!
//! Agents' gadgets cannot reach the supervisor's: an agent's quality reaches the board
//! only through the collector, which keeps each phone's latest record while its call
//! lives. A line is live at the collector when its latest record is not the call's
//! final one and is younger than `staleAfterS` (twice the gadgets' record interval
//! plus 10 s: 70 s by default); the collector leaves the others out, and the board
//! drops any entry older than the bound the collector itself states, so a collector
//! that forgets to does not leave an ended call's badge up.

use crate::json::Json;
use crate::quality::{tenths, LiveQuality};

/// The live endpoint's schema (the records' is `ttecphone.call-quality/1`).
pub const LIVE_SCHEMA: &str = "ttecphone.call-quality-live/1";
/// Asked every 5 s while the board is shown and the collector answers.
pub const POLL_MS: u32 = 5_000;
/// After a failure: 10 s, doubling to at most 60 s.
pub const RETRY_MIN_MS: u32 = 10_000;
pub const RETRY_MAX_MS: u32 = 60_000;
/// The staleness bound when the collector does not state one (30 s records).
pub const DEFAULT_STALE_AFTER_S: u64 = 70;
/// More lines than this in one answer are refused (a team is tens of agents).
const MAX_LINES: usize = 2_000;

/// One agent's live call quality as the collector last heard it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineQuality {
    /// The agent's WebRTC number (the record's `number`), else its SIP line.
    pub number: String,
    /// MOS in tenths (34 = 3.4); None when the call has no audio to measure yet.
    pub mos: Option<u8>,
    /// The warning the agent's bar shows now (`network-loss`, …), if a known one.
    pub warning: Option<&'static str>,
    /// Seconds since the collector received the record.
    pub age_s: u64,
}

impl LineQuality {
    fn bars(&self) -> LiveQuality {
        LiveQuality {
            mos: self.mos,
            warning: None,
        }
    }

    /// The badge's text: "3.4 poor", and " !" when the agent's bar shows a warning (the
    /// badge's label says which).
    pub fn text(&self) -> String {
        let mut out = match self.mos {
            Some(mos) => format!("{} {}", tenths(u32::from(mos)), self.bars().word()),
            None => "no audio yet".into(),
        };
        if self.warning.is_some() {
            out.push_str(" !");
        }
        out
    }

    /// The bars (0–4) for the badge's class, as the agent's own indicator counts them.
    pub fn level(&self) -> u8 {
        self.bars().bars()
    }

    /// What a screen reader says: "Call quality poor, MOS 3.4: the agent's network is
    /// losing audio; measured 12 s ago".
    pub fn label(&self) -> String {
        let mut out = self.bars().label();
        if let Some(words) = self.warning.and_then(warning_words) {
            out.push_str(": ");
            out.push_str(words);
        }
        out.push_str(&format!("; measured {} s ago", self.age_s));
        out
    }
}

/// The board's words for an agent's warning code.
pub fn warning_words(code: &str) -> Option<&'static str> {
    Some(match code {
        "network-loss" => "the agent's network is losing audio",
        "network-delay" => "the agent's network is delaying audio",
        "far-side-loss" => "the caller's side is losing audio",
        "silent-microphone" => "the agent's microphone is silent",
        _ => return None,
    })
}

fn known_warning(code: &str) -> Option<&'static str> {
    [
        "network-loss",
        "network-delay",
        "far-side-loss",
        "silent-microphone",
    ]
    .into_iter()
    .find(|known| *known == code)
}

/// Why the collector's answer gave no quality.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedError {
    /// No answer (network, CORS, CSP) or an HTTP error status (`Some(status)`).
    Unreachable(Option<u16>),
    /// An answer that is not the live schema.
    Invalid(&'static str),
}

/// What the board knows of the collector.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FeedStatus {
    /// No collector configured, the board not shown, or no answer yet.
    #[default]
    Off,
    Live,
    /// The last `failures` asks failed; the next is in `retry_ms`.
    Failing {
        error: FeedError,
        failures: u32,
        retry_ms: u32,
    },
}

/// The board's live quality: one entry per agent in a call, and the feed's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TeamQuality {
    pub status: FeedStatus,
    pub lines: Vec<LineQuality>,
}

impl TeamQuality {
    /// The live quality of `number`'s call, if the collector reports one.
    pub fn of(&self, number: Option<&str>) -> Option<&LineQuality> {
        let number = number?;
        self.lines.iter().find(|l| l.number == number)
    }

    /// The collector cannot be read (the board shows its notice).
    pub fn failing(&self) -> bool {
        matches!(self.status, FeedStatus::Failing { .. })
    }

    /// Milliseconds until the next ask.
    pub fn next_poll_ms(&self) -> u32 {
        match &self.status {
            FeedStatus::Failing { retry_ms, .. } => *retry_ms,
            _ => POLL_MS,
        }
    }

    /// Folds one answer in. A failure clears the badges (an old reading would pass for
    /// a live one) and backs off.
    pub fn answered(&self, answer: Result<Vec<LineQuality>, FeedError>) -> TeamQuality {
        match answer {
            Ok(lines) => TeamQuality {
                status: FeedStatus::Live,
                lines,
            },
            Err(error) => {
                let failures = match &self.status {
                    FeedStatus::Failing { failures, .. } => failures.saturating_add(1),
                    _ => 1,
                };
                TeamQuality {
                    status: FeedStatus::Failing {
                        error,
                        failures,
                        retry_ms: retry_ms(failures),
                    },
                    lines: Vec::new(),
                }
            }
        }
    }

    /// The board's one line about call quality when it cannot show any.
    pub fn notice(&self) -> Option<String> {
        let FeedStatus::Failing {
            error, retry_ms, ..
        } = &self.status
        else {
            return None;
        };
        let why = match error {
            FeedError::Unreachable(Some(status)) => {
                format!("the call quality collector answered HTTP {status}")
            }
            FeedError::Unreachable(None) => "the call quality collector cannot be reached".into(),
            FeedError::Invalid(_) => {
                "the call quality collector's answer was not understood".into()
            }
        };
        Some(format!(
            "Agents' call quality is not shown: {why}. Trying again in {} s; if it lasts, tell your administrator.",
            retry_ms / 1000
        ))
    }
}

/// The wait after `failures` failures in a row: 10 s, 20 s, 40 s, then 60 s.
pub fn retry_ms(failures: u32) -> u32 {
    let doubled = RETRY_MIN_MS.saturating_mul(1 << failures.saturating_sub(1).min(8));
    doubled.min(RETRY_MAX_MS)
}

/// The live endpoint of a collector URL: `/live` added to its path
/// (`https://q.example.com/ttec?site=a` → `https://q.example.com/ttec/live?site=a`).
pub fn live_url(collector: &str) -> String {
    let split = collector.find(['?', '#']).unwrap_or(collector.len());
    let (path, rest) = collector.split_at(split);
    format!("{}/live{rest}", path.trim_end_matches('/'))
}

/// `3.4` → 34, `4` → 40, `4.45` → 44 (one decimal, as the records write it); 1.0–4.5 only.
fn mos_tenths(value: &Json) -> Result<Option<u8>, &'static str> {
    let text = match value {
        Json::Null => return Ok(None),
        Json::Number(text) => text.as_str(),
        _ => return Err("mosNow is not a number"),
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digit = fraction.bytes().next().filter(u8::is_ascii_digit);
    match (whole, digit) {
        ("1" | "2" | "3" | "4", Some(d)) => {
            let mos = (whole.as_bytes()[0] - b'0') * 10 + (d - b'0');
            if mos <= 45 {
                return Ok(Some(mos));
            }
            Err("mosNow is out of range (1.0-4.5)")
        }
        _ => Err("mosNow is out of range (1.0-4.5)"),
    }
}

/// Reads the live endpoint's answer. A line older than the answer's `staleAfterS`, or
/// a final record, is left out; anything not in the schema is an error (the board then
/// says so), never a panic.
pub fn parse_live(text: &str) -> Result<Vec<LineQuality>, FeedError> {
    let doc = Json::parse(text).map_err(|_| FeedError::Invalid("not JSON"))?;
    if doc.get("schema").and_then(Json::as_str) != Some(LIVE_SCHEMA) {
        return Err(FeedError::Invalid("not the live call quality schema"));
    }
    let stale_after = match doc.get("staleAfterS") {
        None => DEFAULT_STALE_AFTER_S,
        Some(v) => v
            .as_u64()
            .ok_or(FeedError::Invalid("staleAfterS is not a whole number"))?,
    };
    let items = doc
        .get("lines")
        .and_then(Json::as_array)
        .ok_or(FeedError::Invalid("no lines"))?;
    if items.len() > MAX_LINES {
        return Err(FeedError::Invalid("too many lines"));
    }
    let mut out: Vec<LineQuality> = Vec::new();
    for item in items {
        let number = item
            .get("number")
            .or_else(|| item.get("line"))
            .and_then(Json::as_str)
            .filter(|n| !n.is_empty())
            .ok_or(FeedError::Invalid("a line without a number"))?;
        let age_s = item
            .get("ageS")
            .and_then(Json::as_u64)
            .ok_or(FeedError::Invalid("a line without ageS"))?;
        let mos =
            mos_tenths(item.get("mosNow").unwrap_or(&Json::Null)).map_err(FeedError::Invalid)?;
        let last = item.get("final").and_then(Json::as_bool).unwrap_or(false);
        if last || age_s > stale_after || out.iter().any(|l| l.number == number) {
            continue;
        }
        out.push(LineQuality {
            number: number.to_string(),
            mos,
            warning: item
                .get("warningNow")
                .and_then(Json::as_str)
                .and_then(known_warning),
            age_s,
        });
    }
    Ok(out)
}
