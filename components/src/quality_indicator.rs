//! The call quality indicator in the bar: four signal-style bars and the MOS as
//! text, so neither colour nor the bars alone carry the meaning. A screen reader
//! reads its label ("Call quality good, MOS 4.3"); the warning, if any, shows as a
//! problem below the bar ([`crate::problems`], `role="status"`).

use yew::prelude::*;

use crate::quality::{tenths, LiveQuality};

#[derive(Properties, PartialEq)]
pub struct QualityIndicatorProps {
    /// None: nothing measured yet (no indicator).
    pub quality: Option<LiveQuality>,
}

view_component!(
    QualityIndicator,
    quality_indicator_component,
    QualityIndicatorProps,
    quality_indicator
);

pub fn quality_indicator(props: &QualityIndicatorProps) -> Html {
    let Some(quality) = props.quality else {
        return Html::default();
    };
    let bars = quality.bars();
    let label = quality.label();
    let mos = quality
        .mos
        .map_or_else(|| "\u{2013}".to_string(), |m| tenths(u32::from(m)));
    html! {
        <span class="ttec-quality" role="img" aria-label={label.clone()} title={label}
            data-bars={bars.to_string()}>
            { for (1..=4u8).map(|bar| html! {
                <span aria-hidden="true" ~className={if bar <= bars {
                    "ttec-quality__bar ttec-quality__bar--on"
                } else {
                    "ttec-quality__bar"
                }}></span>
            }) }
            <span class="ttec-quality__mos" aria-hidden="true">{ mos }</span>
        </span>
    }
}
