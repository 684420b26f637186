//! gocua-sync (being written).

pub mod pairing;
