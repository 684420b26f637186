//! gocua-wardgen (being written).
