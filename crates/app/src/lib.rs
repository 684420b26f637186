//! gocua-app (being written).
