//! Where a topology's boxes and cables go. Nodes stand in columns with a
//! gap right of each; a cable leaves its interface sideways, runs
//! vertically only inside a gap, and crosses columns only in a channel
//! above every box, each cable in a lane of its own. So a cable touches no
//! box but those holding its two ends: true by construction, whatever the
//! nodes' sizes.

/// A node's size.
#[derive(Debug, Clone, Copy)]
pub(super) struct Size {
    pub w: f64,
    pub h: f64,
}

/// One end of a cable: a node, the height in it, the interface box's left
/// and right edge (all relative to the node's corner).
#[derive(Debug, Clone, Copy)]
pub(super) struct End {
    pub node: usize,
    pub y: f64,
    pub left: f64,
    pub right: f64,
}

/// Everything placed: each node's corner, each cable's points, the size.
#[derive(Debug)]
pub(super) struct Placed {
    pub at: Vec<(f64, f64)>,
    pub paths: Vec<Vec<(f64, f64)>>,
    pub w: f64,
    pub h: f64,
}

const LANE: f64 = 10.0;
const MARGIN: f64 = 20.0;
/// Vertical room between nodes of a column, and between rows.
const VGAP: f64 = 30.0;

/// Each node's column, and its top below the channel: the first `machines`
/// nodes side by side in rows of `cols`; every other node stacked under
/// its `home` machine's column, or the shortest column.
fn grid(
    sizes: &[Size],
    homes: &[Option<usize>],
    machines: usize,
    cols: usize,
) -> Vec<(usize, f64)> {
    let machines = machines.min(sizes.len());
    let mut place = vec![(0usize, 0f64); sizes.len()];
    let mut top = 0.0;
    for row in 0..machines.div_ceil(cols) {
        let mut h: f64 = 0.0;
        for (i, s) in sizes
            .iter()
            .enumerate()
            .take(((row + 1) * cols).min(machines))
            .skip(row * cols)
        {
            place[i] = (i % cols, top);
            h = h.max(s.h);
        }
        top += h + VGAP;
    }
    let mut col_y = vec![top; cols];
    for i in machines..sizes.len() {
        let c = match homes.get(i).copied().flatten() {
            Some(k) if k < machines => k % cols,
            _ => (0..cols)
                .min_by(|a, b| col_y[*a].total_cmp(&col_y[*b]))
                .unwrap_or(0),
        };
        place[i] = (c, col_y[c]);
        col_y[c] += sizes[i].h + VGAP;
    }
    place
}

/// A cable's lanes: in the gap it leaves by, in the gap it enters by, and
/// in the channel (far cables only).
struct Lanes {
    first: (usize, usize),
    second: Option<(usize, usize)>,
    channel: Option<usize>,
}

/// Place `sizes` on a grid of `cols` columns and route `cables` between them.
pub(super) fn place(
    sizes: &[Size],
    homes: &[Option<usize>],
    machines: usize,
    cols: usize,
    cables: &[(End, End)],
) -> Placed {
    let cols = cols.max(1);
    let grid = grid(sizes, homes, machines, cols);
    let mut gap_lanes = vec![0usize; cols];
    let mut chan = 0usize;
    let mut take = |g: usize| {
        gap_lanes[g] += 1;
        (g, gap_lanes[g] - 1)
    };
    let mut lanes = vec![];
    for (a, b) in cables {
        let (ca, cb) = (grid[a.node].0, grid[b.node].0);
        let (lo, hi) = (ca.min(cb), ca.max(cb));
        lanes.push(if hi <= lo + 1 {
            Lanes {
                first: take(lo),
                second: None,
                channel: None,
            }
        } else {
            chan += 1;
            Lanes {
                first: take(lo),
                second: Some(take(hi - 1)),
                channel: Some(chan - 1),
            }
        });
    }
    let mut col_w = vec![0f64; cols];
    for (i, s) in sizes.iter().enumerate() {
        col_w[grid[i].0] = col_w[grid[i].0].max(s.w);
    }
    let gap_w: Vec<f64> = gap_lanes
        .iter()
        .map(|n| (24.0 + *n as f64 * LANE).max(40.0))
        .collect();
    let mut col_x = vec![MARGIN; cols];
    for c in 1..cols {
        col_x[c] = col_x[c - 1] + col_w[c - 1] + gap_w[c - 1];
    }
    let chan_h = if chan > 0 {
        12.0 + chan as f64 * LANE
    } else {
        0.0
    };
    let at: Vec<(f64, f64)> = grid
        .iter()
        .map(|(c, y)| (col_x[*c], MARGIN + chan_h + y))
        .collect();
    let lane_x = |(g, k): (usize, usize)| col_x[g] + col_w[g] + 12.0 + k as f64 * LANE;
    let paths = cables
        .iter()
        .zip(&lanes)
        .map(|((a, b), l)| route(&grid, &at, (a, b), l, &lane_x))
        .collect();
    let w = col_x[cols - 1] + col_w[cols - 1] + gap_w[cols - 1];
    let h = at
        .iter()
        .zip(sizes)
        .map(|((_, y), s)| y + s.h)
        .fold(MARGIN + chan_h, f64::max)
        + MARGIN;
    Placed {
        at,
        paths,
        w: w.ceil(),
        h: h.ceil(),
    }
}

/// The points of one cable, left end first.
fn route(
    grid: &[(usize, f64)],
    at: &[(f64, f64)],
    (a, b): (&End, &End),
    l: &Lanes,
    lane_x: &dyn Fn((usize, usize)) -> f64,
) -> Vec<(f64, f64)> {
    let (a, b) = if grid[a.node].0 <= grid[b.node].0 {
        (a, b)
    } else {
        (b, a)
    };
    let p = |e: &End, right: bool| {
        let (x, y) = at[e.node];
        (x + if right { e.right } else { e.left }, y + e.y)
    };
    let (a0, x1) = (p(a, true), lane_x(l.first));
    let same = grid[a.node].0 == grid[b.node].0;
    let b0 = p(b, same);
    match (l.second, l.channel) {
        (Some(second), Some(k)) => {
            let cy = MARGIN + 6.0 + k as f64 * LANE;
            let x2 = lane_x(second);
            vec![a0, (x1, a0.1), (x1, cy), (x2, cy), (x2, b0.1), b0]
        }
        _ => vec![a0, (x1, a0.1), (x1, b0.1), b0],
    }
}
