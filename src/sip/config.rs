//! What the edge tells the core once, at construction: identity, credentials and policy.

use core::fmt;

/// Everything the user agent needs to know about its line and its policy.
#[derive(Clone)]
pub struct Config {
    /// SIP user / extension, e.g. "3000".
    pub aor_user: String,
    /// Digest username (often the same as `aor_user`).
    pub auth_user: String,
    /// Digest password. Never printed: `Debug` redacts it.
    pub password: String,
    /// SIP domain / registrar, e.g. "127.0.0.1" or "wazo.example.com".
    pub domain: String,
    pub display_name: Option<String>,
    /// "urn:uuid:…", stable per browser profile (RFC 5626 `+sip.instance`), from the edge.
    pub instance_id: String,
    /// Requested registration lifetime in seconds; the registrar's 200 OK decides.
    pub register_expires: u32,
    pub keepalive: KeepAlive,
    pub auto_answer: AutoAnswerConfig,
    /// Sent as `User-Agent` (requests) and `Server` (responses).
    pub user_agent: String,
    /// Smallest session interval we accept (RFC 4028 Min-SE), seconds. 90 is the RFC floor.
    pub min_session_expires: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            aor_user: String::new(),
            auth_user: String::new(),
            password: String::new(),
            domain: String::new(),
            display_name: None,
            instance_id: String::new(),
            register_expires: 600,
            keepalive: KeepAlive::default(),
            auto_answer: AutoAnswerConfig::default(),
            user_agent: "TTECPhone/0.1".to_owned(),
            min_session_expires: 90,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("aor_user", &self.aor_user)
            .field("auth_user", &self.auth_user)
            .field("password", &"<redacted>")
            .field("domain", &self.domain)
            .field("display_name", &self.display_name)
            .field("instance_id", &self.instance_id)
            .field("register_expires", &self.register_expires)
            .field("keepalive", &self.keepalive)
            .field("auto_answer", &self.auto_answer)
            .field("user_agent", &self.user_agent)
            .field("min_session_expires", &self.min_session_expires)
            .finish()
    }
}

/// How the WebSocket flow is kept alive and checked (RFC 5626 §4.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeepAlive {
    /// CRLFCRLF ping, CRLF pong expected within `timeout_ms`.
    Crlf {
        interval_ms: u64,
        timeout_ms: u64,
    },
    /// An out-of-dialog OPTIONS to the domain; any response proves the flow.
    Options {
        interval_ms: u64,
        timeout_ms: u64,
    },
    Off,
}

impl KeepAlive {
    /// An OPTIONS every `interval_s` seconds (0 = off). The flow is declared dead when
    /// nothing comes back within one interval, at most 10 s: a registrar answers an
    /// OPTIONS at once (Asterisk with 401 or 200), so a longer wait only delays recovery.
    #[must_use]
    pub fn options_every(interval_s: u32) -> KeepAlive {
        match Self::timing(interval_s) {
            Some((interval_ms, timeout_ms)) => KeepAlive::Options {
                interval_ms,
                timeout_ms,
            },
            None => KeepAlive::Off,
        }
    }

    /// A CRLFCRLF ping every `interval_s` seconds (0 = off), with the same timeout as
    /// [`KeepAlive::options_every`]. Only for brokers that answer it (Kamailio, RFC 5626);
    /// Asterisk/pjproject drops a client's CRLF on a WebSocket without a pong.
    #[must_use]
    pub fn crlf_every(interval_s: u32) -> KeepAlive {
        match Self::timing(interval_s) {
            Some((interval_ms, timeout_ms)) => KeepAlive::Crlf {
                interval_ms,
                timeout_ms,
            },
            None => KeepAlive::Off,
        }
    }

    fn timing(interval_s: u32) -> Option<(u64, u64)> {
        let interval_ms = u64::from(interval_s) * 1000;
        (interval_ms > 0).then_some((interval_ms, interval_ms.min(10_000)))
    }
}

impl Default for KeepAlive {
    /// OPTIONS by default: every registrar answers it (even with 404/405, which still
    /// proves the flow), whereas not every WebSocket server answers a CRLF ping.
    fn default() -> Self {
        KeepAlive::Options {
            interval_ms: 30_000,
            timeout_ms: 10_000,
        }
    }
}

/// The auto-answer policy's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoAnswerConfig {
    /// `false` (QA builds): calls ring until `Command::Answer` / `Command::Reject`.
    pub enabled: bool,
    /// Delay between the INVITE and the 200 OK.
    pub delay_ms: u64,
    /// Finesse states in which a call may be answered.
    pub allowed_states: Vec<AgentState>,
    /// May `Answer-Mode: Auto`, `Call-Info: …;answer-after=N` and `Alert-Info` hints
    /// shorten the delay? They never bypass the agent-state gate.
    pub honour_hints: bool,
    /// Status sent when the agent state does not allow a call (480 Temporarily Unavailable).
    pub reject_status: u16,
    /// Status sent for a new INVITE while a call is up (486 Busy Here).
    pub busy_status: u16,
    /// Supervisor preview: this line only watches agents. Every INVITE is rejected
    /// with `reject_status` before any media is asked for, whatever the other settings.
    pub never_answer: bool,
}

impl Default for AutoAnswerConfig {
    /// Ready is allowed alongside Reserved because Finesse's state notification can reach the
    /// gadget after the ICM-routed INVITE does: the agent is still Ready when the call lands.
    fn default() -> Self {
        AutoAnswerConfig {
            enabled: true,
            delay_ms: 0,
            allowed_states: vec![
                AgentState::Reserved,
                AgentState::Ready,
                AgentState::Talking,
                AgentState::Hold,
            ],
            honour_hints: true,
            reject_status: 480,
            busy_status: 486,
            never_answer: false,
        }
    }
}

/// The Finesse agent state (`finesse.restservices.User.States`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AgentState {
    Unknown,
    LoggedOut,
    NotReady,
    Ready,
    Reserved,
    Talking,
    Hold,
    Work,
    WorkReady,
    Other(String),
}

impl AgentState {
    /// Maps a Finesse state name (`User.getState()`) to the enum. The RESERVED_OUTBOUND
    /// variants are reservations too: the dialer delivers their calls to this phone.
    #[must_use]
    pub fn from_finesse(name: &str) -> AgentState {
        match name.trim().to_ascii_uppercase().as_str() {
            "" => AgentState::Unknown,
            "LOGOUT" => AgentState::LoggedOut,
            "NOT_READY" => AgentState::NotReady,
            "READY" => AgentState::Ready,
            "RESERVED" | "RESERVED_OUTBOUND" | "RESERVED_OUTBOUND_PREVIEW" => AgentState::Reserved,
            "TALKING" => AgentState::Talking,
            "HOLD" => AgentState::Hold,
            "WORK" => AgentState::Work,
            "WORK_READY" => AgentState::WorkReady,
            other => AgentState::Other(other.to_owned()),
        }
    }
}
