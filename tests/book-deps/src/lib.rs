//! Nothing here: the package exists for its dependencies (see Cargo.toml).
