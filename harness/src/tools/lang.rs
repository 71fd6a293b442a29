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

/// The checks' one-line diagnoses, English template and Chinese, `{}` the
/// parts (names, addresses) carried over in order.
const DIAGNOSES: &[(&str, &str)] = &[
    ("{} has no interface {}", "{} 里没有网卡 {}"),
    ("{}: {} holds no {}", "{}:{} 上没有 {}"),
    ("{}: {} holds {}, not {}", "{}:{} 上是 {},不是 {}"),
    ("{}: {} should not hold {}", "{}:{} 不应持有 {}"),
    ("{} has no route {}", "{} 没有路由 {}"),
    (
        "{}: route {} is proto boot, not {}",
        "{}:路由 {} 是 proto boot,不是 proto {}",
    ),
    ("{}: route {} has {}, not {}", "{}:路由 {} 的 {},不是 {}"),
    ("{}: route {} has no {}", "{}:路由 {} 没有 {}"),
    ("{} still has `{}`", "{} 上仍有 `{}`"),
    ("{} should not hold {}", "{} 不应有 {}"),
    ("{}: {} is not in {}", "{}:{} 不在 {} 里"),
    ("{}: {} should not be in {}", "{}:{} 不应在 {} 里"),
    ("{}: {} is not a bridge", "{}:{} 不是网桥"),
    ("{}: {} = {}, not {}", "{}:{} = {},不是 {}"),
    (
        "no BIRD runs in {}: its routes must be learned over BGP (routes written by hand do not count)",
        "{} 里没有运行 BIRD:它的路由须经 BGP 学到(手写的路由不算)",
    ),
    (
        "BIRD in {}: no BGP session is Established",
        "{} 里的 BIRD:没有处于 Established 的 BGP 会话",
    ),
    ("no answer yet: {}", "还没有回答:找到后用 answer …"),
    (
        "`{}` is half of it: which namespace? answer NAMESPACE:{}",
        "`{}` 只答了一半:哪个命名空间?回答 命名空间:{}",
    ),
    ("`{}` is not it", "`{}` 不对"),
    (
        "{}: the FDB entry for {} on {} is missing",
        "{}:缺少 {} 在 {} 上的 FDB 表项",
    ),
    (
        "{}: the FDB entry for {} on {} has dst {}, not {}",
        "{}:{} 在 {} 上的 FDB 表项 dst 是 {},不是 {}",
    ),
    (
        "{}: the FDB entry for {} is on {}, not {}",
        "{}:{} 的 FDB 表项在 {} 上,不在 {} 上",
    ),
    (
        "{}: no entry for {} on {}, want {}",
        "{}:{} 在 {} 上没有邻居表项,应为 {}",
    ),
    (
        "no CNI ADD has made {}'s interface yet",
        "还没有 CNI ADD 为 {} 建好网卡",
    ),
    ("no node `{}` in this lab", "命名空间 {} 不存在"),
    (
        "there is no namespace {} (ip netns list)",
        "命名空间 {} 不存在(ip netns list)",
    ),
    (
        "[{}] nothing arrived at {}: {}",
        "[{}] {} 在时限内没有收到任何数据",
    ),
    (
        "kernel {} has no `{}` support (no `{}` module, not built in)",
        "内核 {} 不支持 `{}`(没有 `{}` 模块,也未内建)",
    ),
];

/// Parts of a diagnosis that follow a `NODE: DEV:` head or stand alone
/// ("state DOWN (want UP)"), never matched across a `: `.
const PARTS: &[(&str, &str)] = &[
    ("{} of {} answered", "收到 {} 个回复(共 {} 个请求)"),
    ("no reply ({} sent)", "没有回复(发出 {} 个)"),
    (
        "answered with ttl {}, want ttl {}",
        "回复的 ttl 是 {},应为 {}",
    ),
    ("shown as @{} (want @{})", "显示为 @{},应为 @{}"),
    ("flag {} missing", "缺少标志 {}"),
    ("{} {} (want {})", "{} 是 {},应为 {}"),
    ("{}, want {}", "{},应为 {}"),
    ("no entry for {} on {}", "{} 在 {} 上没有表项"),
];

/// A check's diagnosis as the learner reads it.
pub fn diag(line: &str) -> String {
    match zh() {
        true => zh_diag(line),
        false => line.to_string(),
    }
}

/// What a check's part asserts (`vethlab check -v`), in Chinese.
const WHAT: &[(&str, &str)] = &[
    ("routes of {} have {}", "{} 的路由含有 {}"),
    ("routes of {} lack {}", "{} 的路由没有 {}"),
    ("links in {} are exactly {}", "{} 里的网卡恰好是 {}"),
    ("link {} in {}", "网卡 {}(在 {} 里)"),
    (
        "{} in {} holds no IPv4 address",
        "{}(在 {} 里)没有 IPv4 地址",
    ),
    (
        "{} in {} holds {} (among others)",
        "{}(在 {} 里)持有 {}(及其他)",
    ),
    ("{} in {} holds {}", "{}(在 {} 里)恰好持有 {}"),
    (
        "neighbour {} on {} in {} is {}",
        "邻居 {}(在 {} 上,{} 里)是 {}",
    ),
    (
        "bridge {} in {} has exactly [{}]",
        "网桥 {}(在 {} 里)恰好含有 [{}]",
    ),
    (
        "peer of {} in {} is {} by {}",
        "{}(在 {} 里)的对端是 {},依据 {}",
    ),
    (
        "FDB entry {} on {} in {} sends to {}",
        "FDB 表项 {}(在 {} 上,{} 里)发往 {}",
    ),
    (
        "BIRD in {} has a BGP session Established",
        "{} 里的 BIRD 有 Established 的 BGP 会话",
    ),
    (
        "host-local holds exactly [{}] for network {}",
        "host-local 恰好分配了 [{}](网络 {})",
    ),
    (
        "frames on {} and {} are byte-identical",
        "{} 与 {} 上的帧逐字节相同",
    ),
    ("answer: the peer of {} (in {})", "回答:{} 的对端(在 {} 里)"),
    ("answer: the peer of {}", "回答:{} 的对端"),
    (
        "ping {} from {} replies with ttl {}",
        "ping {}(从 {} 发出)应答 ttl {}",
    ),
    ("ping {} from {} replies", "ping {}(从 {} 发出)有应答"),
    ("ping {} from {} fails", "ping {}(从 {} 发出)不通"),
    ("{} = {} in {}", "{} = {}(在 {} 里)"),
];

/// `vethlab check -v`'s report in Chinese: the status word, the step's
/// title, each part's assertion and each diagnosis where a template fits;
/// what the kernel printed stays as it printed it.
pub fn zh_report(text: &str, en_title: &str, zh_title: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        let zh_line = if let Some(rest) = line.strip_prefix("FAIL ") {
            format!("未完成 {rest}")
        } else if let Some(rest) = line.strip_prefix("PASS ") {
            format!("通过 {rest}")
        } else if let Some(rest) = line.strip_prefix("SKIP ") {
            format!("跳过 {rest}")
        } else if !body.is_empty() && body == en_title {
            format!("{indent}{zh_title}")
        } else if let Some((mark, rest)) = ["✓ ", "✗ "]
            .iter()
            .find_map(|m| body.strip_prefix(m).map(|r| (*m, r)))
        {
            // `✓ O1.6   what`: the id (if any), then what was asserted.
            let (id, what) = match rest.split_once("   ") {
                Some((id, w)) if !id.contains(' ') => (format!("{id}   "), w.trim_start()),
                _ => (String::new(), rest),
            };
            let what = zh_whole(WHAT, what).unwrap_or(what.to_string());
            format!("{indent}{mark}{id}{what}")
        } else {
            format!("{indent}{}", zh_diag(body))
        };
        out.push_str(&zh_line);
        out.push('\n');
    }
    out
}

/// `line` (a check's diagnosis) in Chinese: each `; `-separated part where
/// a template fits, after any `NODE: DEV:` head; else as is.
pub fn zh_diag(line: &str) -> String {
    let parts: Vec<&str> = line.split("; ").collect();
    let zh: Vec<String> = parts.iter().map(|p| zh_part(p)).collect();
    match zh.iter().zip(&parts).all(|(z, p)| z == p) {
        true => line.to_string(),
        false => zh.join(";"),
    }
}

fn zh_part(part: &str) -> String {
    if let Some(z) = zh_whole(DIAGNOSES, part) {
        return z;
    }
    // `node03: cni0: state DOWN (want UP)`: the head kept, the rest translated.
    let mut at = 0;
    while let Some(i) = part[at..].find(": ") {
        let (head, rest) = (&part[..at + i], &part[at + i + 2..]);
        let z = zh_whole(DIAGNOSES, rest).or_else(|| {
            (!rest.contains(": "))
                .then(|| zh_whole(PARTS, rest))
                .flatten()
        });
        if let Some(z) = z {
            return format!("{head}:{z}");
        }
        at += i + 2;
    }
    match part.contains(": ") {
        true => part.to_string(),
        false => zh_whole(PARTS, part).unwrap_or(part.to_string()),
    }
}

fn zh_whole(table: &[(&str, &str)], line: &str) -> Option<String> {
    for (en, zh) in table {
        if let Some(parts) = fit(en, line) {
            let mut out = String::new();
            let mut it = parts.into_iter();
            let mut pieces = zh.split("{}").peekable();
            while let Some(p) = pieces.next() {
                out.push_str(p);
                if pieces.peek().is_some() {
                    out.push_str(&it.next().unwrap_or_default());
                }
            }
            return Some(out);
        }
    }
    None
}

/// The parts of `s` where template `t` has `{}`, if `s` fits it (each part
/// the shortest that lets the rest fit, the last one the rest).
fn fit(t: &str, s: &str) -> Option<Vec<String>> {
    let lits: Vec<&str> = t.split("{}").collect();
    let mut rest = s.strip_prefix(lits[0])?;
    let mut parts = vec![];
    for (i, lit) in lits.iter().enumerate().skip(1) {
        let last = i == lits.len() - 1;
        if last && lit.is_empty() {
            parts.push(rest.to_string());
            rest = "";
            continue;
        }
        let at = match last {
            true => rest
                .len()
                .checked_sub(lit.len())
                .filter(|a| rest[*a..] == **lit)?,
            false => rest.find(lit)?,
        };
        if at == 0 {
            return None;
        }
        parts.push(rest[..at].to_string());
        rest = &rest[at + lit.len()..];
    }
    rest.is_empty().then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::{zh_diag, zh_report};

    #[test]
    fn verbose_report_in_chinese_keeps_what_the_kernel_printed() {
        let en = "FAIL  lab/s  [O1]  3 ms\n      Title\n  \u{2717} O1   link cni0 in node03\n             node03: cni0: state DOWN (want UP)\n             3: cni0: <BROADCAST,MULTICAST> mtu 1500; x\n";
        let zh = zh_report(en, "Title", "标题");
        assert_eq!(
            zh,
            "未完成  lab/s  [O1]  3 ms\n      标题\n  \u{2717} O1   网卡 cni0(在 node03 里)\n             node03: cni0:state 是 DOWN,应为 UP\n             3: cni0: <BROADCAST,MULTICAST> mtu 1500; x\n"
        );
    }

    #[test]
    fn diagnoses_in_chinese_keep_their_names() {
        assert_eq!(
            zh_diag("song has no interface veth1"),
            "song 里没有网卡 veth1"
        );
        assert_eq!(
            zh_diag("netns_demo: veth1 holds 10.1.1.1/16, not 10.1.1.1/24"),
            "netns_demo:veth1 上是 10.1.1.1/16,不是 10.1.1.1/24"
        );
        assert_eq!(
            zh_diag("vms103: route blackhole 10.244.38.128/26 is proto boot, not bird"),
            "vms103:路由 blackhole 10.244.38.128/26 是 proto boot,不是 proto bird"
        );
        assert_eq!(
            zh_diag("node03: the FDB entry for 82:1a:3c:bd:43:04 on flannel.1 is missing"),
            "node03:缺少 82:1a:3c:bd:43:04 在 flannel.1 上的 FDB 表项"
        );
        assert_eq!(
            zh_diag("netns_demo: lo: state DOWN (want UNKNOWN)"),
            "netns_demo: lo:state 是 DOWN,应为 UNKNOWN"
        );
        assert_eq!(
            zh_diag("pod1 has no route default; pod1 has no route 10.0.0.1"),
            "pod1 没有路由 default;pod1 没有路由 10.0.0.1"
        );
        assert_eq!(zh_diag("something else"), "something else");
    }
}
