//! gocua-hub (being written).

pub mod qr;
pub mod serve;
pub mod tls;
