//! Flow keep-alive (RFC 5626 §4.4.1): a CRLFCRLF ping or an OPTIONS at an interval, and
//! `Event::FlowDead` when nothing comes back in time. Browsers cannot send WebSocket
//! pings, so without this a half-open connection would only be noticed at the next call.

use crate::api::Event;
use crate::config::KeepAlive;
use crate::context::Ctx;
use crate::time::{Instant, RandomExt};
use crate::wire::{name, Method};

#[derive(Debug)]
pub(crate) struct KeepAliveState {
    next_ping: Option<Instant>,
    pong_due: Option<Instant>,
    /// Call-ID of our OPTIONS pings, to claim their responses.
    options_call_id: String,
    options_cseq: u32,
}

impl KeepAliveState {
    pub fn new(random: &mut dyn crate::time::Random) -> KeepAliveState {
        KeepAliveState {
            next_ping: None,
            pong_due: None,
            options_call_id: random.token(20),
            options_cseq: 0,
        }
    }

    fn intervals(mode: KeepAlive) -> Option<(u64, u64)> {
        match mode {
            KeepAlive::Crlf {
                interval_ms,
                timeout_ms,
            }
            | KeepAlive::Options {
                interval_ms,
                timeout_ms,
            } => Some((interval_ms.max(1_000), timeout_ms.max(100))),
            KeepAlive::Off => None,
        }
    }

    pub fn on_connected(&mut self, mode: KeepAlive, now: Instant) {
        self.pong_due = None;
        self.next_ping = Self::intervals(mode).map(|(interval, _)| now.plus(interval));
    }

    pub fn on_disconnected(&mut self) {
        self.next_ping = None;
        self.pong_due = None;
    }

    /// Any frame from the server proves the flow is alive, pong or not.
    pub fn on_inbound(&mut self) {
        self.pong_due = None;
    }

    pub fn owns(&self, call_id: &str) -> bool {
        call_id == self.options_call_id
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        match (self.next_ping, self.pong_due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn on_timeout(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        if self.pong_due.is_some_and(|due| due <= now) {
            // Stop until the edge reconnects; it restarts us via on_connected.
            self.on_disconnected();
            ctx.emit(Event::FlowDead);
            return;
        }
        let mode = ctx.config.keepalive;
        let Some((interval, timeout)) = Self::intervals(mode) else {
            return;
        };
        if self.next_ping.is_some_and(|at| at <= now) {
            self.send_ping(mode, ctx);
            self.next_ping = Some(now.plus(interval));
            if self.pong_due.is_none() {
                self.pong_due = Some(now.plus(timeout));
            }
        }
    }

    fn send_ping(&mut self, mode: KeepAlive, ctx: &mut Ctx<'_>) {
        if let KeepAlive::Options { .. } = mode {
            self.options_cseq = self.options_cseq.saturating_add(1);
            let uri = format!("sip:{}", ctx.config.domain);
            let tag = ctx.tag();
            let (mut b, _) = ctx.request(Method::Options, &uri);
            b.header_fmt(
                name::FROM,
                format_args!("<{}>;tag={}", ctx.local.aor_uri, tag),
            )
            .header_fmt(name::TO, format_args!("<{uri}>"))
            .header(name::CALL_ID, &self.options_call_id)
            .header_fmt(name::CSEQ, format_args!("{} OPTIONS", self.options_cseq))
            .header_fmt(name::CONTACT, format_args!("<{}>", ctx.local.contact_uri))
            .header(name::USER_AGENT, &ctx.config.user_agent);
            ctx.send(b.finish(None));
        } else {
            ctx.send("\r\n\r\n".to_owned());
        }
    }
}
