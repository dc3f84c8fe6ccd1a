//! Routing follows the phone (issue 20, part 1): while the phone cannot answer, a Ready
//! agent is put Not Ready in Finesse, so ICM stops sending customers to a phone that
//! would ring out (RONA); when it can again, the agent gets one **Go Ready** button.
//!
//! Pure: [`step`] takes what the store knows (the phone's condition, the agent's
//! Finesse state, a call, the time) and what the gadget already did ([`Routing`]), and
//! gives the next [`Routing`]: maybe a [`Request`] for the Finesse edge
//! (`User.setState`, `src/finesse/`), the [`Notice`] the bar shows, and a trace line.
//!
//! The rules (README, "Routing follows the phone"):
//! - only a **Ready** agent is moved (never Reserved, Talking, Hold, Work: a call is
//!   coming or on), never while the gadget has a call, never while a request is out;
//! - a sign-in refused or a microphone blocked or missing counts at once; not being
//!   registered, or sound blocked, only after the grace period (a reconnect is quick);
//! - **not fighting the agent**: at most one forced Not Ready per outage (from the
//!   moment the phone cannot answer until it can again). An agent who goes Ready during
//!   the same outage is told why that will not work, and left Ready;
//! - back up: Ready again only by the agent's click, unless `routingAutoReady`, and only
//!   if the gadget made the agent Not Ready in this outage and the agent still is;
//! - a phone that is not this tab's to judge (another tab has it, logged out, not a
//!   WebRTC agent, supervisor preview) changes nothing.

use crate::store::{AgentState, MediaProblem, Millis, PhoneState, Playback, Registration};

/// The administrator's settings (`routingNotReady`, `routingReasonCodeId`,
/// `routingGraceS`, `routingAutoReady`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoutingConfig {
    pub enabled: bool,
    /// The Not Ready reason code's id in Finesse (`None`: Not Ready without a reason).
    pub reason_code_id: Option<u32>,
    pub grace_ms: u32,
    pub auto_ready: bool,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            reason_code_id: None,
            grace_ms: 20_000,
            auto_ready: false,
        }
    }
}

/// Why the phone cannot answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// Not registered with the phone system (connecting, reconnecting, failed).
    NotRegistered,
    /// The phone system refused the sign-in (credentials, no line, too many devices).
    SignInRefused,
    MicrophoneBlocked,
    NoMicrophone,
    /// The browser blocks sound until a click: the agent would not hear callers.
    SoundBlocked,
}

impl Cause {
    /// Plain words, for the bar and the trace.
    pub fn words(self) -> &'static str {
        match self {
            Self::NotRegistered => "it is not connected to the phone system",
            Self::SignInRefused => "the phone system refused its sign-in",
            Self::MicrophoneBlocked => "the microphone is blocked",
            Self::NoMicrophone => "no microphone is connected",
            Self::SoundBlocked => "the browser blocks its sound",
        }
    }

    /// Counts at once: it will not fix itself within seconds.
    fn immediate(self) -> bool {
        matches!(
            self,
            Self::SignInRefused | Self::MicrophoneBlocked | Self::NoMicrophone
        )
    }
}

/// The phone as routing sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phone {
    Up,
    Down(Cause),
    /// Not this tab's to judge: another tab has the phone, the agent is logged out or
    /// not a WebRTC agent, supervisor preview.
    NotMine,
}

impl Phone {
    pub fn of(state: &PhoneState) -> Self {
        let agent = &state.agent;
        if state.board.active
            || agent.id.is_empty()
            || !agent.mobile_agent
            || agent.webrtc_number.is_none()
        {
            return Self::NotMine;
        }
        match state.registration {
            Registration::Unregistered { .. } => Self::NotMine,
            Registration::AuthFailed { .. } | Registration::Refused { .. } => {
                Self::Down(Cause::SignInRefused)
            }
            Registration::Registered { .. } => match state.media_problem {
                Some(MediaProblem::MicrophoneDenied) => Self::Down(Cause::MicrophoneBlocked),
                Some(MediaProblem::NoMicrophone) => Self::Down(Cause::NoMicrophone),
                None if state.playback == Playback::Blocked => Self::Down(Cause::SoundBlocked),
                None => Self::Up,
            },
            _ => Self::Down(Cause::NotRegistered),
        }
    }
}

/// A state change for the Finesse edge to ask for (`User.setState`), once per `id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub id: u32,
    /// READY (true) or NOT_READY.
    pub ready: bool,
    pub reason_code_id: Option<u32>,
}

/// What the bar says about routing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The gadget made the agent Not Ready.
    MadeNotReady(Cause),
    /// The agent went Ready while the phone cannot answer: explained, not forced again.
    ReadyWhileDown(Cause),
    /// The phone works again and the agent is still Not Ready: the Go Ready button.
    BackUp,
    /// The phone works again and the gadget made the agent Ready (`routingAutoReady`).
    MadeReady,
    /// Finesse refused the request (HTTP status, 0 when none).
    Refused { ready: bool, status: u16 },
}

/// What the gadget did about routing, kept in the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Routing {
    pub config: RoutingConfig,
    /// This outage: since when, and why (the latest cause).
    pub down: Option<(Millis, Cause)>,
    /// `down`'s time is the page clock's at a tick after the outage began (the store's
    /// `now` is stale while the bar is idle: the clock ticks only when something counts).
    pub dated: bool,
    /// This outage: the gadget asked for Not Ready (at most once an outage).
    pub forced: bool,
    /// The latest request; the edge performs each new id once.
    pub request: Option<Request>,
    /// A request is out: not yet answered, or accepted and its change event not yet in.
    pub pending: bool,
    /// Finesse accepted the latest request (202); its change event is on its way.
    pub accepted: bool,
    pub notice: Option<Notice>,
    /// How many trace lines were written in all, and the latest few (the page writes
    /// each once, even when several came between two renders).
    pub notes: (u32, Vec<String>),
}

/// What [`step`] looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    pub now: Millis,
    pub phone: Phone,
    pub agent: AgentState,
    pub in_call: bool,
}

impl View {
    pub fn of(state: &PhoneState) -> Self {
        Self {
            now: state.now,
            phone: Phone::of(state),
            agent: state.agent.state.clone(),
            in_call: state.call.is_some(),
        }
    }
}

/// Trace lines kept for the page between two renders.
pub const NOTES_KEPT: usize = 4;

impl Routing {
    /// The latest trace line.
    pub fn last_note(&self) -> &str {
        self.notes.1.last().map_or("", String::as_str)
    }

    /// The trace lines written since `seen` lines had been (at most [`NOTES_KEPT`]).
    pub fn notes_since(&self, seen: u32) -> &[String] {
        let new = self.notes.0.wrapping_sub(seen) as usize;
        let kept = &self.notes.1;
        &kept[kept.len().saturating_sub(new)..]
    }

    fn say(&mut self, text: String) {
        self.notes.0 = self.notes.0.wrapping_add(1);
        if self.notes.1.len() >= NOTES_KEPT {
            self.notes.1.remove(0);
        }
        self.notes.1.push(text);
    }

    fn ask(&mut self, ready: bool) {
        let reason_code_id = if ready {
            None
        } else {
            self.config.reason_code_id
        };
        let id = self.request.map_or(1, |r| r.id.wrapping_add(1));
        self.request = Some(Request {
            id,
            ready,
            reason_code_id,
        });
        self.pending = true;
        self.accepted = false;
    }

    /// The page's clock must tick at `now`: an outage is not dated yet, or its grace
    /// period is running (after it, the store's time is late enough for every decision).
    pub fn waiting(&self, now: Millis) -> bool {
        match self.down {
            Some((since, cause)) if self.config.enabled && !self.forced => {
                !self.dated
                    || (!cause.immediate()
                        && now < since.saturating_add(u64::from(self.config.grace_ms)))
            }
            _ => false,
        }
    }

    /// The page clock ticked at `now`: an outage not dated yet began now.
    pub fn ticked(&self, now: Millis) -> Self {
        let mut next = self.clone();
        if let Some((since, _)) = next.down.as_mut().filter(|_| !self.dated) {
            *since = now;
            next.dated = true;
        }
        next
    }

    /// Finesse answered request `id` (`status` 2xx: accepted; the change event follows).
    pub fn answered(&self, id: u32, status: u16) -> Self {
        let mut next = self.clone();
        let Some(request) = self.request.filter(|r| r.id == id) else {
            return next;
        };
        let target = if request.ready { "READY" } else { "NOT_READY" };
        if (200..300).contains(&status) {
            // Still pending until the change event moves the agent (see `step`).
            next.accepted = true;
            next.say(format!(
                "Routing: Finesse accepted {target} (HTTP {status})"
            ));
        } else {
            next.pending = false;
            next.notice = Some(Notice::Refused {
                ready: request.ready,
                status,
            });
            next.say(format!("Routing: Finesse refused {target} (HTTP {status})"));
        }
        next
    }

    /// The agent clicked Go Ready.
    pub fn go_ready(&self, view: &View) -> Self {
        let mut next = self.clone();
        if self.notice == Some(Notice::BackUp)
            && view.agent == AgentState::NotReady
            && !self.pending
            && !view.in_call
        {
            next.ask(true);
            next.notice = None;
            next.say("Routing: the agent chose Go Ready: setState READY".into());
        }
        next
    }
}

/// The next routing state for `view` (see the module's rules).
pub fn step(routing: &Routing, view: &View) -> Routing {
    let mut r = routing.clone();
    if !r.config.enabled {
        return r;
    }
    // An accepted request is done once the change event moved the agent.
    if let Some(request) = r.request.filter(|_| r.pending && r.accepted) {
        let before = if request.ready {
            AgentState::NotReady
        } else {
            AgentState::Ready
        };
        r.pending = view.agent == before;
    }
    match view.phone {
        Phone::NotMine => {
            if r.down.take().is_some() {
                r.say("Routing: the phone is not this tab's to judge now".into());
            }
            r.forced = false;
            if !matches!(r.notice, Some(Notice::Refused { .. })) {
                r.notice = None;
            }
        }
        Phone::Up => {
            if let Some((since, _)) = r.down.take() {
                let was_forced = std::mem::take(&mut r.forced);
                let secs = view.now.saturating_sub(since) / 1000;
                r.notice = None;
                if was_forced && view.agent == AgentState::NotReady && !view.in_call {
                    if r.config.auto_ready && !r.pending {
                        r.ask(true);
                        r.notice = Some(Notice::MadeReady);
                        r.say(format!("Routing: the phone can answer again after {secs} s: setState READY (routingAutoReady)"));
                    } else {
                        r.notice = Some(Notice::BackUp);
                        r.say(format!(
                            "Routing: the phone can answer again after {secs} s: Go Ready offered"
                        ));
                    }
                } else {
                    r.say(format!(
                        "Routing: the phone can answer again after {secs} s"
                    ));
                }
            }
            let offer_over = match r.notice {
                Some(Notice::BackUp) => view.agent != AgentState::NotReady,
                // Until the change event brings READY, the agent still reads Not Ready.
                Some(Notice::MadeReady) => {
                    !matches!(view.agent, AgentState::Ready | AgentState::NotReady)
                }
                Some(Notice::Refused { ready, .. }) => ready && view.agent == AgentState::Ready,
                _ => true,
            };
            if offer_over {
                r.notice = None;
            }
        }
        Phone::Down(cause) => {
            let since = match r.down {
                Some((since, _)) => since,
                None => {
                    r.say(format!(
                        "Routing: the phone cannot answer: {}",
                        cause.words()
                    ));
                    if matches!(
                        r.notice,
                        Some(Notice::BackUp | Notice::MadeReady | Notice::Refused { .. })
                    ) {
                        r.notice = None;
                    }
                    view.now
                }
            };
            r.down = Some((since, cause));
            let due =
                cause.immediate() || view.now >= since.saturating_add(u64::from(r.config.grace_ms));
            if !due || view.in_call || r.pending {
                return r;
            }
            match (&view.agent, r.forced) {
                (AgentState::Ready, false) => {
                    r.ask(false);
                    r.forced = true;
                    r.notice = Some(Notice::MadeNotReady(cause));
                    let reason = match r.config.reason_code_id {
                        Some(id) => format!("reason code {id}"),
                        None => "no reason code".into(),
                    };
                    r.say(format!(
                        "Routing: the phone cannot answer ({}) for {} s: setState NOT_READY, {reason}",
                        cause.words(),
                        view.now.saturating_sub(since) / 1000
                    ));
                }
                (AgentState::Ready, true) => {
                    let refused = matches!(r.notice, Some(Notice::Refused { .. }));
                    if !refused && r.notice != Some(Notice::ReadyWhileDown(cause)) {
                        if !matches!(r.notice, Some(Notice::ReadyWhileDown(_))) {
                            r.say("Routing: the agent is Ready while the phone cannot answer: explained, not forced again in this outage".into());
                        }
                        r.notice = Some(Notice::ReadyWhileDown(cause));
                    }
                }
                (AgentState::NotReady, true)
                    if !matches!(r.notice, Some(Notice::Refused { .. })) =>
                {
                    r.notice = Some(Notice::MadeNotReady(cause));
                }
                _ => {}
            }
        }
    }
    r
}
