//! Route lines compared as the kernel forwards: the lab's line against
//! what `ip route` prints, and what differs, in one line.

/// Attributes of `ip route` that take a value.
const ROUTE_KEYS: &[&str] = &["via", "dev", "proto", "scope", "src", "metric", "pref"];
/// Attributes a route line may carry beyond what a lab line names: the
/// kernel forwards the same way (`proto`, `metric`, `src`, `scope`, `onlink`).
const ROUTE_FREE: &[&str] = &[
    "proto", "metric", "src", "scope", "onlink", "linkdown", "pref",
];

/// A route line split into its destination (`default`, `blackhole 10.0.0.0/8`)
/// and its attributes (flags have an empty value).
pub fn route_parts(line: &str) -> (String, Vec<(String, String)>) {
    let w: Vec<&str> = line.split_whitespace().collect();
    let mut head = vec![];
    let mut attrs = vec![];
    let mut i = 0;
    while i < w.len() {
        if ROUTE_KEYS.contains(&w[i]) {
            attrs.push((w[i].to_string(), w.get(i + 1).unwrap_or(&"").to_string()));
            i += 2;
        } else if w[i] == "onlink" || w[i] == "linkdown" || !attrs.is_empty() {
            attrs.push((w[i].to_string(), String::new()));
            i += 1;
        } else {
            head.push(w[i]);
            i += 1;
        }
    }
    (head.join(" "), attrs)
}

/// Whether the kernel's route line `got` is the lab's `want`: the same
/// destination and every attribute `want` names; others only where they do
/// not change where packets go (a route written with `onlink`, or without
/// `proto X`, is the same route unless the lab line names it). IPv6
/// routes carry a router preference (`pref medium`) that does not either.
pub fn route_matches(want: &str, got: &str) -> bool {
    let (wh, wa) = route_parts(want);
    let (gh, ga) = route_parts(got);
    wh == gh
        && wa.iter().all(|a| ga.contains(a))
        && ga.iter().all(|a| {
            wa.contains(a) || (ROUTE_FREE.contains(&a.0.as_str()) && !wa.iter().any(|w| w.0 == a.0))
        })
}

/// What is wrong about `want` in one line: no route at all for its
/// destination, or the attribute that differs ("proto boot, not bird").
pub fn route_miss(node: &str, want: &str, lines: &[String]) -> String {
    let (wh, wa) = route_parts(want);
    let Some(got) = lines.iter().find(|l| route_parts(l).0 == wh) else {
        return format!("{node} has no route {wh}");
    };
    let (_, ga) = route_parts(got);
    for (k, v) in &wa {
        let g = ga.iter().find(|a| a.0 == *k);
        match (g, k.as_str()) {
            (Some(g), _) if g.1 == *v => {}
            (Some(g), _) => return format!("{node}: route {wh} has {k} {}, not {v}", g.1),
            (None, "proto") => return format!("{node}: route {wh} is proto boot, not {v}"),
            (None, _) if v.is_empty() => return format!("{node}: route {wh} is not {k}"),
            (None, _) => return format!("{node}: route {wh} has no {k} {v}"),
        }
    }
    format!("{node}: route {wh} is `{got}`, not `{want}`")
}
