//! The auto-answer policy: should this INVITE be answered, when, or rejected with what?
//! It decides before any media is touched, so a rejected call never opens the microphone.

use crate::config::{AgentState, AutoAnswerConfig};
use crate::wire::header::{param, split_list};
use crate::wire::{name, Message};

/// Auto-answer hints carried by the INVITE.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hints {
    /// `Answer-Mode: Auto` (RFC 5373), as Wazo sends it.
    pub answer_mode_auto: bool,
    /// `Call-Info: <…>;answer-after=N`, in milliseconds.
    pub answer_after_ms: Option<u64>,
    /// `Alert-Info: <…>;info=alert-autoanswer`.
    pub alert_autoanswer: bool,
}

impl Hints {
    #[must_use]
    pub fn from_invite(msg: &Message<'_>) -> Hints {
        let answer_mode_auto = msg.get_all(name::ANSWER_MODE).any(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("auto"))
        });
        let answer_after_ms = msg
            .get_all(name::CALL_INFO)
            .flat_map(split_list)
            .filter_map(|info| after_address(info).and_then(|p| param(p, "answer-after")))
            .find_map(|v| v.trim().parse::<u64>().ok())
            .map(|s| s.saturating_mul(1000));
        let alert_autoanswer = msg
            .get_all(name::ALERT_INFO)
            .flat_map(split_list)
            .any(|alert| {
                after_address(alert)
                    .and_then(|p| param(p, "info"))
                    .is_some_and(|i| i.eq_ignore_ascii_case("alert-autoanswer"))
            });
        Hints {
            answer_mode_auto,
            answer_after_ms,
            alert_autoanswer,
        }
    }

    /// The delay the hints ask for, if any.
    fn delay_ms(&self) -> Option<u64> {
        let immediate = (self.answer_mode_auto || self.alert_autoanswer).then_some(0);
        match (immediate, self.answer_after_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Parameters after `<uri>` (Call-Info and Alert-Info carry them there).
fn after_address(value: &str) -> Option<&str> {
    match value.find('>') {
        Some(i) => value.get(i + 1..),
        None => value.find(';').and_then(|i| value.get(i..)),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Answer after this delay (the media edge prepares meanwhile).
    AutoAnswer {
        delay_ms: u64,
    },
    /// Auto-answer is disabled: ring until the driver says Answer or Reject.
    Ring,
    Reject {
        status: u16,
    },
}

/// Preview lines first (480: this phone never takes calls), then busy (486: the agent
/// is on a call), then the Finesse state gate (480: not available), then timing. Hints may shorten the configured delay, never lengthen it,
/// and never bypass the gate.
#[must_use]
pub fn decide(
    config: &AutoAnswerConfig,
    state: &AgentState,
    busy: bool,
    hints: &Hints,
) -> Decision {
    if config.never_answer {
        return Decision::Reject {
            status: config.reject_status,
        };
    }
    if busy {
        return Decision::Reject {
            status: config.busy_status,
        };
    }
    if !config.allowed_states.contains(state) {
        return Decision::Reject {
            status: config.reject_status,
        };
    }
    if !config.enabled {
        return Decision::Ring;
    }
    let delay_ms = match hints.delay_ms() {
        Some(hinted) if config.honour_hints => hinted.min(config.delay_ms),
        _ => config.delay_ms,
    };
    Decision::AutoAnswer { delay_ms }
}
