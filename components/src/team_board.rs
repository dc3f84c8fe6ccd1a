//! The supervisor's team board: one row per agent with the name, the Finesse state,
//! and the phone state as a dot *and* a word (never colour alone). When the phone
//! system does not report phone states (the SIP core's `NotReported`: it refused the
//! presence subscriptions, as an Asterisk without exten_state does), rows say "state
//! unavailable" beside a "?" icon, and the board says why once, above the table; the
//! partly reported states ("no call", "registered") get their own one-line notice.
//! Agents in a call get a call quality badge beside the phone state when a quality
//! collector is configured (MOS and a word, the agent's warning in its `aria-label`;
//! [`crate::team_quality`]); nothing without a call. When the collector cannot be read
//! the board says so in plain words, once.
//! A toggle opens a
//! read-only view of what agents see, passed in as `children` (the gallery of the
//! agent's bar in each state), so the board does not depend on how that is built.

use yew::prelude::*;

use crate::team::{BoardRow, PeerPhone};
use crate::team_quality::{LineQuality, TeamQuality};

#[derive(Properties, PartialEq)]
pub struct TeamBoardProps {
    pub rows: Vec<BoardRow>,
    /// Agents' live call quality (nothing while no collector answers).
    #[prop_or_default]
    pub quality: TeamQuality,
    /// Shown when the supervisor opens "What agents see" (e.g. the bar gallery).
    #[prop_or_default]
    pub children: Html,
}

#[function_component(TeamBoardView)]
pub fn team_board(props: &TeamBoardProps) -> Html {
    let gallery_open = use_state(|| false);
    let toggle = {
        let gallery_open = gallery_open.clone();
        Callback::from(move |_: MouseEvent| gallery_open.set(!*gallery_open))
    };
    let has_gallery = props.children != Html::default();
    // One notice per kind of missing information, in a fixed order, however many rows.
    let notices: Vec<&'static str> = [
        PeerPhone::NotReported,
        PeerPhone::NoCall,
        PeerPhone::Registered,
    ]
    .into_iter()
    .filter(|kind| props.rows.iter().any(|r| r.phone == *kind))
    .filter_map(PeerPhone::board_notice)
    .collect();
    let quality_notice = props.quality.notice();
    html! {
        <section class="ttec-board" aria-label="Team phones">
            <h2 class="ttec-board__title">{ "Team phones (preview: this phone takes no calls)" }</h2>
            { for notices.into_iter().map(|text| html! {
                <p class="ttec-notice ttec-board__notice" role="status">
                    <span class="ttec-board__notice-icon" aria-hidden="true">{ "i" }</span>
                    <span class="ttec-notice__text">{ text }</span>
                </p>
            }) }
            if let Some(text) = quality_notice {
                <p class="ttec-notice ttec-board__notice ttec-board__quality-notice" role="status">
                    <span class="ttec-board__notice-icon" aria-hidden="true">{ "!" }</span>
                    <span class="ttec-notice__text">{ text }</span>
                </p>
            }
            if props.rows.is_empty() {
                <p class="ttec-board__empty">{ "No agents in your teams yet." }</p>
            } else {
                <table class="ttec-board__table">
                    <thead>
                        <tr>
                            <th scope="col">{ "Agent" }</th>
                            <th scope="col">{ "Finesse" }</th>
                            <th scope="col">{ "Phone" }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for props.rows.iter().map(|r| row(r, props.quality.of(r.member.number.as_deref()))) }
                    </tbody>
                </table>
            }
            if has_gallery {
                <button type="button" class="ttec-board__toggle" aria-expanded={(*gallery_open).to_string()} onclick={toggle}>
                    { if *gallery_open { "Hide what agents see" } else { "What agents see" } }
                </button>
                if *gallery_open {
                    <div class="ttec-board__gallery">{ props.children.clone() }</div>
                }
            }
        </section>
    }
}

fn row(r: &BoardRow, quality: Option<&LineQuality>) -> Html {
    let phone: PeerPhone = r.phone;
    let number = r
        .member
        .number
        .clone()
        .unwrap_or_else(|| "no WebRTC number".into());
    html! {
        <tr class="ttec-board__row" data-agent={r.member.id.clone()} data-phone={phone.css()}>
            <th scope="row" class="ttec-board__name">
                { r.member.name.clone() }
                <span class="ttec-board__number">{ number }</span>
            </th>
            <td class="ttec-board__finesse">{ r.member.state.label() }</td>
            <td class="ttec-board__phone">
                <span ~className={format!("ttec-dot ttec-dot--peer-{}", phone.css())} aria-hidden="true">{ phone.icon().unwrap_or_default() }</span>
                <span class="ttec-board__word">{ phone.label() }</span>
                { quality.map(badge).unwrap_or_default() }
            </td>
        </tr>
    }
}

/// An agent's live call quality: the MOS and a word as text, the level as a class
/// (never colour alone), the whole reading (warning and age) as its label.
fn badge(q: &LineQuality) -> Html {
    let label = q.label();
    html! {
        <span ~className={format!("ttec-board__quality ttec-board__quality--{}", q.level())}
            role="img" aria-label={label.clone()} title={label} data-level={q.level().to_string()}>
            { q.text() }
        </span>
    }
}
