//! RFC 4028 session timers: who refreshes, when, and when a silent session is dead.
//! Wazo sends `Session-Expires: 300`; a phone that ignores it loses calls at 5 minutes.

use crate::wire::header::{delta_seconds, Refresher, SessionExpires};
use crate::wire::{name, Message};

/// A negotiated session timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SessionTimer {
    pub interval_s: u32,
    /// The refresher as written in Session-Expires of the dialog's last 2xx.
    pub refresher: Refresher,
    /// We are the refresher (computed from our role in the refreshed transaction).
    pub we_refresh: bool,
}

impl SessionTimer {
    /// When we refresh: at half the interval (RFC 4028 §10).
    pub fn refresh_after_ms(&self) -> u64 {
        u64::from(self.interval_s) * 500
    }

    /// When the peer's refresh is overdue: interval minus min(32 s, interval/3) (§10).
    pub fn expiry_after_ms(&self) -> u64 {
        let interval = u64::from(self.interval_s) * 1000;
        interval - (32_000u64).min(interval / 3)
    }
}

/// What a UAS answers to a session-timer request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UasNegotiation {
    /// No Session-Expires in the request: no session timer.
    None,
    Use {
        timer: SessionTimer,
        require_timer: bool,
    },
    /// 422 with our Min-SE.
    TooSmall { min_se: u32 },
}

/// RFC 4028 §9, for an INVITE or UPDATE we answer (we are its UAS).
pub(crate) fn negotiate_as_uas(msg: &Message<'_>, our_min_se: u32) -> UasNegotiation {
    let Some(se) = msg
        .get(name::SESSION_EXPIRES)
        .and_then(|v| SessionExpires::parse(v).ok())
    else {
        return UasNegotiation::None;
    };
    let min_se = our_min_se.max(90);
    if se.delta_s < min_se {
        return UasNegotiation::TooSmall { min_se };
    }
    let uac_supports =
        msg.has_token(name::SUPPORTED, "timer") || msg.has_token(name::REQUIRE, "timer");
    // A UAC that supports timers keeps the role it asked for, or refreshes itself if it
    // left the choice to us (one refresh less for the browser). One that does not support
    // them cannot refresh, so we must (§9).
    let refresher = match (uac_supports, se.refresher) {
        (false, _) => Refresher::Uas,
        (true, Some(r)) => r,
        (true, None) => Refresher::Uac,
    };
    UasNegotiation::Use {
        timer: SessionTimer {
            interval_s: se.delta_s,
            refresher,
            we_refresh: refresher == Refresher::Uas,
        },
        require_timer: uac_supports,
    }
}

/// RFC 4028 §7.2, for a 2xx to a request we sent (we are its UAC).
pub(crate) fn from_uac_response(msg: &Message<'_>) -> Option<SessionTimer> {
    let se = msg
        .get(name::SESSION_EXPIRES)
        .and_then(|v| SessionExpires::parse(v).ok())?;
    let refresher = se.refresher.unwrap_or(Refresher::Uac);
    Some(SessionTimer {
        interval_s: se.delta_s.max(90),
        refresher,
        we_refresh: refresher == Refresher::Uac,
    })
}

/// Min-SE from a 422 response.
pub(crate) fn min_se_of(msg: &Message<'_>) -> Option<u32> {
    msg.get(name::MIN_SE).and_then(delta_seconds)
}
