//! IPv6 decoding and rendering, case by case.
