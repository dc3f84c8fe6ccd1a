//! The supervisor's team board (preview mode): one row per agent of the supervisor's
//! team(s), with the agent's Finesse state (from finesse.js team data) and the phone
//! state of the agent's WebRTC number (from the SIP core's dialog/reg subscriptions).
//! Plain data and a pure reducer, folded into [`crate::store::PhoneState::board`].

use crate::store::AgentState;
use crate::team_quality::{FeedError, LineQuality, TeamQuality};

/// An agent's WebRTC phone as the supervisor sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerPhone {
    /// No subscription answered yet (or no WebRTC number to watch).
    Unknown,
    /// Not registered.
    Offline,
    Idle,
    Ringing,
    InCall,
    OnHold,
    /// The phone system does not report this phone's state: it refused the presence
    /// subscriptions for good (e.g. Asterisk without `res_pjsip_exten_state`: 489).
    /// Says nothing about the phone; never shown as offline.
    NotReported,
    /// Calls are reported but registration is not (Wazo: `dialog` served, `reg`
    /// refused) and there is no call: idle, or possibly offline.
    NoCall,
    /// Registration is reported but calls are not (`reg` served, `dialog` refused).
    Registered,
}

impl PeerPhone {
    /// The word shown next to the dot (the dot is never the only cue).
    pub fn label(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Offline => "offline",
            Self::Idle => "idle",
            Self::Ringing => "ringing",
            Self::InCall => "in call",
            Self::OnHold => "on hold",
            Self::NotReported => "state unavailable",
            Self::NoCall => "no call",
            Self::Registered => "registered",
        }
    }

    /// A glyph drawn in the dot (a hollow circle) when the phone system does not report
    /// the state, so it differs from the others by shape as well as by colour; the
    /// word beside it is the cue that counts (the dot is `aria-hidden`). The partly
    /// reported states are hollow rings without a glyph (static/gadget.css).
    pub fn icon(self) -> Option<&'static str> {
        match self {
            Self::NotReported => Some("?"),
            _ => None,
        }
    }

    /// What the board tells the supervisor once, when any row is in this state.
    pub fn board_notice(self) -> Option<&'static str> {
        match self {
            Self::NotReported => Some(
                "This phone system does not report agents' phone states (presence); \
                 ask your administrator to enable it.",
            ),
            Self::NoCall => Some(
                "This phone system reports agents' calls but not whether their phones are \
                 registered: \"no call\" can also mean the phone is offline.",
            ),
            Self::Registered => Some(
                "This phone system reports whether agents' phones are registered but not \
                 their calls: \"registered\" can also mean in a call.",
            ),
            _ => None,
        }
    }

    /// CSS word of the state (`in-call`, …): the dot is `ttec-dot--peer-<word>`.
    pub fn css(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Offline => "offline",
            Self::Idle => "idle",
            Self::Ringing => "ringing",
            Self::InCall => "in-call",
            Self::OnHold => "on-hold",
            Self::NotReported => "not-reported",
            Self::NoCall => "no-call",
            Self::Registered => "registered",
        }
    }

    /// From the SIP core's status word (`PhoneStatus::as_str`).
    pub fn from_word(word: &str) -> Self {
        match word {
            "offline" => Self::Offline,
            "idle" => Self::Idle,
            "ringing" => Self::Ringing,
            "in call" => Self::InCall,
            "on hold" => Self::OnHold,
            "not reported" => Self::NotReported,
            "no call" => Self::NoCall,
            "registered" => Self::Registered,
            _ => Self::Unknown,
        }
    }
}

/// One agent of the supervisor's team(s), from finesse.js.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamMember {
    pub id: String,
    pub name: String,
    /// The WebRTC number watched (dial number, or the extension through the number rule).
    pub number: Option<String>,
    pub state: AgentState,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardRow {
    pub member: TeamMember,
    pub phone: PeerPhone,
}

/// By name, then id: one ordering for the roster and for members who join.
/// Insertion sort: a team is tens of rows, and this keeps the std sort's code out of the wasm.
fn sort_rows(rows: &mut [BoardRow]) {
    fn after(a: &BoardRow, b: &BoardRow) -> bool {
        (&a.member.name, &a.member.id) > (&b.member.name, &b.member.id)
    }
    for i in 1..rows.len() {
        let mut j = i;
        while j > 0 && after(&rows[j - 1], &rows[j]) {
            rows.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// The board; `active` only in preview mode.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TeamBoard {
    pub active: bool,
    pub rows: Vec<BoardRow>,
    /// Agents' live call quality from the quality collector ([`crate::team_quality`]).
    pub quality: TeamQuality,
}

impl TeamBoard {
    /// The WebRTC numbers to watch, in row order, without duplicates.
    pub fn numbers(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for n in self.rows.iter().filter_map(|r| r.member.number.clone()) {
            if !out.contains(&n) {
                out.push(n);
            }
        }
        out
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TeamAction {
    /// Preview mode on (supervisor) or off.
    Preview(bool),
    /// The whole roster (team users loaded); phone states of numbers kept are kept.
    Roster(Vec<TeamMember>),
    /// One agent changed (Finesse state, name or number); added when new.
    Member(TeamMember),
    /// An agent left the team.
    Removed { id: String },
    /// The phone state of a watched number changed.
    Phone { number: String, phone: PeerPhone },
    /// The quality collector's live endpoint answered (or failed).
    Quality(Result<Vec<LineQuality>, FeedError>),
}

pub fn reduce_board(board: &TeamBoard, action: TeamAction) -> TeamBoard {
    let mut next = board.clone();
    let phone_of = |number: &Option<String>| {
        board
            .rows
            .iter()
            .find(|r| r.member.number.is_some() && r.member.number == *number)
            .map_or(PeerPhone::Unknown, |r| r.phone)
    };
    match action {
        TeamAction::Preview(on) => {
            next.active = on;
            if !on {
                next.rows.clear();
                next.quality = TeamQuality::default();
            }
        }
        TeamAction::Roster(members) => {
            let mut rows: Vec<BoardRow> = Vec::with_capacity(members.len());
            for member in members {
                if rows.iter().any(|r| r.member.id == member.id) {
                    continue;
                }
                let phone = phone_of(&member.number);
                rows.push(BoardRow { member, phone });
            }
            sort_rows(&mut rows);
            next.rows = rows;
        }
        TeamAction::Member(member) => {
            let phone = phone_of(&member.number);
            match next.rows.iter_mut().find(|r| r.member.id == member.id) {
                Some(row) => {
                    if row.member.number != member.number {
                        row.phone = phone;
                    }
                    row.member = member;
                }
                None => {
                    next.rows.push(BoardRow { member, phone });
                    sort_rows(&mut next.rows);
                }
            }
        }
        TeamAction::Removed { id } => next.rows.retain(|r| r.member.id != id),
        TeamAction::Quality(answer) => next.quality = board.quality.answered(answer),
        TeamAction::Phone { number, phone } => {
            for row in next
                .rows
                .iter_mut()
                .filter(|r| r.member.number.as_deref() == Some(number.as_str()))
            {
                row.phone = phone;
            }
        }
    }
    next
}
