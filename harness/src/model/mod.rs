//! Plain values shared by every layer: MACs, links, addresses, routes and
//! neighbours as the kernel reports them. No I/O.
