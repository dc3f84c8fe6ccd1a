//! One client subscription (RFC 6665) to an agent's busy lamp: the "dialog" (RFC 4235)
//! or "reg" (RFC 3680) event package. Sans-IO like the rest of the core: the caller
//! supplies tags, branches and `now`, sends what [`Subscription::request`] returns,
//! and feeds back the responses and NOTIFYs of this subscription's Call-ID.
//!
//! Lifecycle: `request` (initial SUBSCRIBE) → 407 → `request` with credentials →
//! 2xx (Expires) → NOTIFYs → `refresh_at` → `request` (in-dialog refresh) … →
//! `request` with expires 0 (unsubscribe) → NOTIFY `terminated`. A terminated or
//! failed subscription reports `retry_at`, so the board re-subscribes with backoff.
//!
//! A final response that refuses the subscription for good ([`is_permanent_refusal`],
//! e.g. Asterisk's 489 Bad Event for a package it has no handler for) is
//! [`ResponseOutcome::Refused`]: retried only at the backoff's maximum (60 s), so a
//! phone system that gains the package later is picked up without hammering it.

use crate::presence::{self, DialogEntry, PresenceError};
use crate::time::Instant;
use crate::wire::header::{delta_seconds, param, CSeq, NameAddr};
use crate::wire::name;
use crate::wire::{Message, MessageBuilder, StartLine};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventPackage {
    Dialog,
    Reg,
}

impl EventPackage {
    #[must_use]
    pub fn event(self) -> &'static str {
        match self {
            EventPackage::Dialog => "dialog",
            EventPackage::Reg => "reg",
        }
    }

    #[must_use]
    pub fn accept(self) -> &'static str {
        match self {
            EventPackage::Dialog => "application/dialog-info+xml",
            EventPackage::Reg => "application/reginfo+xml",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubState {
    /// SUBSCRIBE sent, no 2xx yet.
    Pending,
    Active {
        expires_at: Instant,
    },
    /// Ended by the notifier or refused; `reason` as given (Subscription-State reason or status).
    Terminated {
        reason: String,
    },
}

/// What a response to our SUBSCRIBE means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponseOutcome {
    Active {
        expires_s: u32,
    },
    /// 401/407: answer the challenge (header name, value) once with credentials.
    Challenge {
        header: &'static str,
        value: String,
    },
    /// 423: retry with at least this expiry.
    IntervalTooBrief {
        min_expires_s: u32,
    },
    /// Failed for now (timeout, 5xx, 480, 481, …): retried with the growing backoff.
    Failed {
        status: u16,
    },
    /// Refused for good ([`is_permanent_refusal`]): the phone system will not serve this
    /// package for this target; retried at the backoff's maximum only.
    Refused {
        status: u16,
    },
    /// Provisional, or not a response to this subscription.
    Ignored,
}

/// What a NOTIFY of this subscription carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Update {
    Dialogs(Vec<DialogEntry>),
    /// `Some(true)`: at least one active contact.
    Registered(Option<bool>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyOutcome {
    /// Status of the response to send (200, or 481 when not ours, 400 when unreadable).
    pub status: u16,
    pub update: Option<Update>,
    /// The notifier ended the subscription (Subscription-State: terminated).
    pub terminated: Option<String>,
}

/// Refresh this long before expiry (and never later than 80 % of the interval).
const REFRESH_MARGIN_MS: u64 = 10_000;
/// Re-subscribe after a failure: 2 s, 4 s, … capped at 60 s.
const RETRY_BASE_MS: u64 = 2_000;
/// Also the wait after a permanent refusal ([`is_permanent_refusal`]).
pub const RETRY_MAX_MS: u64 = 60_000;
/// `failures` at which the backoff reaches [`RETRY_MAX_MS`] (2 s << 5 = 64 s, capped).
const FAILURES_AT_MAX: u32 = 5;

/// Whether a final response to an initial SUBSCRIBE means "this phone system will not
/// serve this subscription", as opposed to "not now". Per RFC 6665 and RFC 3261:
///
/// - **489 Bad Event**: the notifier does not understand the event package (RFC 6665
///   §4.2.1.1, §8.3.2; §4.1.2.1 keeps 489 apart from the ordinary RFC 3261 handling).
///   Asterisk answers it when no module handles the package (res_pjsip_pubsub
///   `subscription_get_handler_from_rdata`) or none generates the body type asked for;
///   Asterisk has no `reg` (RFC 3680) package at all, and `dialog` only with
///   res_pjsip_exten_state and the dialog-info body generator loaded.
/// - **406 Not Acceptable**: the notifier cannot produce the Accept type (§4.1.2.1).
/// - **405 / 501**: SUBSCRIBE is not allowed or not implemented there (RFC 3261
///   §21.4.6, §21.5.2).
/// - **403 / 603**: the notifier's authorization policy refuses this subscriber
///   (RFC 6665 §4.2.1.3; RFC 3261 §21.4.4: "the request SHOULD NOT be repeated");
///   Asterisk answers 603 to an endpoint with `allow_subscribe = no`.
/// - **404 / 410 / 604**: no such resource (RFC 3261 §21.4.5, §21.4.11, §21.6.3):
///   e.g. Asterisk with exten_state but no hint for the agent's extension.
///
/// RFC 6665 §4.1.2.2's list for refreshes also has 416 and 480–485: they end the
/// dialog usage and a new SUBSCRIBE may succeed (481: the notifier forgot us; 480: not
/// now), so they stay transient, like 408, 5xx and transport failures, and keep the
/// growing backoff. A second challenge on fresh credentials stays transient too.
#[must_use]
pub fn is_permanent_refusal(status: u16) -> bool {
    matches!(status, 403 | 404 | 405 | 406 | 410 | 489 | 501 | 603 | 604)
}

#[derive(Clone, Debug)]
pub struct Subscription {
    pub event: EventPackage,
    /// The watched AOR, `sip:3000@example.com`.
    pub target: String,
    from_uri: String,
    call_id: String,
    from_tag: String,
    to_tag: Option<String>,
    cseq: u32,
    remote_target: Option<String>,
    route_set: Vec<String>,
    pub state: SubState,
    refresh_at: Option<Instant>,
    retry_at: Option<Instant>,
    failures: u32,
    /// Highest dialog-info version applied (stale NOTIFYs are acknowledged, not applied).
    version: Option<u64>,
}

impl Subscription {
    /// `call_id` and `from_tag` come from the caller's random source.
    #[must_use]
    pub fn new(
        event: EventPackage,
        target: &str,
        from_uri: &str,
        call_id: &str,
        from_tag: &str,
    ) -> Subscription {
        Subscription {
            event,
            target: target.to_owned(),
            from_uri: from_uri.to_owned(),
            call_id: call_id.to_owned(),
            from_tag: from_tag.to_owned(),
            to_tag: None,
            cseq: 0,
            remote_target: None,
            route_set: Vec::new(),
            state: SubState::Pending,
            refresh_at: None,
            retry_at: None,
            failures: 0,
            version: None,
        }
    }

    #[must_use]
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// When to send a refresh (`request` with the normal expiry), if active.
    #[must_use]
    pub fn refresh_at(&self) -> Option<Instant> {
        self.refresh_at
    }

    /// When to start over with a new subscription (after a failure or termination).
    #[must_use]
    pub fn retry_at(&self) -> Option<Instant> {
        self.retry_at
    }

    /// Where the next SUBSCRIBE goes: the notifier's Contact once known, else the target.
    /// Digest credentials are computed over this URI.
    #[must_use]
    pub fn request_uri(&self) -> &str {
        self.remote_target.as_deref().unwrap_or(&self.target)
    }

    /// CSeq number of the last SUBSCRIBE built.
    #[must_use]
    pub fn cseq(&self) -> u32 {
        self.cseq
    }

    /// Our From tag: a NOTIFY of this subscription carries it as its To tag.
    #[must_use]
    pub fn from_tag(&self) -> &str {
        &self.from_tag
    }

    /// The notifier's tag, once its 2xx or first NOTIFY fixed the dialog.
    #[must_use]
    pub fn to_tag(&self) -> Option<&str> {
        self.to_tag.as_deref()
    }

    /// Start a new subscription (new Call-ID and From tag, no dialog) after a failure
    /// or termination, keeping the failure count so the backoff keeps growing.
    pub fn restart(&mut self, call_id: &str, from_tag: &str) {
        self.call_id = call_id.to_owned();
        self.from_tag = from_tag.to_owned();
        self.to_tag = None;
        self.cseq = 0;
        self.remote_target = None;
        self.route_set.clear();
        self.state = SubState::Pending;
        self.refresh_at = None;
        self.retry_at = None;
        self.version = None;
    }

    /// The SUBSCRIBE got no usable answer (timeout, refused credentials, lost flow):
    /// terminated, and retried after the backoff.
    pub fn fail_request(&mut self, now: Instant, status: u16) {
        let _ = self.fail(now, status);
    }

    /// A SUBSCRIBE: initial (no dialog yet) or in-dialog (refresh; `expires_s` 0 ends it).
    /// `authorization` is a full (Proxy-)Authorization header (name, value) from the digest layer.
    pub fn request(
        &mut self,
        branch: &str,
        via_host: &str,
        contact: &str,
        expires_s: u32,
        authorization: Option<(&str, &str)>,
    ) -> String {
        self.cseq = self.cseq.saturating_add(1);
        let mut b = MessageBuilder::request("SUBSCRIBE", self.request_uri());
        b.header_fmt(
            name::VIA,
            format_args!("SIP/2.0/WSS {via_host};branch={branch};rport"),
        );
        b.header(name::MAX_FORWARDS, "70");
        for r in &self.route_set {
            b.header(name::ROUTE, r);
        }
        match &self.to_tag {
            Some(tag) => b.header_fmt(name::TO, format_args!("<{}>;tag={tag}", self.target)),
            None => b.header_fmt(name::TO, format_args!("<{}>", self.target)),
        };
        b.header_fmt(
            name::FROM,
            format_args!("<{}>;tag={}", self.from_uri, self.from_tag),
        );
        b.header(name::CALL_ID, &self.call_id);
        b.header_fmt(name::CSEQ, format_args!("{} SUBSCRIBE", self.cseq));
        b.header_fmt(name::CONTACT, format_args!("<{contact}>"));
        b.header("Event", self.event.event());
        b.header(name::ACCEPT, self.event.accept());
        b.header_fmt(name::EXPIRES, format_args!("{expires_s}"));
        if let Some((h, v)) = authorization {
            b.header(h, v);
        }
        b.finish(None)
    }

    /// A response whose Call-ID and CSeq method match this subscription.
    pub fn handle_response(&mut self, msg: &Message<'_>, now: Instant) -> ResponseOutcome {
        let StartLine::Response { status, .. } = msg.start else {
            return ResponseOutcome::Ignored;
        };
        if msg.get(name::CALL_ID) != Some(self.call_id.as_str())
            || !msg
                .get(name::CSEQ)
                .and_then(|c| CSeq::parse(c).ok())
                .is_some_and(|c| c.method.eq_ignore_ascii_case("SUBSCRIBE"))
        {
            return ResponseOutcome::Ignored;
        }
        match status {
            100..=199 => ResponseOutcome::Ignored,
            200..=299 => {
                if self.to_tag.is_none() {
                    self.to_tag = msg
                        .get(name::TO)
                        .and_then(|t| NameAddr::parse(t).ok())
                        .and_then(|n| n.tag().map(str::to_owned));
                    // Route set from Record-Route, reversed (we are the UAC).
                    let mut rr: Vec<String> =
                        msg.get_all(name::RECORD_ROUTE).map(str::to_owned).collect();
                    rr.reverse();
                    self.route_set = rr;
                }
                if let Some(target) = msg.get(name::CONTACT).and_then(|c| NameAddr::parse(c).ok()) {
                    self.remote_target = Some(target.uri.to_owned());
                }
                let expires_s = msg.get(name::EXPIRES).and_then(delta_seconds).unwrap_or(0);
                if expires_s == 0 {
                    // Our unsubscribe was accepted; the final NOTIFY ends it.
                    self.refresh_at = None;
                } else {
                    self.activate(now, expires_s);
                }
                self.failures = 0;
                self.retry_at = None;
                ResponseOutcome::Active { expires_s }
            }
            401 | 407 => {
                let header = if status == 401 {
                    name::WWW_AUTHENTICATE
                } else {
                    name::PROXY_AUTHENTICATE
                };
                match msg.get(header) {
                    Some(v) => ResponseOutcome::Challenge {
                        header,
                        value: v.to_owned(),
                    },
                    None => self.fail(now, status),
                }
            }
            423 => match msg.get(name::MIN_EXPIRES).and_then(delta_seconds) {
                Some(min_expires_s) => ResponseOutcome::IntervalTooBrief { min_expires_s },
                None => self.fail(now, status),
            },
            s if is_permanent_refusal(s) => self.refuse(now, s),
            _ => {
                // 481 on a refresh: the notifier forgot us; start over (RFC 6665 4.1.2.2).
                self.fail(now, status)
            }
        }
    }

    /// A NOTIFY with this subscription's Call-ID. Always answered (see `status`).
    pub fn handle_notify(&mut self, msg: &Message<'_>, now: Instant) -> NotifyOutcome {
        let reply = |status| NotifyOutcome {
            status,
            update: None,
            terminated: None,
        };
        if msg.get(name::CALL_ID) != Some(self.call_id.as_str()) {
            return reply(481);
        }
        let event_ok = msg.get("Event").is_some_and(|e| {
            e.split(';')
                .next()
                .is_some_and(|p| p.trim().eq_ignore_ascii_case(self.event.event()))
        });
        if !event_ok {
            return reply(489);
        }
        // The NOTIFY may arrive before the 2xx (RFC 6665 4.1.2.4): it fixes the dialog.
        if self.to_tag.is_none() {
            self.to_tag = msg
                .get(name::FROM)
                .and_then(|f| NameAddr::parse(f).ok())
                .and_then(|n| n.tag().map(str::to_owned));
        }
        let mut out = reply(200);
        let sub_state = msg.get("Subscription-State").unwrap_or("active");
        let word = sub_state.split(';').next().unwrap_or("").trim();
        if word.eq_ignore_ascii_case("terminated") {
            let reason = param(sub_state, "reason")
                .unwrap_or("terminated")
                .to_owned();
            self.state = SubState::Terminated {
                reason: reason.clone(),
            };
            self.refresh_at = None;
            self.to_tag = None;
            self.remote_target = None;
            self.route_set.clear();
            // deactivated / timeout / probation: re-subscribe soon; rejected / noresource: back off.
            let quick = matches!(reason.as_str(), "deactivated" | "timeout" | "probation");
            self.retry_at = Some(now.plus(if quick { 0 } else { self.backoff() }));
            if !quick {
                // rejected / noresource / giveup: the next refusal waits longer.
                self.failures = self.failures.saturating_add(1);
            }
            out.terminated = Some(reason);
        } else if let Some(expires_s) = param(sub_state, "expires").and_then(delta_seconds) {
            if expires_s > 0 {
                self.activate(now, expires_s);
            }
        }
        let body = msg.body;
        let update = match self.event {
            EventPackage::Dialog => match presence::parse_dialog_info(body) {
                Ok(info) => {
                    let stale =
                        matches!((self.version, info.version), (Some(old), Some(new)) if new < old);
                    if stale || !info.full {
                        // Partial documents are not produced by Kamailio or Asterisk; a
                        // stale or partial one is acknowledged and not applied.
                        None
                    } else {
                        self.version = info.version.or(self.version);
                        Some(Update::Dialogs(info.dialogs))
                    }
                }
                Err(PresenceError::TooLarge | PresenceError::NotThisDocument) => {
                    out.status = if body.trim().is_empty() { 200 } else { 400 };
                    None
                }
            },
            EventPackage::Reg => {
                if body.trim().is_empty() {
                    None
                } else {
                    match presence::parse_reginfo(body) {
                        Ok(r) => Some(Update::Registered(r)),
                        Err(_) => {
                            out.status = 400;
                            None
                        }
                    }
                }
            }
        };
        out.update = update;
        out
    }

    fn activate(&mut self, now: Instant, expires_s: u32) {
        let ms = u64::from(expires_s) * 1000;
        self.state = SubState::Active {
            expires_at: now.plus(ms),
        };
        let early = ms.saturating_sub(REFRESH_MARGIN_MS).min(ms * 4 / 5);
        self.refresh_at = Some(now.plus(early.max(1000)));
    }

    fn backoff(&self) -> u64 {
        let shift = self.failures.min(FAILURES_AT_MAX);
        (RETRY_BASE_MS << shift).min(RETRY_MAX_MS)
    }

    fn fail(&mut self, now: Instant, status: u16) -> ResponseOutcome {
        self.state = SubState::Terminated {
            reason: format!("{status}"),
        };
        self.refresh_at = None;
        self.to_tag = None;
        self.remote_target = None;
        self.route_set.clear();
        self.retry_at = Some(now.plus(self.backoff()));
        self.failures = self.failures.saturating_add(1);
        ResponseOutcome::Failed { status }
    }

    /// Refused for good: terminated, retried after the backoff's maximum only (and any
    /// later failure waits that long too, until a 2xx resets the count).
    fn refuse(&mut self, now: Instant, status: u16) -> ResponseOutcome {
        let _ = self.fail(now, status);
        self.failures = self.failures.max(FAILURES_AT_MAX);
        self.retry_at = Some(now.plus(RETRY_MAX_MS));
        ResponseOutcome::Refused { status }
    }
}
