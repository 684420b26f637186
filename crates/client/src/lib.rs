//! gocua-client (being written).

pub mod tls;
