//! REGISTER: binding our WebSocket contact (RFC 5626 instance id and reg-id) with digest
//! authentication, refresh, 423 handling, unregistration, and failure backoff that can
//! never turn into a retry storm against the registrar.

use crate::api::{Event, RegistrationState};
use crate::context::{Ctx, ALLOW, TRANSACTION_TIMEOUT_MS};
use crate::digest::DigestSession;
use crate::time::{Instant, RandomExt};
use crate::wire::header::{delta_seconds, param, unquote, CSeq, Challenge, NameAddr, Via};
use crate::wire::{name, Message, Method};

/// After refused credentials: wait at least this long before trying again.
const AUTH_RETRY_MIN_MS: u64 = 20_000;
const AUTH_RETRY_MAX_MS: u64 = 600_000;
/// Other failures: exponential from here, capped.
const RETRY_BASE_MS: u64 = 2_000;
const RETRY_MAX_MS: u64 = 300_000;
/// At most this many fresh REGISTER attempts in any `RATE_WINDOW_MS` without a
/// success in between (wrong credentials must not hammer the registrar or lock the
/// account; a broker that comes back after a restart is re-registered at once).
const RATE_LIMIT: usize = 3;
const RATE_WINDOW_MS: u64 = 60_000;
/// Stale-nonce rounds answered in a row before giving up (a server bug would loop).
const MAX_STALE_ROUNDS: u32 = 3;

/// How the credentials of the request in flight were obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AuthUse {
    None,
    /// A nonce cached from an earlier exchange (a refresh); a 401 may just mean it expired.
    Reused,
    /// Computed for the challenge the previous response carried; a 401 now means refused.
    Fresh,
}

#[derive(Debug)]
struct InFlight {
    branch: String,
    cseq: u32,
    unregister: bool,
    auth: AuthUse,
    deadline: Instant,
}

#[derive(Debug)]
pub(crate) struct Registration {
    call_id: String,
    from_tag: String,
    cseq: u32,
    /// The driver asked to be registered (Register without a later Unregister).
    wanted: bool,
    in_flight: Option<InFlight>,
    registered_s: Option<u32>,
    expires_request: u32,
    digest: Option<DigestSession>,
    stale_rounds: u32,
    refresh_at: Option<Instant>,
    retry_at: Option<Instant>,
    failures: u32,
    auth_failures: u32,
    /// Send times of the last fresh attempts (rate limiter).
    recent_attempts: Vec<Instant>,
}

impl Registration {
    pub fn new(random: &mut dyn crate::time::Random, expires: u32) -> Registration {
        Registration {
            call_id: random.token(20),
            from_tag: random.token(12),
            cseq: 0,
            wanted: false,
            in_flight: None,
            registered_s: None,
            expires_request: expires.max(1),
            digest: None,
            stale_rounds: 0,
            refresh_at: None,
            retry_at: None,
            failures: 0,
            auth_failures: 0,
            recent_attempts: Vec::with_capacity(RATE_LIMIT),
        }
    }

    pub fn owns(&self, call_id: &str) -> bool {
        call_id == self.call_id
    }

    pub fn is_registered(&self) -> bool {
        self.registered_s.is_some()
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        [
            self.refresh_at,
            self.retry_at,
            self.in_flight.as_ref().map(|f| f.deadline),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// `Command::Register`.
    pub fn start(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        self.wanted = true;
        self.failures = 0;
        if ctx.out.connected && self.in_flight.is_none() {
            self.attempt(now, ctx);
        }
    }

    /// `Command::Unregister`: Expires: 0 for our contact, and no more refreshes.
    pub fn stop(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        self.wanted = false;
        self.refresh_at = None;
        self.retry_at = None;
        let bound =
            self.registered_s.is_some() || self.in_flight.as_ref().is_some_and(|f| !f.unregister);
        if ctx.out.connected && bound {
            self.send(now, true, false, ctx);
        } else {
            self.in_flight = None;
            self.registered_s = None;
            ctx.emit(Event::Registration(RegistrationState::Unregistered {
                reason: "unregistered".into(),
            }));
        }
    }

    pub fn on_connected(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        if self.wanted {
            self.retry_at = None;
            self.attempt(now, ctx);
        }
    }

    pub fn on_disconnected(&mut self, ctx: &mut Ctx<'_>) {
        self.in_flight = None;
        self.refresh_at = None;
        self.retry_at = None;
        self.registered_s = None;
        if self.wanted {
            let state = RegistrationState::Failed {
                reason: "connection lost".into(),
                retry_at: None,
            };
            ctx.emit(Event::Registration(state));
        }
    }

    pub fn on_timeout(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        if self.in_flight.as_ref().is_some_and(|f| f.deadline <= now) {
            let unregister = self.in_flight.as_ref().is_some_and(|f| f.unregister);
            self.in_flight = None;
            if unregister {
                self.registered_s = None;
                ctx.emit(Event::Registration(RegistrationState::Unregistered {
                    reason: "unregister timed out".into(),
                }));
            } else {
                self.fail("registrar did not answer", None, now, ctx);
            }
        }
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= now);
        if due(self.refresh_at) || due(self.retry_at) {
            self.refresh_at = None;
            self.retry_at = None;
            if self.wanted && ctx.out.connected && self.in_flight.is_none() {
                self.attempt(now, ctx);
            }
        }
    }

    /// A fresh attempt (not an answer to a challenge), subject to the rate limit.
    fn attempt(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        self.recent_attempts
            .retain(|t| now.saturating_since(*t) < RATE_WINDOW_MS);
        if self.recent_attempts.len() >= RATE_LIMIT {
            let oldest = self.recent_attempts.iter().min().copied().unwrap_or(now);
            self.retry_at = Some(oldest.plus(RATE_WINDOW_MS));
            return;
        }
        self.recent_attempts.push(now);
        if self.registered_s.is_none() {
            ctx.emit(Event::Registration(RegistrationState::Registering));
        }
        self.stale_rounds = 0;
        self.send(now, false, false, ctx);
    }

    /// `answers_challenge`: the credentials answer the challenge just received.
    fn send(&mut self, now: Instant, unregister: bool, answers_challenge: bool, ctx: &mut Ctx<'_>) {
        self.cseq = self.cseq.saturating_add(1);
        let uri = format!("sip:{}", ctx.config.domain);
        let cnonce = ctx.random.token(16);
        let (mut b, branch) = ctx.request(Method::Register, &uri);
        match &ctx.config.display_name {
            Some(display) => b.header_fmt(
                name::FROM,
                format_args!(
                    "\"{}\" <{}>;tag={}",
                    display.replace('"', ""),
                    ctx.local.aor_uri,
                    self.from_tag
                ),
            ),
            None => b.header_fmt(
                name::FROM,
                format_args!("<{}>;tag={}", ctx.local.aor_uri, self.from_tag),
            ),
        };
        b.header_fmt(name::TO, format_args!("<{}>", ctx.local.aor_uri))
            .header(name::CALL_ID, &self.call_id)
            .header_fmt(name::CSEQ, format_args!("{} REGISTER", self.cseq))
            .header_fmt(
                name::CONTACT,
                format_args!(
                    "<{}>;+sip.instance=\"<{}>\";reg-id=1",
                    ctx.local.contact_uri, ctx.config.instance_id
                ),
            )
            .header_fmt(
                name::EXPIRES,
                format_args!("{}", if unregister { 0 } else { self.expires_request }),
            )
            .header(name::SUPPORTED, "path, outbound")
            .header(name::ALLOW, ALLOW)
            .header(name::USER_AGENT, &ctx.config.user_agent);
        let mut auth = AuthUse::None;
        if let Some(session) = &mut self.digest {
            let config = ctx.config;
            match session.authorize(
                &config.auth_user,
                &config.password,
                "REGISTER",
                &uri,
                &cnonce,
            ) {
                Ok((header, creds)) => {
                    b.header(header, &creds.header_value());
                    auth = if answers_challenge {
                        AuthUse::Fresh
                    } else {
                        AuthUse::Reused
                    };
                }
                Err(e) => ctx.emit(Event::Warning(format!(
                    "cannot answer the registrar's challenge: {e}"
                ))),
            }
        }
        ctx.send(b.finish(None));
        self.in_flight = Some(InFlight {
            branch,
            cseq: self.cseq,
            unregister,
            auth,
            deadline: now.plus(TRANSACTION_TIMEOUT_MS),
        });
    }

    pub fn on_response(&mut self, msg: &Message<'_>, status: u16, now: Instant, ctx: &mut Ctx<'_>) {
        let Some(flight) = &self.in_flight else {
            ctx.out.stats.stray_responses += 1;
            return;
        };
        let branch = msg
            .get(name::VIA)
            .and_then(|v| Via::parse(v).ok())
            .and_then(|v| v.branch());
        let cseq = msg.get(name::CSEQ).and_then(|c| CSeq::parse(c).ok());
        if branch != Some(flight.branch.as_str()) || cseq.map(|c| c.seq) != Some(flight.cseq) {
            ctx.out.stats.stray_responses += 1;
            return;
        }
        if status < 200 {
            return;
        }
        let Some(flight) = self.in_flight.take() else {
            return;
        };
        match status {
            200..=299 if flight.unregister => {
                self.registered_s = None;
                ctx.emit(Event::Registration(RegistrationState::Unregistered {
                    reason: "unregistered".into(),
                }));
            }
            200..=299 => self.on_success(msg, now, ctx),
            401 | 407 => self.on_challenge(msg, status, &flight, now, ctx),
            423 => {
                let min = msg.get(name::MIN_EXPIRES).and_then(delta_seconds);
                match min {
                    Some(min) if min > self.expires_request => {
                        self.expires_request = min;
                        self.send(now, flight.unregister, false, ctx);
                    }
                    _ => self.fail("423 without a usable Min-Expires", None, now, ctx),
                }
            }
            403 => self.auth_failed(403, now, ctx),
            _ if flight.unregister => {
                self.registered_s = None;
                ctx.emit(Event::Registration(RegistrationState::Unregistered {
                    reason: format!("unregister got {status}"),
                }));
            }
            _ => {
                let retry_after = msg
                    .get(name::RETRY_AFTER)
                    .and_then(delta_seconds)
                    .map(|s| u64::from(s) * 1000);
                let reason = format!("{status} {}", reason_of(msg));
                self.fail(&reason, retry_after, now, ctx);
            }
        }
    }

    fn on_success(&mut self, msg: &Message<'_>, now: Instant, ctx: &mut Ctx<'_>) {
        let expires = self.granted_expires(msg, ctx);
        if expires == 0 {
            self.fail("registrar granted no lifetime", None, now, ctx);
            return;
        }
        self.failures = 0;
        self.auth_failures = 0;
        // The limiter guards against failing attempts; a success starts a new window.
        self.recent_attempts.clear();
        self.registered_s = Some(expires);
        // Refresh at half the lifetime: early enough to survive a lost response and a
        // reconnect, rare enough not to load the registrar.
        self.refresh_at = Some(now.plus(u64::from(expires) * 500));
        ctx.emit(Event::Registration(RegistrationState::Registered {
            expires_s: expires,
        }));
    }

    /// Lifetime of our binding: the `expires` of the Contact that is ours (same instance
    /// id, else same URI), else the Expires header, else what we asked for.
    fn granted_expires(&self, msg: &Message<'_>, ctx: &Ctx<'_>) -> u32 {
        let ours = msg
            .get_all(name::CONTACT)
            .filter_map(|c| NameAddr::parse(c).ok())
            .find(|c| {
                let instance = c
                    .param("+sip.instance")
                    .map(|i| unquote(i).trim_start_matches('<').trim_end_matches('>'));
                instance == Some(ctx.config.instance_id.as_str())
                    || same_contact(c.uri, &ctx.local.contact_uri)
            });
        ours.and_then(|c| c.param("expires"))
            .and_then(delta_seconds)
            .or_else(|| msg.get(name::EXPIRES).and_then(delta_seconds))
            .unwrap_or(self.expires_request)
    }

    fn on_challenge(
        &mut self,
        msg: &Message<'_>,
        status: u16,
        flight: &InFlight,
        now: Instant,
        ctx: &mut Ctx<'_>,
    ) {
        let header = if status == 407 {
            name::PROXY_AUTHENTICATE
        } else {
            name::WWW_AUTHENTICATE
        };
        // Several challenges (e.g. SHA-256 then MD5): take the first we can answer.
        let challenge = msg
            .get_all(header)
            .filter_map(|v| Challenge::parse(v).ok())
            .find(|c| {
                crate::digest::Algorithm::from_challenge(c.algorithm.as_deref()).is_ok()
                    && (c.qop.is_empty() || c.qop.iter().any(|q| q == "auth"))
            });
        let Some(challenge) = challenge else {
            self.fail("registrar challenge cannot be answered", None, now, ctx);
            return;
        };
        let refused = match flight.auth {
            AuthUse::Fresh if challenge.stale => {
                self.stale_rounds += 1;
                self.stale_rounds > MAX_STALE_ROUNDS
            }
            AuthUse::Fresh => true,
            AuthUse::None | AuthUse::Reused => false,
        };
        if refused {
            self.digest = None;
            self.auth_failed(status, now, ctx);
            return;
        }
        self.digest = Some(DigestSession::new(challenge, status == 407));
        self.send(now, flight.unregister, true, ctx);
    }

    fn auth_failed(&mut self, status: u16, now: Instant, ctx: &mut Ctx<'_>) {
        self.registered_s = None;
        self.refresh_at = None;
        self.auth_failures = self.auth_failures.saturating_add(1);
        let exp =
            AUTH_RETRY_MIN_MS.saturating_mul(1 << self.auth_failures.saturating_sub(1).min(10));
        let base = exp.min(AUTH_RETRY_MAX_MS);
        self.retry_at = self.wanted.then(|| now.plus(base + ctx.jitter(base / 4)));
        ctx.emit(Event::Registration(RegistrationState::AuthFailed {
            status,
        }));
    }

    fn fail(&mut self, reason: &str, retry_after_ms: Option<u64>, now: Instant, ctx: &mut Ctx<'_>) {
        self.registered_s = None;
        self.refresh_at = None;
        self.failures = self.failures.saturating_add(1);
        let exp = RETRY_BASE_MS
            .saturating_mul(1 << self.failures.saturating_sub(1).min(16))
            .min(RETRY_MAX_MS);
        // Full jitter over the upper half, so many tabs do not retry in lockstep.
        let delay = (exp / 2 + ctx.jitter(exp / 2)).max(retry_after_ms.unwrap_or(0));
        self.retry_at = self.wanted.then(|| now.plus(delay));
        let state = RegistrationState::Failed {
            reason: reason.to_owned(),
            retry_at: self.retry_at,
        };
        ctx.emit(Event::Registration(state));
    }
}

fn reason_of<'a>(msg: &Message<'a>) -> &'a str {
    match msg.start {
        crate::wire::StartLine::Response { reason, .. } => reason,
        crate::wire::StartLine::Request { .. } => "",
    }
}

/// Registrars may reorder URI parameters or change case; compare user@host only.
fn same_contact(a: &str, b: &str) -> bool {
    let key = |u: &str| u.split(';').next().unwrap_or(u).trim().to_ascii_lowercase();
    key(a) == key(b) && param(a, "transport").is_some() == param(b, "transport").is_some()
}
