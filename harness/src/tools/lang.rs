//! The learner's language: Chinese when `--lang zh` (VETHLAB_LANG), or else
//! LC_ALL / LC_MESSAGES / LANG, say `zh_*`; English otherwise. A lab's
//! Chinese text lives beside its lab.json in `zh.json`: the lab's title and,
//! per step name, its title, task and hints.

use crate::lab::Lab;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The variable `vethlab shell --lang` sets for everything inside.
pub const ENV_LANG: &str = "VETHLAB_LANG";

/// Whether the learner reads Chinese.
pub fn zh() -> bool {
    if let Ok(l) = std::env::var(ENV_LANG) {
        return l.starts_with("zh");
    }
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())
        .is_some_and(|v| v.starts_with("zh"))
}

/// `en` or `zh`, as the learner reads.
pub fn pick<'a>(en: &'a str, zh_text: &'a str) -> &'a str {
    match zh() {
        true => zh_text,
        false => en,
    }
}

/// A lab's Chinese text (`zh.json` beside lab.json).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZhLab {
    /// The lab's title.
    #[serde(default)]
    pub title: Option<String>,
    /// A closing summary, shown after the last step.
    #[serde(default)]
    pub summary: Option<String>,
    /// Per step name.
    #[serde(default)]
    pub steps: HashMap<String, ZhStep>,
}

/// One step's Chinese text.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZhStep {
    /// Its title.
    #[serde(default)]
    pub title: Option<String>,
    /// Its task.
    #[serde(default)]
    pub task: Option<String>,
    /// Its hints, as many as the English ones.
    #[serde(default)]
    pub hints: Vec<String>,
}

/// Where a lab's Chinese text is.
pub fn zh_path(lab_file: &Path) -> PathBuf {
    lab_file.with_file_name("zh.json")
}

/// The Chinese text of `lab`, if it has any and the learner reads Chinese.
pub fn zh_of(lab: &Lab) -> Option<ZhLab> {
    if !zh() {
        return None;
    }
    let text = std::fs::read_to_string(zh_path(&lab.path)).ok()?;
    serde_json::from_str(&text).ok()
}

/// The words of step `idx` as the learner reads them.
pub struct StepText {
    /// The lab's title.
    pub lab_title: String,
    /// The step's title.
    pub title: String,
    /// The task.
    pub task: String,
    /// The hints, vague first.
    pub hints: Vec<String>,
    /// The closing summary of the lab, if any.
    pub summary: Option<String>,
}

/// Step `idx` of `lab` in the learner's language (English where the
/// Chinese text lacks a part).
pub fn step_text(lab: &Lab, idx: usize) -> StepText {
    let s = &lab.steps[idx];
    let mut t = StepText {
        lab_title: lab.title.clone(),
        title: s.title.clone(),
        task: s.task_text().to_string(),
        hints: s.hints.clone(),
        summary: None,
    };
    if let Some(z) = zh_of(lab) {
        if let Some(x) = z.title {
            t.lab_title = x;
        }
        t.summary = z.summary;
        if let Some(zs) = z.steps.get(&s.name) {
            if let Some(x) = &zs.title {
                t.title = x.clone();
            }
            if let Some(x) = &zs.task {
                t.task = x.clone();
            }
            if zs.hints.len() == t.hints.len() {
                t.hints = zs.hints.clone();
            }
        }
    }
    t
}
