//! The progress bar on a terminal (indicatif): shown only when asked for,
//! which the CLI does when stderr is a terminal and `--json` is off.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::report::Report;

#[derive(Debug)]
pub(crate) struct Progress(Option<ProgressBar>);

impl Progress {
    pub(crate) fn new(shown: bool, total: Option<u64>) -> Self {
        if !shown {
            return Self(None);
        }
        let bar = match total {
            Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let template = if total.is_some() {
            "{elapsed_precise} [{bar:30}] {pos}/{len} ({per_sec}, {eta} left) {msg}"
        } else {
            "{elapsed_precise} {spinner} {pos} sessions ({per_sec}) {msg}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        Self(Some(bar))
    }

    pub(crate) fn update(&self, report: &Report) {
        if let Some(bar) = &self.0 {
            bar.set_position(report.scanned);
            bar.set_message(format!(
                "resigned {} undecodable {} skipped {}",
                report.resigned, report.undecodable, report.skipped_concurrent
            ));
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
